package login

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A burst of junk POSTs from 64 goroutines, over keep-alive and new
// connections, of every kind a web page or a local user could send: each
// is refused and audited, the login neither ends nor stops listening, and
// the genuine answer afterwards still wins.
func TestACSProtectionBurst(t *testing.T) {
	r := startLogin(t, nil, nil)
	req := r.authnRequest(t) // the person's browser is at the IdP
	stale := r.f.good(req.ID)
	stale.Now = r.f.clk.Now().Add(-time.Hour)
	kinds := []struct {
		name, contentType, body string
		want                    int
	}{
		{"junk", form, junk().Encode(), http.StatusForbidden},
		{"not base64", form, url.Values{"SAMLResponse": {"%%%"}}.Encode(), http.StatusForbidden},
		{"no SAMLResponse", form, "RelayState=x", http.StatusBadRequest},
		{"not a form", "application/json", `{"SAMLResponse":"x"}`, http.StatusUnsupportedMediaType},
		{"answer to another request", form, url.Values{"SAMLResponse": {r.f.build(t, r.f.good("id-other"))}, "RelayState": {req.RelayState}}.Encode(), http.StatusForbidden},
		{"stale answer to this request", form, url.Values{"SAMLResponse": {r.f.build(t, stale)}, "RelayState": {req.RelayState}}.Encode(), http.StatusForbidden},
	}

	const workers, each = 64, 10
	var sent atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		tr := &http.Transport{Proxy: nil, DisableKeepAlives: w%2 == 1}
		c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		wg.Go(func() {
			defer tr.CloseIdleConnections()
			for i := range each {
				k := kinds[(w+i)%len(kinds)]
				resp, err := c.Post(r.acs, k.contentType, strings.NewReader(k.body))
				if err != nil {
					t.Errorf("%s: %v", k.name, err)
					continue
				}
				_ = resp.Body.Close()
				sent.Add(1)
				if resp.StatusCode != k.want {
					t.Errorf("%s: status %d, want %d", k.name, resp.StatusCode, k.want)
				}
			}
		})
	}
	wg.Wait()
	r.waiting(t)
	if n := r.rejected(); int64(n) != sent.Load() || n != workers*each {
		t.Errorf("%d rejections audited for %d junk POSTs, want %d", n, sent.Load(), workers*each)
	}
	if !strings.Contains(r.status.String(), "Refused a SAML response") {
		t.Error("the refusals were not reported on the terminal")
	}
	r.finish(t)
	if n := len(r.audit.find("assertion.accepted")); n != 1 {
		t.Errorf("%d assertion.accepted events, want 1", n)
	}
}
