package broker

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestSessionFreshRemaining(t *testing.T) {
	s := testSession() // expires at t0+1h
	tests := []struct {
		now       time.Time
		margin    time.Duration
		fresh     bool
		remaining time.Duration
	}{
		{t0, 15 * time.Minute, true, time.Hour},
		{t0.Add(45 * time.Minute), 15 * time.Minute, false, 15 * time.Minute},
		{t0.Add(44 * time.Minute), 15 * time.Minute, true, 16 * time.Minute},
		{t0.Add(2 * time.Hour), 0, false, 0},
	}
	for _, tt := range tests {
		if got := s.Fresh(tt.now, tt.margin); got != tt.fresh {
			t.Errorf("Fresh(%v, %v) = %v, want %v", tt.now, tt.margin, got, tt.fresh)
		}
		if got := s.Remaining(tt.now); got != tt.remaining {
			t.Errorf("Remaining(%v) = %v, want %v", tt.now, got, tt.remaining)
		}
	}
	if (&Session{Expiration: t0.Add(time.Hour)}).Fresh(t0, 0) {
		t.Error("session without credentials is fresh")
	}
	var nilSession *Session
	if nilSession.Fresh(t0, 0) || nilSession.Remaining(t0) != 0 {
		t.Error("nil session is fresh or has time left")
	}
}

func TestCredentialProcessJSON(t *testing.T) {
	s := testSession()
	s.Expiration = time.Date(2026, 11, 29, 20, 0, 0, 0, time.FixedZone("CET", 3600))
	b, err := CredentialProcessJSON(s)
	if err != nil {
		t.Fatalf("CredentialProcessJSON: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	want := map[string]any{"Version": float64(1), "AccessKeyId": testAccessKey, "SecretAccessKey": testSecretKey,
		"SessionToken": testSessionToken, "Expiration": "2026-11-29T19:00:00Z"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if _, err := CredentialProcessJSON(&Session{Expiration: t0}); err == nil {
		t.Error("session without credentials rendered")
	}
}
