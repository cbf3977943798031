package credserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServeCredentials(t *testing.T) {
	s, fake, _ := start(t, Options{})
	c := newClient(t)
	creds := testCreds(0, t0.Add(time.Hour).In(time.FixedZone("CET", 3600)))
	if !s.Update(creds) {
		t.Fatal("first Update reported no change")
	}
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || !strings.HasSuffix(s.URL(), "/credentials") {
		t.Errorf("URL = %q", s.URL())
	}

	a := fetch(t, c, s, nil)
	if a.code != http.StatusOK {
		t.Fatalf("status = %d, body %s", a.code, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var got map[string]any
	if err := json.Unmarshal(a.body, &got); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	want := map[string]any{
		"AccessKeyId":     creds.AccessKeyID,
		"SecretAccessKey": creds.SecretAccessKey,
		"Token":           creds.SessionToken,
		"Expiration":      "2026-11-29T13:00:00Z",
	}
	if !maps.Equal(got, want) {
		t.Errorf("body = %v, want %v", got, want)
	}
	if exp, err := time.Parse(time.RFC3339, got["Expiration"].(string)); err != nil || !exp.Equal(creds.Expiration) {
		t.Errorf("Expiration %v does not parse back to %v (%v)", got["Expiration"], creds.Expiration, err)
	}
	st := s.Stats()
	if st.Served != 1 || len(st.Refused) != 0 || !st.LastServed.Equal(fake.Now()) {
		t.Errorf("Stats = %+v", st)
	}
}

func TestNotReadyAndExpired(t *testing.T) {
	var last []Credentials
	s, fake, _ := start(t, Options{Expired: func(c Credentials) string {
		last = append(last, c)
		return "ptsaml: the AWS session of profile dev ended at " + c.Expiration.Format("15:04") + " UTC; run `ptsaml login --profile dev` and the job continues"
	}})
	c := newClient(t)

	a := fetch(t, c, s, nil)
	if a.code != http.StatusServiceUnavailable || !strings.Contains(string(a.body), `"code":"CredentialsNotReady"`) {
		t.Fatalf("before Update: %d %s", a.code, a.body)
	}

	first := testCreds(1, t0.Add(time.Hour))
	s.Update(first)
	fake.Advance(time.Hour - time.Second)
	if a := fetch(t, c, s, nil); a.code != http.StatusOK {
		t.Fatalf("a second before expiry: %d %s", a.code, a.body)
	}
	fake.Advance(time.Second)
	a = fetch(t, c, s, nil)
	var e errorBody
	if err := json.Unmarshal(a.body, &e); err != nil || a.code != http.StatusServiceUnavailable {
		t.Fatalf("at expiry: %d %s (%v)", a.code, a.body, err)
	}
	want := errorBody{Code: "ExpiredCredentials", Message: "ptsaml: the AWS session of profile dev ended at 13:00 UTC; run `ptsaml login --profile dev` and the job continues"}
	if e != want {
		t.Errorf("expired body = %+v, want %+v", e, want)
	}
	if len(last) != 1 || last[0] != first {
		t.Errorf("Expired called with %v, want [%v]", last, first)
	}

	s.Update(testCreds(2, t0.Add(2*time.Hour)))
	if a := fetch(t, c, s, nil); a.code != http.StatusOK {
		t.Fatalf("after a new Update: %d %s", a.code, a.body)
	}
	if st := s.Stats(); st.Refused[ReasonNotReady] != 1 || st.Refused[ReasonExpired] != 1 || st.Served != 2 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestDefaultExpiredMessage(t *testing.T) {
	s, fake, _ := start(t, Options{})
	s.Update(testCreds(0, t0.Add(5*time.Minute)))
	fake.Advance(time.Hour)
	a := fetch(t, newClient(t), s, nil)
	if a.code != http.StatusServiceUnavailable || !strings.Contains(string(a.body), "expired at 12:05 UTC") ||
		!strings.Contains(string(a.body), "ptsaml login") {
		t.Errorf("got %d %s", a.code, a.body)
	}
}

func TestToken(t *testing.T) {
	s1, _, _ := start(t, Options{})
	s2, _, _ := start(t, Options{})
	for _, s := range []*Server{s1, s2} {
		raw, err := base64.RawURLEncoding.DecodeString(s.Token())
		if err != nil || len(raw) != 32 {
			t.Errorf("token %d chars does not decode to 32 bytes (%d, %v)", len(s.Token()), len(raw), err)
		}
	}
	if s1.Token() == s2.Token() {
		t.Error("two servers share a token")
	}
}

func TestLoopbackOnly(t *testing.T) {
	cases := []struct {
		addr, wantPrefix string
	}{
		{"", "http://127.0.0.1:"},
		{"localhost:0", "http://127.0.0.1:"},
		{"127.0.0.1:0", "http://127.0.0.1:"},
		{"0.0.0.0:0", ""},
		{":0", ""},
		{"192.0.2.1:0", ""},
		{"example.com:0", ""},
		{"127.0.0.1", ""},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			s, err := Start(context.Background(), Options{Addr: tc.addr})
			if tc.wantPrefix == "" {
				if err == nil {
					_ = s.Close()
					t.Fatalf("Start(%q) accepted a non-loopback address", tc.addr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = s.Close() }()
			if !strings.HasPrefix(s.URL(), tc.wantPrefix) {
				t.Errorf("URL = %q", s.URL())
			}
		})
	}
}

func TestStopsWithContextAndClose(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr().String()
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		_ = conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still accepts connections after its context ended")
		}
		time.Sleep(time.Millisecond) // waiting for the AfterFunc goroutine, not for time to pass
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after cancel: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestRefusalBodiesAreJSON(t *testing.T) {
	for _, r := range []reply{replyHost, replyPeer, replyPath, replyMethod, replyToken, replyNotReady} {
		var e errorBody
		if err := json.Unmarshal(r.body, &e); err != nil || e.Code == "" || !strings.HasPrefix(e.Message, "ptsaml: ") {
			t.Errorf("reply %s: %+v %v", r.body, e, err)
		}
	}
}

// Started with a context that has already ended, the server stops at once
// and Close still works (the stop callback may run before Start returns).
func TestStartWithEndedContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 20 {
		s, err := Start(ctx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
}
