package credserver

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkServe measures whole requests over real loopback HTTP with
// keep-alive clients, GOMAXPROCS×-cpu goroutines at a time (-cpu 1,16,64
// for the usual levels). The peer check runs once per connection.
func BenchmarkServe(b *testing.B) {
	s, _, _ := start(b, Options{Clock: wallClock{}})
	s.Update(testCreds(0, time.Now().Add(time.Hour)))
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1024}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, err := http.NewRequest(http.MethodGet, s.URL(), nil)
		if err != nil {
			b.Error(err)
			return
		}
		req.Header.Set("Authorization", s.Token())
		for pb.Next() {
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	if got := s.Stats().Served; got < uint64(b.N) {
		b.Errorf("Served = %d, want at least %d", got, b.N)
	}
}

// BenchmarkHandler is the server's own share of a request: the checks and
// the write, without sockets or the HTTP parser.
func BenchmarkHandler(b *testing.B) {
	s, _, _ := start(b, Options{Clock: wallClock{}, AllowOtherUsers: true})
	s.Update(testCreds(0, time.Now().Add(time.Hour)))
	req, err := http.NewRequest(http.MethodGet, s.URL(), nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", s.Token())
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		s.ServeHTTP(w, req)
	}
	if w.code != http.StatusOK {
		b.Fatalf("status %d", w.code)
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(code int)        { d.code = code }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
