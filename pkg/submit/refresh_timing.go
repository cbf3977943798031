package submit

import (
	"time"

	"github.com/ptsaml/ptsaml/internal/credserver"
)

// nextWake is how long to sleep: until the next poll, or the next warning,
// re-auth or expiry moment if that comes first.
func (r *Refresher) nextWake(now time.Time) time.Duration {
	wake := now.Add(r.poll())
	add := func(t time.Time) {
		if t.After(now) && t.Before(wake) {
			wake = t
		}
	}
	if cur, ok := r.sink.Current(); ok && cur.AccessKeyID == r.cred.key && cur.Expiration.Equal(r.cred.exp) {
		for _, l := range r.activeLeads() {
			if !r.cred.warned[l] {
				add(r.cred.exp.Add(-l))
			}
		}
		if !r.cred.expiredSaid {
			add(r.cred.exp)
		}
		if r.o.Reauth != nil {
			add(r.cred.exp.Add(-r.reauthLead()))
		}
	}
	if r.o.Reauth != nil && !r.reauthNext.IsZero() {
		add(r.reauthNext)
	}
	return wake.Sub(now)
}

// poll is the store re-read interval.
func (r *Refresher) poll() time.Duration {
	if r.o.Poll > 0 {
		return r.o.Poll
	}
	p := 30 * time.Second
	if l := r.lifetime(); l > 0 {
		p = min(p, l/6)
	}
	return max(p, time.Second)
}

// lifetime is how long the current credentials were valid for; 0 if none.
func (r *Refresher) lifetime() time.Duration {
	if r.cred.key == "" {
		return 0
	}
	return r.cred.exp.Sub(r.cred.start)
}

// reauthLead is how long before expiry Reauth is called.
func (r *Refresher) reauthLead() time.Duration {
	life := r.lifetime()
	return min(max(life/3, 30*time.Second), 20*time.Minute, life/2)
}

// track starts a new credState when the Sink holds other credentials.
func (r *Refresher) track(cur credserver.Credentials, now time.Time) {
	if cur.AccessKeyID == r.cred.key && cur.Expiration.Equal(r.cred.exp) {
		return
	}
	start := now
	if t, ok := r.issued[cur.AccessKeyID]; ok && !t.IsZero() && !t.After(now) && t.Before(cur.Expiration) {
		start = t
	}
	clear(r.issued)
	r.cred = credState{key: cur.AccessKeyID, exp: cur.Expiration, start: start, warned: map[time.Duration]bool{}}
	r.reauthFailures, r.reauthNext = 0, time.Time{}
}
