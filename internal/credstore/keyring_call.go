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

// call runs fn in a goroutine and waits for it, the per-call timeout or ctx, whichever
// comes first. A timeout or a keyring error other than "not found" or "too big" becomes
// ErrUnavailable; keyring.ErrNotFound becomes ErrNotFound; the end of ctx is returned as
// ctx.Err() (the caller gave up, the keyring may be fine). A call that timed out keeps
// running in the background until go-keyring returns; its result is dropped.
func (s *KeyringStore) call(ctx context.Context, op string, fn func(KeyringAPI) (string, error)) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	api := s.API
	if api == nil {
		api = OSKeyring{}
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
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
		return "", unavailable(op, fmt.Errorf("no answer within %s", timeout))
	case <-ctx.Done():
		return "", fmt.Errorf("%s: %w", op, ctx.Err())
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
