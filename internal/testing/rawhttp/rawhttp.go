// Package rawhttp sends HTTP/1.1 requests byte for byte over plain TCP, for
// tests of loopback servers against what http.Client would never send: a
// Host of any spelling or none, oversized headers, a body announced and not
// sent, a request dribbled a byte at a time.
package rawhttp

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// Dial opens a plain TCP connection to addr. It is closed when the test
// ends, and no read or write on it blocks past 10 s.
func Dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// Answer is one answer read off a connection.
type Answer struct {
	Code   int
	Header http.Header
	Body   []byte
	Close  bool // the answer said Connection: close
}

// Exchange sends req as it is over a new connection and reads the answer.
func Exchange(t testing.TB, addr, req string) Answer {
	t.Helper()
	c := Dial(t, addr)
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write request: %v", err)
	}
	method, _, _ := strings.Cut(req, " ")
	return Read(t, bufio.NewReader(c), method)
}

// Read reads the answer to a request with method (HEAD answers carry no
// body).
func Read(t testing.TB, r *bufio.Reader, method string) Answer {
	t.Helper()
	resp, err := http.ReadResponse(r, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer body: %v", err)
	}
	return Answer{Code: resp.StatusCode, Header: resp.Header, Body: body, Close: resp.Close}
}

// WaitClosed reads (and drops) whatever the server still sends until it
// closes c, and fails the test unless that happens within d.
func WaitClosed(t testing.TB, c net.Conn, d time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept the connection open for more than %s", d)
	}
}

// StillOpen reports whether the server has not closed c, allowing it 20 ms
// to do so. It reads from c: use it only on a connection whose answer
// matters no more.
func StillOpen(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	var b [1]byte
	_, err := c.Read(b[:])
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// Dribble writes b one byte per tick until it is all sent, a write fails
// or stop is closed, and returns how many bytes it wrote.
func Dribble(c net.Conn, b []byte, tick time.Duration, stop <-chan struct{}) int {
	t := time.NewTicker(tick)
	defer t.Stop()
	for i := range b {
		select {
		case <-stop:
			return i
		case <-t.C:
		}
		if _, err := c.Write(b[i : i+1]); err != nil {
			return i
		}
	}
	return len(b)
}
