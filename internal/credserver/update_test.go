package credserver

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestUpdateKeepsLaterExpiry(t *testing.T) {
	a := testCreds(1, t0.Add(time.Hour))
	b := testCreds(2, t0.Add(2*time.Hour))
	sameExpiry := testCreds(3, t0.Add(2*time.Hour))
	cases := []struct {
		name    string
		updates []Credentials
		changed []bool
		want    Credentials
	}{
		{"first", []Credentials{a}, []bool{true}, a},
		{"later replaces", []Credentials{a, b}, []bool{true, true}, b},
		{"stale re-read kept out", []Credentials{b, a}, []bool{true, false}, b},
		{"same credentials again", []Credentials{a, a}, []bool{true, false}, a},
		{"same expiry keeps the first", []Credentials{b, sameExpiry}, []bool{true, false}, b},
		{"no key id", []Credentials{a, {SecretAccessKey: "s", Expiration: t0.Add(9 * time.Hour)}}, []bool{true, false}, a},
		{"no secret", []Credentials{a, {AccessKeyID: "k", Expiration: t0.Add(9 * time.Hour)}}, []bool{true, false}, a},
		{"no expiration", []Credentials{a, {AccessKeyID: "k", SecretAccessKey: "s"}}, []bool{true, false}, a},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := start(t, Options{})
			if _, ok := s.Current(); ok {
				t.Fatal("Current before Update reports credentials")
			}
			for i, c := range tc.updates {
				if got := s.Update(c); got != tc.changed[i] {
					t.Errorf("Update #%d = %v, want %v", i, got, tc.changed[i])
				}
			}
			if got, ok := s.Current(); !ok || got != tc.want {
				t.Errorf("Current = %v %v, want %v", got, ok, tc.want)
			}
		})
	}
}

// Every answer seen while Update runs concurrently is one whole set of
// credentials, never a mix, and expiries seen by one client never go back.
func TestConcurrentUpdateAndServe(t *testing.T) {
	s, _, _ := start(t, Options{})
	credsN := func(n int) Credentials {
		return Credentials{
			AccessKeyID:     fmt.Sprintf("ASIA%06d", n),
			SecretAccessKey: fmt.Sprintf("secret-%06d", n),
			SessionToken:    fmt.Sprintf("token-%06d", n),
			Expiration:      t0.Add(time.Duration(n+1) * time.Minute),
		}
	}
	s.Update(credsN(0))
	const updates, clients, each = 300, 8, 60
	var wg sync.WaitGroup
	wg.Go(func() {
		for n := 1; n <= updates; n++ {
			s.Update(credsN(n))
			s.Update(credsN(n - 1)) // a stale re-read racing with the fresh one
		}
	})
	for range clients {
		wg.Go(func() {
			c := newClient(t)
			var last time.Time
			for range each {
				a := fetch(t, c, s, nil)
				var got containerCredentials
				if a.code != http.StatusOK || json.Unmarshal(a.body, &got) != nil {
					t.Errorf("status %d body %s", a.code, a.body)
					return
				}
				var n int
				if _, err := fmt.Sscanf(got.AccessKeyID, "ASIA%06d", &n); err != nil {
					t.Errorf("key id %q: %v", got.AccessKeyID, err)
					return
				}
				want := credsN(n)
				exp, _ := time.Parse(time.RFC3339, got.Expiration)
				if got.SecretAccessKey != want.SecretAccessKey || got.Token != want.SessionToken || !exp.Equal(want.Expiration) {
					t.Errorf("mixed answer: %+v", got)
				}
				if exp.Before(last) {
					t.Errorf("expiry went back from %v to %v", last, exp)
				}
				last = exp
			}
		})
	}
	wg.Wait()
	if got, _ := s.Current(); got != credsN(updates) {
		t.Errorf("Current = %v, want the last update", got)
	}
	if st := s.Stats(); st.Served != clients*each {
		t.Errorf("Served = %d, want %d", st.Served, clients*each)
	}
}

// Neither the token (right or wrong), nor a secret reaches the log, at the
// most verbose level, whatever the server refuses or serves.
func TestSecretsNeverLogged(t *testing.T) {
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var lookups atomic.Int32
	s, fake, _ := start(t, Options{Log: log, peerUID: func(client, server netip.AddrPort) (uint32, error) {
		if lookups.Add(1) == 2 {
			return 4242, nil // the second connection belongs to someone else
		}
		return currentUID(), nil
	}})
	creds := testCreds(0, t0.Add(time.Hour))
	s.Update(creds)
	s.Update(Credentials{AccessKeyID: creds.AccessKeyID, SessionToken: creds.SessionToken, Expiration: t0.Add(5 * time.Hour)})
	c := newClient(t)
	wrong := "wrong-" + s.Token()[:30]
	fetch(t, c, s, nil)
	fetch(t, c, s, func(r *http.Request) { r.Header.Set("Authorization", wrong) })
	fetch(t, c, s, func(r *http.Request) { r.Host = "evil.example:1" })
	fetch(t, c, s, func(r *http.Request) { r.Method = http.MethodPost })
	fetch(t, c, s, func(r *http.Request) { r.URL.RawQuery = "token=" + s.Token() })
	fetch(t, newClient(t), s, nil) // the foreign connection
	fake.Advance(2 * time.Hour)
	fetch(t, c, s, nil)
	_ = s.Close()

	out := logs.String()
	if !strings.Contains(out, "refused") || !strings.Contains(out, "expired") {
		t.Fatalf("expected refusal and expiry lines in the log:\n%s", out)
	}
	for name, secret := range map[string]string{
		"token": s.Token(), "wrong token": wrong, "secret key": creds.SecretAccessKey,
		"session token": creds.SessionToken, "access key id": creds.AccessKeyID,
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the %s appears in the log:\n%s", name, out)
		}
	}
}
