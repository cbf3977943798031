package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ptsaml/ptsaml/internal/credstore"
)

// ErrNoSession means no session is cached for the profile.
var ErrNoSession = errors.New("no cached credentials")

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
// that cannot be decoded is an error telling the person to log out.
func (c Cache) Load(ctx context.Context, profile string) (*Session, error) {
	if c.Store == nil {
		return nil, errors.New("load cached credentials: no store configured")
	}
	b, err := c.Store.Get(ctx, cacheKey(profile))
	if errors.Is(err, credstore.ErrNotFound) {
		return nil, fmt.Errorf("load cached credentials for profile %q: %w", profile, ErrNoSession)
	}
	if err != nil {
		return nil, fmt.Errorf("load cached credentials for profile %q: %w", profile, err)
	}
	var s Session
	// The decoder's message is left out on purpose: it may quote the entry.
	if json.Unmarshal(b, &s) != nil || s.AccessKeyID == "" || s.Expiration.IsZero() ||
		(s.Profile != "" && s.Profile != profile) {
		return nil, fmt.Errorf("cached credentials for profile %q are unreadable; run `ptsaml logout --profile %s`", profile, profile)
	}
	s.Profile = profile
	return &s, nil
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
		return fmt.Errorf("delete cached credentials for profile %q: %w", profile, err)
	}
	return nil
}
