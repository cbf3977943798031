package credserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/rawhttp"
)

// Every method but GET gets 405 with Allow: GET, even with the right token,
// and changes nothing.
func TestProtectionMethod(t *testing.T) {
	s, _, _ := start(t, Options{})
	creds := testCreds(0, t0.Add(time.Hour))
	s.Update(creds)
	addr := s.Addr().String()
	for _, method := range []string{
		http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch,
		http.MethodOptions, http.MethodTrace, http.MethodConnect, http.MethodHead, "get", "PROPFIND",
	} {
		t.Run(method, func(t *testing.T) {
			body := ""
			if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
				body = `{"AccessKeyId":"ASIAINJECTED","SecretAccessKey":"x","Expiration":"2099-01-01T00:00:00Z"}`
			}
			a := rawhttp.Exchange(t, addr, fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
				method, Path, addr, s.Token(), len(body), body))
			wantRefused(t, s, a.Code, a.Body, http.StatusMethodNotAllowed)
			if got := a.Header.Get("Allow"); got != http.MethodGet {
				t.Errorf("Allow = %q, want GET", got)
			}
		})
	}
	if cur, _ := s.Current(); cur != creds {
		t.Errorf("credentials changed to %+v", cur)
	}
	if st := s.Stats(); st.Served != 0 || st.Refused[ReasonMethod] != 10 {
		t.Errorf("Stats = %+v, want 10 refused for the method and none served", st)
	}
}

// A request body is never read: a GET that announces one is answered 413
// at once, before the client has sent it, and the connection is closed.
func TestProtectionRequestBody(t *testing.T) {
	s, _, _ := start(t, Options{ReadTimeout: 300 * time.Millisecond})
	s.Update(testCreds(0, t0.Add(time.Hour)))
	addr := s.Addr().String()
	head := func(extra string) string {
		return fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n%s\r\n", Path, addr, s.Token(), extra)
	}
	cases := []struct{ name, request string }{
		{"1 GiB announced, 16 KiB sent", head("Content-Length: 1073741824\r\n") + strings.Repeat("A", 16<<10)},
		{"small body", head("Content-Length: 5\r\n") + "hello"},
		{"chunked body", head("Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n"},
		{"expect 100-continue", head("Content-Length: 1048576\r\nExpect: 100-continue\r\n")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := rawhttp.Dial(t, addr)
			if _, err := io.WriteString(c, tc.request); err != nil {
				t.Fatal(err)
			}
			a := rawhttp.Read(t, bufio.NewReader(c), http.MethodGet)
			wantRefused(t, s, a.Code, a.Body, http.StatusRequestEntityTooLarge)
			if !strings.Contains(string(a.Body), "takes no body") || !a.Close {
				t.Errorf("answer %q, Connection: close %v", a.Body, a.Close)
			}
			rawhttp.WaitClosed(t, c, 5*time.Second)
		})
	}
	if st := s.Stats(); st.Served != 0 || st.Refused[ReasonBody] != uint64(len(cases)) {
		t.Errorf("Stats = %+v", st)
	}
	if a := fetch(t, newClient(t), s, nil); a.code != http.StatusOK {
		t.Errorf("after the bodies: status %d", a.code)
	}
}

// Headers over MaxHeaderBytes (plus net/http's 4 KiB of slack) get 431 and
// a closed connection; the server goes on serving.
func TestProtectionHeaderSize(t *testing.T) {
	s, _, _ := start(t, Options{})
	s.Update(testCreds(0, t0.Add(time.Hour)))
	addr := s.Addr().String()
	head := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n", Path, addr, s.Token())
	var many strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&many, "X-H%d: v\r\n", i)
	}
	cases := []struct {
		name, extra string
		want        int
	}{
		{"just under the cap", "X-Pad: " + strings.Repeat("a", MaxHeaderBytes-512) + "\r\n", http.StatusOK},
		{"one 64 KiB header", "X-Big: " + strings.Repeat("a", 64<<10) + "\r\n", http.StatusRequestHeaderFieldsTooLarge},
		{"2,000 small headers", many.String(), http.StatusRequestHeaderFieldsTooLarge},
		{"1 MiB header", "Cookie: " + strings.Repeat("a", 1<<20) + "\r\n", http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := rawhttp.Dial(t, addr)
			// The server may close while a large request is still being
			// written: its answer is read all the same.
			go func() { _, _ = io.WriteString(c, head+tc.extra+"\r\n") }()
			a := rawhttp.Read(t, bufio.NewReader(c), http.MethodGet)
			if a.Code != tc.want {
				t.Fatalf("status = %d, want %d", a.Code, tc.want)
			}
			if tc.want != http.StatusOK {
				rawhttp.WaitClosed(t, c, 5*time.Second)
			}
		})
	}
	if a := fetch(t, newClient(t), s, nil); a.code != http.StatusOK {
		t.Errorf("after the large headers: status %d", a.code)
	}
}

// Slow clients are cut by the timeouts (shortened here from the defaults)
// and do not hold up anyone else.
func TestProtectionSlowClients(t *testing.T) {
	s, _, _ := start(t, Options{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond})
	s.Update(testCreds(0, t0.Add(time.Hour)))
	addr := s.Addr().String()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); wg.Wait() })

	t.Run("headers dribbled a byte at a time (slowloris)", func(t *testing.T) {
		c := rawhttp.Dial(t, addr)
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nX-Slow: ", Path, addr); err != nil {
			t.Fatal(err)
		}
		rest := []byte(strings.Repeat("a", 500) + "\r\n\r\n")
		sent := make(chan int, 1)
		wg.Go(func() { sent <- rawhttp.Dribble(c, rest, 20*time.Millisecond, stop) })
		rawhttp.WaitClosed(t, c, 5*time.Second) // the dribble alone would take 10 s
		_ = c.Close()
		if n := <-sent; n == len(rest) {
			t.Errorf("the whole request was sent (%d bytes) before the server closed", n)
		}
	})
	t.Run("body dribbled a byte at a time", func(t *testing.T) {
		c := rawhttp.Dial(t, addr)
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Length: 500\r\n\r\n", Path, addr, s.Token()); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		if a := rawhttp.Read(t, r, http.MethodGet); a.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status = %d, want 413", a.Code)
		}
		wg.Go(func() { rawhttp.Dribble(c, []byte(strings.Repeat("b", 500)), 20*time.Millisecond, stop) })
		rawhttp.WaitClosed(t, c, 5*time.Second)
	})
	t.Run("64 slow connections held open", func(t *testing.T) {
		slow, _, _ := start(t, Options{ReadHeaderTimeout: time.Minute})
		slow.Update(testCreds(0, t0.Add(time.Hour)))
		conns := make([]net.Conn, 64)
		for i := range conns {
			conns[i] = rawhttp.Dial(t, slow.Addr().String())
			if _, err := fmt.Fprintf(conns[i], "GET %s HTTP/1.1\r\nHost: %s\r\nX-Slow: a", Path, slow.Addr()); err != nil {
				t.Fatal(err)
			}
		}
		c := newClient(t) // its own 5 s timeout bounds "promptly"
		for range 10 {
			if a := fetch(t, c, slow, nil); a.code != http.StatusOK {
				t.Fatalf("status = %d while slow connections wait", a.code)
			}
		}
		for i, sc := range conns {
			if !rawhttp.StillOpen(sc) {
				t.Fatalf("slow connection %d was closed early: the test proved nothing", i)
			}
		}
	})
	if a := fetch(t, newClient(t), s, nil); a.code != http.StatusOK {
		t.Errorf("after the slow clients: status %d", a.code)
	}
}
