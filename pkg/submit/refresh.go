package submit

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/ptsaml/ptsaml/internal/credserver"
	"github.com/ptsaml/ptsaml/pkg/broker"
)

// Source re-reads the credential store, where a `ptsaml login` in any
// terminal leaves the profile's newest session. An error matching
// broker.ErrNoSession means nothing is stored; any other error means the store
// cannot be read now. Load should give up when ctx ends.
type Source interface {
	Load(ctx context.Context) (*broker.Session, error)
}

// Reauth signs in again without a person (SAML ECP, a CI OIDC token) and
// returns the new session; it should also store it. When it signed in but
// could not store the session it returns both: the Refresher serves the
// session and reports the error once. Its errors are shown to the person, so
// they must not hold secrets.
type Reauth func(ctx context.Context) (*broker.Session, error)

// Sink is where fresh credentials go: the job's credentials endpoint
// (*credserver.Server). Update keeps whichever credentials expire later and
// reports whether it changed anything.
type Sink interface {
	Update(credserver.Credentials) bool
	Current() (credserver.Credentials, bool)
}

// Auditor records one audit event; it must drop secret fields itself.
type Auditor interface {
	Record(event string, fields map[string]any) error
}

// RefreshOptions configure a Refresher.
type RefreshOptions struct {
	Profile string
	// RoleARN is the job's role; sessions for any other role are ignored
	// (with one warning per role). "" pins the role of the first session seen.
	RoleARN string
	// Poll is how often the store is re-read; 0 means min(30s, lifetime/6),
	// at least 1s. The Refresher also wakes at every warning, re-auth and
	// expiry moment, whatever Poll is.
	Poll time.Duration
	// WarnBefore are the lead times of the expiry warnings; nil means
	// 60m, 30m, 15m and 5m; an empty non-nil slice means no warnings. Lead times
	// not shorter than the credentials' lifetime are skipped.
	WarnBefore []time.Duration
	// NotifyCommand, when set, is run (as argv, no shell) at each warning
	// with PTSAML_PROFILE, PTSAML_EXPIRES_AT (RFC 3339) and PTSAML_EXPIRES_IN
	// (whole seconds) added to ptsaml's environment. Its failure is logged;
	// it never stops the job.
	NotifyCommand []string
	// Reauth, when set, renews the credentials before they run out: see
	// Refresher.
	Reauth Reauth
	// JobID names the job in the audit records of its refreshes.
	JobID string
}

// defaultWarnBefore are the expiry-warning lead times used when
// RefreshOptions.WarnBefore is nil.
var defaultWarnBefore = []time.Duration{time.Hour, 30 * time.Minute, 15 * time.Minute, 5 * time.Minute}

// Deps are the Refresher's collaborators; any may be nil (the wall clock, no
// status lines, no audit, no logging).
type Deps struct {
	Clock  clockwork.Clock
	Status io.Writer // lines for people (stderr)
	Audit  Auditor
	Log    *slog.Logger
}

// Refresher keeps a Sink fed with the freshest credentials of one profile and
// role for the life of a job.
//
// Every poll it re-reads the Source and hands credentials of the job's role
// that expire later than the current ones to the Sink: one Status line
// ("ptsaml: picked up new credentials (valid until 14:05:00 UTC)") and an
// audit "refresh" event {profile, role_arn, expiration, source} each time.
//
// With Reauth set it renews the credentials when less than a third of their
// lifetime is left, but at least 30s and at most 20 minutes before they run
// out (and never earlier than half-way): 20 minutes keeps the endpoint ahead
// of the SDKs, which refresh container credentials 15 minutes before their
// expiry. A failed attempt is reported on Status and retried after 1s, 2s,
// 4s, … up to 1m. Warnings whose lead time is not shorter than that re-auth
// lead are skipped, as re-authentication is tried first.
//
// At each warning lead time before the current credentials' expiry it
// prints, once per credentials, when they expire and the command to run, and
// runs NotifyCommand. When they run out with nothing newer, one line says so;
// a later login is still picked up.
//
// While the store cannot be read (keyring daemon gone, D-Bus error, no
// answer within 15s) the Sink keeps serving what it has: one Status line
// says so and until when the job's credentials last, one more says when the
// store is readable again, and warnings still come on time. Re-authentication that
// fails only because the store is out of reach is retried quietly, and at
// once when the store answers again.
type Refresher struct {
	src         Source
	sink        Sink
	o           RefreshOptions
	d           Deps
	leads       []time.Duration // WarnBefore, longest first
	refreshes   atomic.Int64
	notifies    sync.WaitGroup
	notifyCtx   context.Context // set by Run: ends notify commands
	loadTimeout time.Duration   // bounds one Source.Load

	// Loop state, owned by Run's goroutine.
	role           string
	ignored        map[string]bool
	issued         map[string]time.Time // access key ID → IssuedAt of sessions seen
	cred           credState
	storeDown      bool // the last store read failed, and Status said so
	reauthFailures int
	reauthNext     time.Time
	// reauthWaitsForStore: the last re-auth failed only because the store
	// was out of reach, so it is tried again as soon as the store answers.
	reauthWaitsForStore bool
	damagedSaid         bool      // a damaged store entry was reported
	reauthSaid          string    // the last re-auth failure said on Status
	reauthSaidAt        time.Time // when it was said

}

