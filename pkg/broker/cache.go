package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ptsaml/ptsaml/internal/credstore"
)

// ErrNoSession means no session is cached for the profile.
var ErrNoSession = errors.New("no cached credentials")

// ErrDamaged means the profile's cache entry exists but cannot be used: it is
// not a session ptsaml wrote, or parts of it are missing. Errors matching it
// are *DamagedError. An expired session is not damaged.
var ErrDamaged = errors.New("stored credentials are damaged")

// DamagedError is a cache entry that cannot be used, and why. Its message is
// one line that says to log out and in again; it never quotes the entry.
type DamagedError struct {
	Profile string
	Reason  string // e.g. "truncated JSON", "missing SessionToken"
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("stored credentials for profile %s are damaged (%s): run `ptsaml logout --profile %s` and log in again",
		e.Profile, e.Reason, e.Profile)
}

// Is makes a *DamagedError match ErrDamaged.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// Store is a byte-level secret store (internal/credstore satisfies it). Get
// returns an error matching credstore.ErrNotFound when the key is absent; Set
// is atomic; Delete of an absent key is not an error.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte) error
	Delete(ctx context.Context, key string) error
	Name() string
}

// Cache keeps one Session per profile in Store under the key "profile:<name>".
type Cache struct {
	Store Store
	// Clock stamps IssuedAt on sessions saved without one; nil means the wall clock.
	Clock Clock
}

func cacheKey(profile string) string { return "profile:" + profile }

// Load returns the cached session of profile, expired or not (use
// Session.Fresh). An absent entry is an error matching ErrNoSession; an entry
// that cannot be used is a *DamagedError telling the person to log out.
func (c Cache) Load(ctx context.Context, profile string) (*Session, error) {
	if c.Store == nil {
		return nil, errors.New("load cached credentials: no store configured")
	}
	b, err := c.Store.Get(ctx, cacheKey(profile))
	if errors.Is(err, credstore.ErrNotFound) {
		return nil, fmt.Errorf("load cached credentials for profile %q: %w", profile, ErrNoSession)
	}
	var de *credstore.DamagedError
	if errors.As(err, &de) {
		return nil, &DamagedError{Profile: profile, Reason: de.Reason + " in the " + de.Store}
	}
	if err != nil {
		return nil, fmt.Errorf("load cached credentials for profile %q: %w", profile, err)
	}
	s, why := decodeSession(b, profile)
	if why != "" {
		return nil, &DamagedError{Profile: profile, Reason: why}
	}
	return s, nil
}

// decodeSession reads a stored session, or says in a few words why it cannot.
// The decoder's own message is left out: it may quote the entry.
func decodeSession(b []byte, profile string) (*Session, string) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, "empty entry"
	}
	var s Session
	if err := json.Unmarshal(b, &s); err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.As(err, &syn) && syn.Offset >= int64(len(b)), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, "truncated JSON"
		case errors.As(err, &syn):
			return nil, "not JSON"
		default:
			return nil, "JSON of the wrong shape"
		}
	}
	var missing []string
	for _, f := range []struct {
		name  string
		empty bool
	}{
		{"AccessKeyId", s.AccessKeyID == ""}, {"SecretAccessKey", s.SecretAccessKey == ""},
		{"SessionToken", s.SessionToken == ""}, {"Expiration", s.Expiration.IsZero()},
	} {
		if f.empty {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, "missing " + strings.Join(missing, ", ")
	}
	if s.Profile != "" && s.Profile != profile {
		return nil, "the entry belongs to another profile"
	}
	s.Profile = profile
	return &s, ""
}

// Save stores s under its Profile and records the store's name in s.Store.
func (c Cache) Save(ctx context.Context, s *Session) error {
	if c.Store == nil {
		return errors.New("save credentials: no store configured")
	}
	if s == nil || s.Profile == "" {
		return errors.New("save credentials: session has no profile")
	}
	s.Store = c.Store.Name()
	if s.IssuedAt.IsZero() {
		s.IssuedAt = now(c.Clock)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save credentials for profile %q: encode: %w", s.Profile, err)
	}
	if err := c.Store.Set(ctx, cacheKey(s.Profile), b); err != nil {
		return fmt.Errorf("save credentials for profile %q in %s store: %w", s.Profile, c.Store.Name(), err)
	}
	return nil
}

// Delete removes the cached session of profile; an absent one is not an error.
func (c Cache) Delete(ctx context.Context, profile string) error {
	if c.Store == nil {
		return errors.New("delete cached credentials: no store configured")
	}
	if err := c.Store.Delete(ctx, cacheKey(profile)); err != nil && !errors.Is(err, credstore.ErrNotFound) {
		return fmt.Errorf("delete cached credentials: %w", err)
	}
	return nil
}
