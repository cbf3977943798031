package submit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/ptsaml/ptsaml/internal/credserver"
	"github.com/ptsaml/ptsaml/pkg/broker"
)

const (
	notifyTimeout = time.Minute     // bounds one run of the notify command
	notifyGrace   = 5 * time.Second // notify commands' time after Run's ctx is done
)

// offer hands s to the Sink when it is valid, of the job's role and expires
// later than what the Sink has; it reports whether the Sink took it.
func (r *Refresher) offer(s *broker.Session, source string) bool {
	now := r.d.Clock.Now()
	if !s.Valid(now) {
		return false
	}
	r.issued[s.AccessKeyID] = s.IssuedAt
	if r.role == "" {
		r.role = s.RoleARN
	}
	if s.RoleARN != r.role {
		if !r.ignored[s.RoleARN] {
			r.ignored[s.RoleARN] = true
			r.statusf("ptsaml: ignoring new credentials for role %s: this job runs as %s", s.RoleARN, r.role)
		}
		return false
	}
	if cur, ok := r.sink.Current(); ok && (cur.AccessKeyID == s.AccessKeyID || !s.Expiration.After(cur.Expiration)) {
		return false
	}
	if !r.sink.Update(credserver.Credentials{
		AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey,
		SessionToken: s.SessionToken, Expiration: s.Expiration,
	}) {
		return false
	}
	r.refreshes.Add(1)
	verb := "picked up new credentials"
	if source == "reauth" {
		verb = "renewed the credentials automatically"
	}
	r.statusf("ptsaml: %s (valid until %s)", verb, s.Expiration.UTC().Format("15:04:05 UTC"))
	if r.d.Audit != nil {
		fields := s.AuditFields()
		fields["profile"], fields["source"] = r.o.Profile, source
		if r.o.JobID != "" {
			fields["job_id"] = r.o.JobID
		}
		err := r.d.Audit.Record("refresh", fields)
		if err != nil {
			r.d.Log.Warn("audit refresh", "err", err)
		}
	}
	return true
}

// maybeReauth calls Reauth when the credentials are within the re-auth lead
// of their expiry (or there are none) and no back-off is pending.
func (r *Refresher) maybeReauth(ctx context.Context) {
	if r.o.Reauth == nil {
		return
	}
	now := r.d.Clock.Now()
	if cur, ok := r.sink.Current(); ok {
		r.track(cur, now)
		if cur.Expiration.Sub(now) > r.reauthLead() {
			return
		}
	}
	if now.Before(r.reauthNext) {
		return
	}
	s, err := r.o.Reauth(ctx)
	if ctx.Err() != nil {
		return
	}
	var saveErr error
	if s != nil && err != nil {
		saveErr, err = err, nil // signed in, not stored: the job gets them all the same
	}
	if err == nil && !r.offer(s, "reauth") {
		err = errors.New("it gave no newer credentials for the job's role")
	}
	if err == nil {
		r.reauthFailures, r.reauthNext, r.reauthSaid = 0, time.Time{}, ""
		if saveErr != nil {
			r.unsaved(saveErr)
		}
		return
	}
	r.reauthFailures++
	delay := time.Minute
	if r.reauthFailures <= 6 {
		delay = time.Second << (r.reauthFailures - 1)
	}
	r.reauthNext = r.d.Clock.Now().Add(delay)
	r.reauthWaitsForStore = isStoreError(err)
	if r.storeDown && isStoreError(err) {
		return // said once already; tried again as soon as the store answers
	}
	// The same failure again is said every reauthRepeat at most: a renewal
	// that keeps failing must not fill the job's output.
	now = r.d.Clock.Now()
	if msg := err.Error(); msg != r.reauthSaid || now.Sub(r.reauthSaidAt) >= reauthRepeat {
		r.reauthSaid, r.reauthSaidAt = msg, now
		r.statusf("ptsaml: automatic re-authentication for profile %s failed: %v; next attempt in %s", r.o.Profile, err, delay)
	}
}

// reauthRepeat is how often a re-authentication failure that keeps
// happening is said again.
const reauthRepeat = 15 * time.Minute

// activeLeads are the warning lead times that apply to the current
// credentials: shorter than their lifetime, and than the re-auth lead when
// re-authentication is tried first.
func (r *Refresher) activeLeads() []time.Duration {
	limit := r.lifetime()
	if r.o.Reauth != nil {
		limit = min(limit, r.reauthLead())
	}
	var out []time.Duration
	for _, l := range r.leads {
		if l < limit {
			out = append(out, l)
		}
	}
	return out
}

// warn prints one warning when a lead time not yet warned about is reached;
// lead times passed together (a job started late) give one line.
func (r *Refresher) warn(now time.Time) {
	left := r.cred.exp.Sub(now)
	if left <= 0 {
		return
	}
	due := false
	for _, l := range r.activeLeads() {
		if left <= l && !r.cred.warned[l] {
			r.cred.warned[l] = true
			due = true
		}
	}
	if !due {
		return
	}
	r.statusf("ptsaml: AWS credentials of profile %s expire at %s (in %s): run `%s` in any terminal; this job picks them up by itself",
		r.o.Profile, clockTime(r.cred.exp, now), left.Round(time.Second), loginCommand(r.o.Profile))
	r.notify(r.cred.exp, left)
}

// notify runs NotifyCommand in the background.
func (r *Refresher) notify(exp time.Time, left time.Duration) {
	if len(r.o.NotifyCommand) == 0 {
		return
	}
	argv, nctx := r.o.NotifyCommand, r.notifyCtx
	env := append(os.Environ(),
		"PTSAML_PROFILE="+r.o.Profile,
		"PTSAML_EXPIRES_AT="+exp.UTC().Format(time.RFC3339),
		"PTSAML_EXPIRES_IN="+strconv.FormatInt(int64(left/time.Second), 10))
	r.notifies.Go(func() {
		ctx, cancel := context.WithTimeout(nctx, notifyTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = env
		cmd.WaitDelay = time.Second
		out, err := cmd.CombinedOutput()
		if err != nil {
			if len(out) > 200 {
				out = out[len(out)-200:]
			}
			r.d.Log.Warn("notify command failed", "command", argv[0], "err", err, "output", string(out))
		}
	})
}

func (r *Refresher) statusf(format string, args ...any) {
	_, _ = fmt.Fprintf(r.d.Status, format+"\n", args...)
}
