package submit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/pkg/broker"
)

// defaultLoadTimeout bounds one re-read of the store, so that a store that
// hangs never holds back a warning for long.
const defaultLoadTimeout = 15 * time.Second

// maxCause is the longest store failure cause, in characters, put on a
// status line.
const maxCause = 160

// load re-reads the store and offers what it finds. A store that cannot be
// read is said once, on Status, until it can be read again: the Sink keeps
// what it has meanwhile.
func (r *Refresher) load(ctx context.Context) {
	lctx, cancel := context.WithTimeout(ctx, r.loadTimeout)
	s, err := r.src.Load(lctx)
	cancel()
	switch {
	case ctx.Err() != nil:
		return
	case errors.Is(err, broker.ErrNoSession):
		r.storeReadable()
		r.damagedSaid = false
		return
	case errors.Is(err, broker.ErrDamaged):
		r.storeReadable()
		r.storeDamaged(err)
		return
	case err != nil:
		r.storeFailed(err)
		return
	}
	r.storeReadable()
	r.damagedSaid = false
	r.offer(s, "store")
}

// storeDamaged says once, whole (it holds the command to run), that the
// profile's entry is damaged, and what the job keeps meanwhile; a login or
// a re-authentication replaces the entry.
func (r *Refresher) storeDamaged(err error) {
	if r.damagedSaid {
		return
	}
	r.damagedSaid = true
	r.statusf("ptsaml: %v; %s", err, r.keeps())
}

// storeFailed says, once until the store is readable again, that it is not
// and what the job keeps meanwhile.
func (r *Refresher) storeFailed(err error) {
	if r.storeDown {
		return
	}
	r.storeDown = true
	// Info, not Warn: the status line is what people see; -v adds the whole error.
	r.d.Log.Info("re-read the credential store", "profile", r.o.Profile, "err", err)
	r.statusf("ptsaml: cannot read the credential store (%s); %s; new ones are picked up once it is readable again",
		r.storeCause(err), r.keeps())
}

// storeReadable ends a store failure with one line, and lets a re-auth that
// waited for the store try again at once.
func (r *Refresher) storeReadable() {
	if !r.storeDown {
		return
	}
	r.storeDown = false
	if r.reauthWaitsForStore {
		r.reauthFailures, r.reauthNext, r.reauthWaitsForStore = 0, time.Time{}, false
	}
	r.d.Log.Info("credential store readable again", "profile", r.o.Profile)
	r.statusf("ptsaml: the credential store is readable again")
}

// unsaved says that re-authenticated credentials could not be stored: the
// job has them, other processes of the profile do not.
func (r *Refresher) unsaved(err error) {
	r.d.Log.Info("re-authentication: save the credentials", "profile", r.o.Profile, "err", err)
	if r.storeDown {
		return // the job was told that the store is out of reach
	}
	r.statusf("ptsaml: cannot save the renewed credentials in the credential store (%s); this job uses them all the same",
		r.storeCause(err))
}

// keeps says what the job has while the store cannot be read.
func (r *Refresher) keeps() string {
	now := r.d.Clock.Now()
	cur, ok := r.sink.Current()
	switch {
	case !ok:
		return "the job has no credentials"
	case now.Before(cur.Expiration):
		return "the job keeps its current credentials, valid until " + clockTime(cur.Expiration, now)
	default:
		return "the job's credentials expired at " + clockTime(cur.Expiration, now)
	}
}

// storeCause is a short, one-line reason for a store failure: the keyring's
// own error when the keyring is out of reach, else the whole message.
func (r *Refresher) storeCause(err error) string {
	msg := err.Error()
	if c := unavailableCause(err); c != nil {
		msg = "keyring not reachable: " + c.Error()
	} else if errors.Is(err, context.DeadlineExceeded) {
		msg = fmt.Sprintf("no answer within %s", r.loadTimeout)
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if runes := []rune(msg); len(runes) > maxCause {
		msg = string(runes[:maxCause-1]) + "…"
	}
	return msg
}

// isStoreError reports whether err says that the store is out of reach.
func isStoreError(err error) bool { return errors.Is(err, credstore.ErrUnavailable) }

// unavailableCause finds, in err's tree, the error wrapped together with
// credstore.ErrUnavailable: what the keyring itself answered.
func unavailableCause(err error) error {
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		errs := u.Unwrap()
		for i, e := range errs {
			if e == credstore.ErrUnavailable && len(errs) == 2 {
				return errs[1-i]
			}
		}
		for _, e := range errs {
			if c := unavailableCause(e); c != nil {
				return c
			}
		}
	case interface{ Unwrap() error }:
		if e := u.Unwrap(); e != nil {
			return unavailableCause(e)
		}
	}
	return nil
}
