package credstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringAPI is the part of github.com/zalando/go-keyring the keyring backend uses.
// Calls may block for a long time (a D-Bus prompt, a hung daemon); the store bounds each
// one with its timeout. Get and Delete return keyring.ErrNotFound for absent entries.
type KeyringAPI interface {
	Set(service, user, password string) error
	Get(service, user string) (string, error)
	Delete(service, user string) error
}

// OSKeyring is the OS keyring (Keychain, Secret Service, Credential Manager) through
// go-keyring's package functions.
type OSKeyring struct{}

// Set calls keyring.Set.
func (OSKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}

// Get calls keyring.Get.
func (OSKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }

// Delete calls keyring.Delete.
func (OSKeyring) Delete(service, user string) error { return keyring.Delete(service, user) }

// storeHint tells people how to get going when the keyring is out of reach.
const storeHint = "choose the file store instead: --store file, store: file in the profile, or PTSAML_STORE=file"

func unavailable(op string, cause error) error {
	return fmt.Errorf("%s: %w: the OS keyring is not reachable (%w); %s", op, ErrUnavailable, cause, storeHint)
}

type callResult struct {
	val string
	err error
}

// unsettledError is a keyring call that the store stopped waiting for (the caller's
// context ended, or the call timed out) and that may still take effect.
type unsettledError struct {
	error
	result   <-chan callResult // receives go-keyring's answer once it comes
	timedOut bool
}

func (e *unsettledError) Unwrap() error { return e.error }

// settle returns go-keyring's answer to the call, raw. It waits for it until ctx ends
// when the caller had given up, and not at all when the call timed out (the keyring is
// stuck); ok is false when there is no answer yet.
func (e *unsettledError) settle(ctx context.Context) (r callResult, ok bool) {
	if e.timedOut {
		select {
		case r = <-e.result:
			return r, true
		default:
			return r, false
		}
	}
	select {
	case r = <-e.result:
		return r, true
	case <-ctx.Done():
		return r, false
	}
}

// call runs fn in a goroutine and waits for it, the per-call timeout or ctx, whichever
// comes first. A timeout or a keyring error other than "not found" or "too big" becomes
// ErrUnavailable; keyring.ErrNotFound becomes ErrNotFound; the end of ctx is returned as
// ctx.Err() (the caller gave up, the keyring may be fine). A call that timed out or was
// given up keeps running in the background until go-keyring returns; its error is an
// *unsettledError, through which the answer can still be had.
func (s *KeyringStore) call(ctx context.Context, op string, fn func(KeyringAPI) (string, error)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	api := s.API
	if api == nil {
		api = OSKeyring{}
	}
	timeout := s.timeout()
	done := make(chan callResult, 1) // buffered: a late answer never blocks the goroutine
	go func() {
		v, err := fn(api)
		done <- callResult{v, err}
	}()
	var expired <-chan time.Time
	if s.after != nil {
		expired = s.after(timeout)
	} else {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case r := <-done:
		switch {
		case r.err == nil:
			return r.val, nil
		case errors.Is(r.err, keyring.ErrNotFound):
			return "", fmt.Errorf("%s: %w", op, ErrNotFound)
		case errors.Is(r.err, keyring.ErrSetDataTooBig):
			return "", fmt.Errorf("%s: %w", op, r.err)
		default:
			return "", unavailable(op, r.err)
		}
	case <-expired:
		return "", &unsettledError{unavailable(op, fmt.Errorf("no answer within %s", timeout)), done, true}
	case <-ctx.Done():
		return "", &unsettledError{fmt.Errorf("%s: %w", op, ctx.Err()), done, false}
	}
}

func (s *KeyringStore) kget(ctx context.Context, user string) (string, error) {
	return s.call(ctx, "read keyring entry "+quote(user), func(k KeyringAPI) (string, error) {
		return k.Get(s.service(), user)
	})
}

func (s *KeyringStore) kset(ctx context.Context, user, val string) error {
	_, err := s.call(ctx, "write keyring entry "+quote(user), func(k KeyringAPI) (string, error) {
		return "", k.Set(s.service(), user, val)
	})
	return err
}

// kdel deletes one entry; an absent entry is not an error.
func (s *KeyringStore) kdel(ctx context.Context, user string) error {
	_, err := s.call(ctx, "delete keyring entry "+quote(user), func(k KeyringAPI) (string, error) {
		return "", k.Delete(s.service(), user)
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
