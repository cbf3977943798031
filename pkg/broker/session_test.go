package broker

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestSessionRenewalPolicy(t *testing.T) {
	hour := testSession() // issued at t0, expires at t0+1h
	short := testSession()
	short.Expiration = short.IssuedAt.Add(60 * time.Second)
	tests := []struct {
		name                 string
		s                    *Session
		now                  time.Time
		fresh, usable, valid bool
		remaining            time.Duration
	}{
		{"new hour", hour, t0, true, true, true, time.Hour},
		{"hour at advisory window", hour, t0.Add(45 * time.Minute), false, true, true, 15 * time.Minute},
		{"hour just before it", hour, t0.Add(44 * time.Minute), true, true, true, 16 * time.Minute},
		{"hour with a minute left", hour, t0.Add(59 * time.Minute), false, false, true, time.Minute},
		{"hour expired", hour, t0.Add(2 * time.Hour), false, false, false, 0},
		{"60 s new", short, t0, true, true, true, 60 * time.Second},
		{"60 s past half", short, t0.Add(31 * time.Second), false, true, true, 29 * time.Second},
		{"60 s in last quarter", short, t0.Add(46 * time.Second), false, false, true, 14 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Fresh(tt.now); got != tt.fresh {
				t.Errorf("Fresh = %v, want %v", got, tt.fresh)
			}
			if got := tt.s.Usable(tt.now); got != tt.usable {
				t.Errorf("Usable = %v, want %v", got, tt.usable)
			}
			if got := tt.s.Valid(tt.now); got != tt.valid {
				t.Errorf("Valid = %v, want %v", got, tt.valid)
			}
			if got := tt.s.Remaining(tt.now); got != tt.remaining {
				t.Errorf("Remaining = %v, want %v", got, tt.remaining)
			}
		})
	}
	if (&Session{Expiration: t0.Add(time.Hour)}).Valid(t0) {
		t.Error("session without credentials is valid")
	}
	var nilSession *Session
	if nilSession.Valid(t0) || nilSession.Remaining(t0) != 0 {
		t.Error("nil session is valid or has time left")
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
