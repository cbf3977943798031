package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/clock"
	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/pkg/login"
)

// memStore is a map-based Store for tests.
type memStore struct {
	mu     sync.Mutex
	m      map[string][]byte
	getErr error
}

func newMemStore() *memStore { return &memStore{m: map[string][]byte{}} }

func (s *memStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.getErr != nil {
		return nil, s.getErr
	}
	v, ok := s.m[key]
	if !ok {
		return nil, credstore.ErrNotFound
	}
	return append([]byte(nil), v...), nil
}

func (s *memStore) Set(_ context.Context, key string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = append([]byte(nil), v...)
	return nil
}

func (s *memStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}

func (s *memStore) Name() string { return "memory" }

func testSession() *Session {
	return &Session{
		AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, SessionToken: testSessionToken,
		Expiration: t0.Add(time.Hour), Profile: "dev", RoleARN: trainRole.RoleARN, PrincipalARN: trainRole.PrincipalARN,
		AssumedRoleARN: testAssumedRole, Account: "123456789012", RoleSessionName: "alice@example.com",
		NameID: "alice@example.com", Issuer: "https://idp.example.com/saml", SourceIdentity: "alice",
		Roles: []login.RolePair{trainRole, readRole}, IssuedAt: t0,
	}
}

func TestCacheRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := newMemStore()
	c := Cache{Store: st, Clock: clock.NewFake(t0)}
	if _, err := c.Load(ctx, "dev"); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Load before Save: err = %v, want ErrNoSession", err)
	}
	in := testSession()
	if err := c.Save(ctx, in); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if _, ok := st.m["profile:dev"]; !ok || len(st.m) != 1 {
		t.Fatalf("store keys = %v, want only profile:dev", st.m)
	}
	if strings.Contains(string(st.m["profile:dev"]), testAssertion[:40]) {
		t.Error("stored session contains the assertion")
	}
	got, err := c.Load(ctx, "dev")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := testSession()
	want.Store = "memory"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %+v\nwant %+v", got, want)
	}
	if err := c.Delete(ctx, "dev"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := c.Load(ctx, "dev"); !errors.Is(err, ErrNoSession) {
		t.Errorf("Load after Delete: err = %v, want ErrNoSession", err)
	}
	if err := c.Delete(ctx, "dev"); err != nil {
		t.Errorf("Delete of absent session: %v", err)
	}
}

func TestCacheSaveStampsIssuedAt(t *testing.T) {
	c := Cache{Store: newMemStore(), Clock: clock.NewFake(t0.Add(time.Minute))}
	s := testSession()
	s.IssuedAt = time.Time{}
	if err := c.Save(context.Background(), s); err != nil {
		t.Fatalf("Save: %v", err)
	}
	if !s.IssuedAt.Equal(t0.Add(time.Minute)) || s.Store != "memory" {
		t.Errorf("IssuedAt = %v, Store = %q; want clock time and memory", s.IssuedAt, s.Store)
	}
	if err := c.Save(context.Background(), &Session{AccessKeyID: "x"}); err == nil {
		t.Error("Save without profile succeeded")
	}
}

func TestCacheLoadErrors(t *testing.T) {
	valid, _ := json.Marshal(testSession())
	damagedKeyring := &credstore.DamagedError{Store: "keyring", Key: "profile:dev", Reason: "chunk 2 of 3 is missing"}
	tests := []struct {
		name     string
		stored   string
		getErr   error
		want     string
		damaged  bool
		notFound bool
	}{
		{name: "garbage bytes", stored: "\x00\xff\x13garbage" + testSecretKey, damaged: true,
			want: "stored credentials for profile dev are damaged (not JSON): run `ptsaml logout --profile dev` and log in again"},
		{name: "not JSON", stored: "{" + testSecretKey, damaged: true, want: "(not JSON)"},
		{name: "truncated JSON", stored: string(valid[:len(valid)/2]), damaged: true, want: "(truncated JSON)"},
		{name: "empty", stored: " \n", damaged: true, want: "(empty entry)"},
		{name: "null", stored: "null", damaged: true, want: "(missing AccessKeyId, SecretAccessKey, SessionToken, Expiration)"},
		{name: "wrong shape", stored: `["AccessKeyId"]`, damaged: true, want: "(JSON of the wrong shape)"},
		{name: "no credentials", stored: `{"Profile":"dev"}`, damaged: true, want: "missing AccessKeyId"},
		{name: "no session token", stored: strings.Replace(string(valid), testSessionToken, "", 1), damaged: true, want: "(missing SessionToken)"},
		{name: "another profile's entry", stored: strings.Replace(string(valid), `"Profile":"dev"`, `"Profile":"prod"`, 1), damaged: true, want: "belongs to another profile"},
		{name: "keyring chunk missing", getErr: fmt.Errorf("keyring get: %w", damagedKeyring), damaged: true,
			want: "stored credentials for profile dev are damaged (chunk 2 of 3 is missing in the keyring): run `ptsaml logout --profile dev`"},
		{name: "store failure", getErr: credstore.ErrUnavailable, want: "keyring not available"},
		{name: "wrapped not-found", getErr: errors.Join(errors.New("keyring"), credstore.ErrNotFound), notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore()
			st.m["profile:dev"] = []byte(tt.stored)
			st.getErr = tt.getErr
			_, err := Cache{Store: st}.Load(context.Background(), "dev")
			if errors.Is(err, ErrNoSession) != tt.notFound || errors.Is(err, ErrDamaged) != tt.damaged {
				t.Fatalf("err = %v; ErrNoSession want %v, ErrDamaged want %v", err, tt.notFound, tt.damaged)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line with %q", err, tt.want)
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}

// An expired session is a session: Load returns it, and nothing calls it damaged.
func TestCacheLoadExpiredIsNotDamaged(t *testing.T) {
	st := newMemStore()
	c := Cache{Store: st, Clock: clock.NewFake(t0)}
	in := testSession()
	in.Expiration = t0.Add(-24 * time.Hour)
	if err := c.Save(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	got, err := c.Load(context.Background(), "dev")
	if err != nil || got.Usable(t0) || !got.Expiration.Equal(in.Expiration) {
		t.Fatalf("Load of an expired session = %+v, %v; want it, unusable", got, err)
	}
}
