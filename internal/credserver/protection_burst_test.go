package credserver

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A burst of 64 goroutines × 50 requests, over one shared keep-alive
// client, a keep-alive client each, or a new connection per request, with
// one request in five carrying a wrong token: every good request gets 200
// and exactly the job's credentials, every bad one 401, no request fails,
// and the server answers as before afterwards.
func TestProtectionBurst(t *testing.T) {
	s, _, logs := start(t, Options{})
	s.Update(testCreds(0, t0.Add(time.Hour)))
	first := fetch(t, newClient(t), s, nil)
	if first.code != http.StatusOK {
		t.Fatalf("status = %d before the burst", first.code)
	}
	wrong := "x" + s.Token()[1:]

	const workers, each = 64, 50
	shared := newClient(t)
	clients := make([]*http.Client, workers)
	for w := range clients {
		switch w % 3 {
		case 0:
			clients[w] = shared
		case 1:
			clients[w] = newClient(t)
		default:
			tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
			clients[w] = &http.Client{Transport: tr, Timeout: 5 * time.Second}
		}
	}
	var good, bad atomic.Uint64
	var wg sync.WaitGroup
	for w, c := range clients {
		wg.Go(func() {
			for i := range each {
				if (w+i)%5 == 0 {
					a := fetch(t, c, s, func(r *http.Request) { r.Header.Set("Authorization", wrong) })
					if a.code != http.StatusUnauthorized {
						t.Errorf("wrong token: status %d", a.code)
					}
					bad.Add(1)
					continue
				}
				a := fetch(t, c, s, nil)
				if a.code != http.StatusOK || !bytes.Equal(a.body, first.body) {
					t.Errorf("good request: status %d body %s", a.code, a.body)
				}
				good.Add(1)
			}
		})
	}
	wg.Wait()

	st := s.Stats()
	if good.Load()+bad.Load() != workers*each || bad.Load() != workers*each/5 {
		t.Errorf("sent %d good and %d bad requests, want %d in all, a fifth bad", good.Load(), bad.Load(), workers*each)
	}
	if st.Served != good.Load()+1 || st.Refused[ReasonToken] != bad.Load() || len(st.Refused) != 1 {
		t.Errorf("Stats = %+v, want %d served and %d refused for the token only", st, good.Load()+1, bad.Load())
	}
	if a := fetch(t, newClient(t), s, nil); a.code != http.StatusOK || !bytes.Equal(a.body, first.body) {
		t.Errorf("after the burst: status %d", a.code)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("errors logged during the burst:\n%s", logs)
	}
}
