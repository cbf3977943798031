package broker

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrLoginRequired means no usable session is cached and no login may start
// here (no terminal, no browser command).
var ErrLoginRequired = errors.New("login required")

// EnsureOptions say which cached session will do and how to renew it.
type EnsureOptions struct {
	Profile string
	// LockDir holds the per-profile locks that make concurrent callers share
	// one login.
	LockDir string
	// Accept reports whether a cached session will do, e.g. that it is for
	// the wanted role; nil accepts any.
	Accept func(*Session) bool
	// SignIn runs a whole login and saves its session; nil when no login
	// may start here.
	SignIn func(ctx context.Context) (*Session, error)
	// Damaged, when set, hears of a damaged cache entry that a sign-in is
	// about to replace. Without SignIn a damaged entry is Ensure's error.
	Damaged func(err error)
}

// Ensure returns a session for o.Profile: the cached one while it is fresh;
// else one new login (o.SignIn) shared by every concurrent caller through
// the profile's lock; else, when no login may start, the cached one while it
// is still usable. A caller that waited for another process's login which
// did not succeed does not start one of its own: it gets the cached session
// if usable, or an error wrapping ErrLoginRequired.
func (c Cache) Ensure(ctx context.Context, o EnsureOptions) (*Session, error) {
	accept := func(s *Session) bool { return s != nil && (o.Accept == nil || o.Accept(s)) }
	var warned bool
	sess, err := c.loadForEnsure(ctx, o, &warned)
	if err != nil {
		return nil, err
	}
	if accept(sess) && sess.Fresh(c.now()) {
		return sess, nil
	}
	if o.SignIn == nil {
		if accept(sess) && sess.Usable(c.now()) {
			return sess, nil
		}
		return nil, fmt.Errorf("%w: no valid credentials cached for profile %s", ErrLoginRequired, o.Profile)
	}

	unlock, ok, err := TryLock(o.LockDir, o.Profile)
	if err != nil {
		return nil, err
	}
	waited := !ok
	if waited {
		if unlock, err = Lock(ctx, o.LockDir, o.Profile); err != nil {
			return nil, err
		}
	}
	defer unlock()
	if sess, err = c.loadForEnsure(ctx, o, &warned); err != nil {
		return nil, err
	}
	if accept(sess) && sess.Fresh(c.now()) {
		return sess, nil
	}
	if waited {
		if accept(sess) && sess.Usable(c.now()) {
			return sess, nil
		}
		return nil, fmt.Errorf("%w: another ptsaml process was signing in to profile %s and did not succeed", ErrLoginRequired, o.Profile)
	}
	return o.SignIn(ctx)
}

// loadForEnsure is loadIfAny, with a damaged entry as a nil session when a
// sign-in may replace it; o.Damaged hears of it once (warned).
func (c Cache) loadForEnsure(ctx context.Context, o EnsureOptions, warned *bool) (*Session, error) {
	s, err := c.loadIfAny(ctx, o.Profile)
	if errors.Is(err, ErrDamaged) && o.SignIn != nil {
		if o.Damaged != nil && !*warned {
			*warned = true
			o.Damaged(err)
		}
		return nil, nil
	}
	return s, err
}

// loadIfAny is Load with "nothing cached" as a nil session.
func (c Cache) loadIfAny(ctx context.Context, profile string) (*Session, error) {
	s, err := c.Load(ctx, profile)
	if errors.Is(err, ErrNoSession) {
		return nil, nil
	}
	return s, err
}

func (c Cache) now() time.Time { return now(c.Clock) }
