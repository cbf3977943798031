package credserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/clock"
	"github.com/ptsaml/ptsaml/internal/testing/syncbuf"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func testCreds(n int, exp time.Time) Credentials {
	return Credentials{
		AccessKeyID:     "ASIATESTKEY" + string(rune('A'+n%26)),
		SecretAccessKey: "secret/" + string(rune('a'+n%26)) + "/wJalrXUtnFEMI",
		SessionToken:    "FwoGZXIvYXdzE" + string(rune('a'+n%26)) + "session",
		Expiration:      exp,
	}
}

// start runs a server for the test with a fake clock at t0 and a log
// captured in the returned buffer.
func start(t testing.TB, o Options) (*Server, *clock.Fake, *syncBuffer) {
	t.Helper()
	fake := clock.NewFake(t0)
	if o.Clock == nil {
		o.Clock = fake
	}
	logs := &syncBuffer{}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, fake, logs
}

// newClient is a keep-alive client of its own, never proxied.
func newClient(t testing.TB) *http.Client {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 5 * time.Second}
}

type answer struct {
	code   int
	header http.Header
	body   []byte
}

// fetch sends a request to the server's URL with the right token, after
// edit has had its way with it. It may run on any goroutine: a failed
// request is reported and answers code 0.
func fetch(t testing.TB, c *http.Client, s *Server, edit func(*http.Request)) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL(), nil)
	if err != nil {
		t.Error(err)
		return answer{}
	}
	req.Header.Set("Authorization", s.Token())
	if edit != nil {
		edit(req)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("request: %v", err)
		return answer{}
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("read body: %v", err)
	}
	return answer{code: resp.StatusCode, header: resp.Header, body: body}
}

// syncBuffer is shared with the goroutines of the code under test.
type syncBuffer = syncbuf.Buffer