// credState is what the Refresher has said about one set of credentials.
type credState struct {
	key         string
	exp, start  time.Time // start: issue time, or when first seen
	warned      map[time.Duration]bool
	expiredSaid bool
}

// NewRefresher returns a Refresher for o.Profile and o.RoleARN; Run starts it.
func NewRefresher(src Source, sink Sink, o RefreshOptions, d Deps) *Refresher {
	if d.Clock == nil {
		d.Clock = clockwork.NewRealClock()
	}
	if d.Status == nil {
		d.Status = io.Discard
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	leads := o.WarnBefore
	if leads == nil {
		leads = defaultWarnBefore
	}
	leads = slices.DeleteFunc(slices.Clone(leads), func(l time.Duration) bool { return l <= 0 })
	slices.Sort(leads)
	slices.Reverse(leads)
	return &Refresher{
		src: src, sink: sink, o: o, d: d,
		leads:       slices.Compact(leads),
		loadTimeout: defaultLoadTimeout,
		role:        o.RoleARN,
		ignored:     map[string]bool{},
		issued:      map[string]time.Time{},
	}
}

// Refreshes is how many times the Refresher has handed new credentials to
// the Sink. It is safe to call while Run runs.
func (r *Refresher) Refreshes() int { return int(r.refreshes.Load()) }

// Run keeps the Sink fed until ctx is done and returns nil. Notify commands
// still running then get notifyGrace (5s) more before they are killed; Run
// returns once they ended. Call it once.
func (r *Refresher) Run(ctx context.Context) error {
	if r.src == nil || r.sink == nil {
		return errors.New("refresh credentials: no source or sink")
	}
	// Notify commands outlive ctx by up to notifyGrace, so a warning sent
	// just before the job ended is not cut off.
	nctx, ncancel := context.WithCancel(context.WithoutCancel(ctx))
	r.notifyCtx = nctx
	defer func() {
		t := r.d.Clock.AfterFunc(notifyGrace, ncancel)
		r.notifies.Wait()
		t.Stop()
		ncancel()
	}()
	for {
		r.tick(ctx)
		if ctx.Err() != nil {
			return nil
		}
		t := r.d.Clock.NewTimer(r.nextWake(r.d.Clock.Now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.Chan():
		}
	}
}

// tick does one round: store, re-auth, then what to tell the person.
func (r *Refresher) tick(ctx context.Context) {
	r.load(ctx)
	if ctx.Err() != nil {
		return
	}
	r.maybeReauth(ctx)
	if ctx.Err() != nil {
		return
	}
	now := r.d.Clock.Now()
	cur, ok := r.sink.Current()
	if !ok {
		return
	}
	r.track(cur, now)
	r.warn(now)
	if !now.Before(r.cred.exp) && !r.cred.expiredSaid {
		r.cred.expiredSaid = true
		r.statusf("ptsaml: AWS credentials of profile %s expired at %s; AWS calls of this job fail until you run `%s`",
			r.o.Profile, clockTime(r.cred.exp, now), loginCommand(r.o.Profile))
	}
}
