package broker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

func TestEnsure(t *testing.T) {
	ctx := context.Background()
	cached := testSession() // issued t0, 1 h
	renewed := testSession()
	renewed.AccessKeyID = "ASIARENEWED000000000"
	renewed.IssuedAt, renewed.Expiration = t0.Add(50*time.Minute), t0.Add(110*time.Minute)
	tests := []struct {
		name      string
		now       time.Duration // after t0
		cached    bool
		canSignIn bool
		accept    func(*Session) bool
		wantKey   string
		wantErr   error
		signIns   int32
	}{
		{name: "fresh cache", now: 10 * time.Minute, cached: true, canSignIn: true, wantKey: cached.AccessKeyID},
		{name: "stale cache renews", now: 50 * time.Minute, cached: true, canSignIn: true, wantKey: renewed.AccessKeyID, signIns: 1},
		{name: "stale but usable without a way to sign in", now: 50 * time.Minute, cached: true, wantKey: cached.AccessKeyID},
		{name: "expired without a way to sign in", now: 61 * time.Minute, cached: true, wantErr: ErrLoginRequired},
		{name: "nothing cached without a way to sign in", wantErr: ErrLoginRequired},
		{name: "nothing cached signs in", canSignIn: true, wantKey: renewed.AccessKeyID, signIns: 1},
		{name: "another role signs in", now: 10 * time.Minute, cached: true, canSignIn: true,
			accept: func(s *Session) bool { return s.RoleARN == "arn:aws:iam::123456789012:role/Other" }, wantKey: renewed.AccessKeyID, signIns: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Cache{Store: newMemStore(), Clock: fixedClock{t0.Add(tc.now)}}
			if tc.cached {
				if err := c.Save(ctx, cached); err != nil {
					t.Fatal(err)
				}
			}
			var calls atomic.Int32
			o := EnsureOptions{Profile: "dev", LockDir: t.TempDir(), Accept: tc.accept}
			if tc.canSignIn {
				o.SignIn = func(context.Context) (*Session, error) { calls.Add(1); return renewed, nil }
			}
			got, err := c.Ensure(ctx, o)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && got.AccessKeyID != tc.wantKey {
				t.Fatalf("key = %s, want %s", got.AccessKeyID, tc.wantKey)
			}
			if calls.Load() != tc.signIns {
				t.Fatalf("sign-ins = %d, want %d", calls.Load(), tc.signIns)
			}
		})
	}
}

func TestEnsureSharesOneSignIn(t *testing.T) {
	ctx := context.Background()
	c := Cache{Store: newMemStore(), Clock: fixedClock{t0}}
	dir := t.TempDir()
	var calls atomic.Int32
	signIn := func(ctx context.Context) (*Session, error) {
		calls.Add(1)
		time.Sleep(50 * time.Millisecond) // hold the lock while the others queue up
		s := testSession()
		return s, c.Save(ctx, s)
	}
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Ensure(ctx, EnsureOptions{Profile: "dev", LockDir: dir, SignIn: signIn}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("32 callers made %d sign-ins, want 1", calls.Load())
	}
}

func TestEnsureWaiterDoesNotRetryAFailedSignIn(t *testing.T) {
	ctx := context.Background()
	c := Cache{Store: newMemStore(), Clock: fixedClock{t0}}
	dir := t.TempDir()
	holding := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int32
	var once sync.Once
	failing := func(context.Context) (*Session, error) {
		calls.Add(1)
		once.Do(func() { close(holding) })
		<-release
		return nil, errors.New("the IdP said no")
	}
	first := make(chan error, 1)
	go func() {
		_, err := c.Ensure(ctx, EnsureOptions{Profile: "dev", LockDir: dir, SignIn: failing})
		first <- err
	}()
	<-holding
	second := make(chan error, 1)
	go func() {
		_, err := c.Ensure(ctx, EnsureOptions{Profile: "dev", LockDir: dir, SignIn: failing})
		second <- err
	}()
	time.Sleep(100 * time.Millisecond) // let the second caller queue on the lock
	close(release)
	if err := <-first; err == nil {
		t.Fatal("the failing sign-in succeeded")
	}
	if err := <-second; !errors.Is(err, ErrLoginRequired) {
		t.Fatalf("waiter err = %v, want ErrLoginRequired", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("sign-ins = %d, want 1", calls.Load())
	}
}
