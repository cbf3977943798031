package login

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

// A POST over maxBody gets 413, unread when it announces its size; it is
// refused and audited like any bad POST, and the login goes on waiting.
func TestACSProtectionBodySize(t *testing.T) {
	r := startLogin(t, nil, nil)
	head := func(extra string) string {
		return fmt.Sprintf("POST /saml/acs HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n%s\r\n", r.addr, form, extra)
	}
	over := "SAMLResponse=" + strings.Repeat("A", maxBody)
	cases := []struct {
		name, request string
		want          int
	}{
		{"just under the cap", head(fmt.Sprintf("Content-Length: %d\r\n", maxBody-1)) + "SAMLResponse=" + strings.Repeat("A", maxBody-14), http.StatusForbidden},
		{"one byte over, all sent", head(fmt.Sprintf("Content-Length: %d\r\n", maxBody+1)) + "SAMLResponse=" + strings.Repeat("A", maxBody-12), http.StatusRequestEntityTooLarge},
		{"1 GiB announced, 16 KiB sent", head("Content-Length: 1073741824\r\n") + over[:16<<10], http.StatusRequestEntityTooLarge},
		{"chunked, over the cap", head("Transfer-Encoding: chunked\r\n") + fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(over), over), http.StatusRequestEntityTooLarge},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := rawhttp.Dial(t, r.addr)
			go func() { _, _ = io.WriteString(c, tc.request) }() // the answer may come first
			a := rawhttp.Read(t, bufio.NewReader(c), http.MethodPost)
			if a.Code != tc.want {
				t.Errorf("status = %d, want %d (%q)", a.Code, tc.want, a.Body)
			}
			if tc.want == http.StatusRequestEntityTooLarge && !strings.Contains(string(a.Body), fmt.Sprintf("larger than %d bytes", maxBody)) {
				t.Errorf("body %q does not say why", a.Body)
			}
			if n := r.rejected(); n != i+1 {
				t.Errorf("%d rejections audited, want %d", n, i+1)
			}
			r.waiting(t)
		})
	}
	r.finish(t)
}

// Headers over the cap get 431 and a closed connection; the listener goes
// on serving and the login on waiting.
func TestACSProtectionHeaderSize(t *testing.T) {
	r := startLogin(t, nil, nil)
	body := junk().Encode()
	cases := []struct {
		name, extra string
		want        int
	}{
		{"just under the cap", "Cookie: " + strings.Repeat("a", acsMaxHeaderBytes-512) + "\r\n", http.StatusForbidden},
		{"one 64 KiB header", "X-Big: " + strings.Repeat("a", 64<<10) + "\r\n", http.StatusRequestHeaderFieldsTooLarge},
		{"1 MiB header", "Cookie: " + strings.Repeat("a", 1<<20) + "\r\n", http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := rawhttp.Dial(t, r.addr)
			req := fmt.Sprintf("POST /saml/acs HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n%s\r\n%s",
				r.addr, form, len(body), tc.extra, body)
			go func() { _, _ = io.WriteString(c, req) }()
			if a := rawhttp.Read(t, bufio.NewReader(c), http.MethodPost); a.Code != tc.want {
				t.Errorf("status = %d, want %d", a.Code, tc.want)
			}
			rawhttp.WaitClosed(t, c, 5*time.Second)
		})
	}
	if n := r.rejected(); n != 1 {
		t.Errorf("%d rejections audited, want 1 (the POST under the cap)", n)
	}
	r.finish(t)
}

// Slow clients are cut by the listener's timeouts (shortened here) and
// hold up neither other requests nor the login.
func TestACSProtectionSlowClients(t *testing.T) {
	r := startLogin(t, &serverLimits{ReadHeaderTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, WriteTimeout: time.Second}, nil)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	defer wg.Wait()
	defer close(stop)

	t.Run("headers dribbled a byte at a time (slowloris)", func(t *testing.T) {
		c := rawhttp.Dial(t, r.addr)
		if _, err := fmt.Fprintf(c, "POST /saml/acs HTTP/1.1\r\nHost: %s\r\nX-Slow: ", r.addr); err != nil {
			t.Fatal(err)
		}
		rest := []byte(strings.Repeat("a", 500) + "\r\n\r\n")
		sent := make(chan int, 1)
		wg.Go(func() { sent <- rawhttp.Dribble(c, rest, 20*time.Millisecond, stop) })
		rawhttp.WaitClosed(t, c, 5*time.Second) // the dribble alone would take 10 s
		_ = c.Close()
		if n := <-sent; n == len(rest) {
			t.Error("the whole request was sent before the listener closed")
		}
	})
	t.Run("body dribbled a byte at a time", func(t *testing.T) {
		before := r.rejected()
		c := rawhttp.Dial(t, r.addr)
		if _, err := fmt.Fprintf(c, "POST /saml/acs HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: 500\r\n\r\nSAMLResponse=", r.addr, form); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { rawhttp.Dribble(c, []byte(strings.Repeat("b", 487)), 20*time.Millisecond, stop) })
		if a := rawhttp.Read(t, bufio.NewReader(c), http.MethodPost); a.Code != http.StatusRequestTimeout ||
			!strings.Contains(string(a.Body), "did not arrive in time") {
			t.Errorf("got %d %q, want 408 saying the body did not arrive in time", a.Code, a.Body)
		}
		rawhttp.WaitClosed(t, c, 5*time.Second)
		if n := r.rejected(); n != before+1 {
			t.Errorf("%d rejections audited, want %d", n, before+1)
		}
	})
	r.waiting(t)
	r.finish(t)
}

// While 64 slow connections are held open, the start link and the genuine
// answer are served and the login completes.
func TestACSProtectionManySlowConnections(t *testing.T) {
	r := startLogin(t, &serverLimits{ReadHeaderTimeout: time.Minute, ReadTimeout: time.Minute, WriteTimeout: time.Minute}, nil)
	conns := make([]net.Conn, 64)
	for i := range conns {
		conns[i] = rawhttp.Dial(t, r.addr)
		if _, err := fmt.Fprintf(conns[i], "POST /saml/acs HTTP/1.1\r\nHost: %s\r\nX-Slow: a", r.addr); err != nil {
			t.Fatal(err)
		}
	}
	r.authnRequest(t) // the start link answers
	if got := post(t, r.acs, junk(), nil); got.code != http.StatusForbidden {
		t.Errorf("a POST among slow connections: %d, want 403", got.code)
	}
	for i, c := range conns {
		if !rawhttp.StillOpen(c) {
			t.Fatalf("slow connection %d was closed early: the test proved nothing", i)
		}
	}
	r.finish(t) // returns once Login has shut the listener, slow connections and all
	for i, c := range conns {
		if rawhttp.StillOpen(c) {
			t.Errorf("slow connection %d still open after the login ended", i)
		}
	}
}
