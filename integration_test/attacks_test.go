package integration_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/sandbox"
	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

// attackOutcome is what the ACS did with one case.
type attackOutcome struct {
	status  int
	err     error
	elapsed time.Duration
}

// postAttacks posts cases in order to the ACS of the login at loginURL,
// until one is not refused with a 4xx. It returns the outcomes of the cases
// it posted.
func postAttacks(k *attackKit, loginURL string, cases []attack) []attackOutcome {
	var out []attackOutcome
	req, err := samltest.ParseRedirect(loginURL)
	if err != nil {
		return append(out, attackOutcome{err: err})
	}
	client := &http.Client{Timeout: 20 * time.Second}
	for _, c := range cases {
		start := time.Now()
		hr, err := c.build(k, req)
		if err != nil {
			out = append(out, attackOutcome{err: fmt.Errorf("build: %w", err)})
			return out
		}
		resp, err := client.Do(hr)
		if err != nil {
			out = append(out, attackOutcome{err: err, elapsed: time.Since(start)})
			return out
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		out = append(out, attackOutcome{status: resp.StatusCode, elapsed: time.Since(start)})
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			return out
		}
	}
	return out
}

// acceptedSummary keeps the lines of a login's output that say what it took.
func acceptedSummary(stderr string) string {
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		for _, p := range []string{"user:", "role:", "account:"} {
			if strings.HasPrefix(strings.TrimSpace(line), p) {
				out = append(out, "  "+strings.TrimSpace(line))
			}
		}
	}
	return strings.Join(out, "\n")
}

type rejection struct{ Code, Reason string }

func auditRejections(t *testing.T, e *env) []rejection {
	t.Helper()
	var out []rejection
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, e.statePath("audit.log"))), "\n") {
		var ev struct {
			Event  string `json:"event"`
			Code   string `json:"code"`
			Reason string `json:"reason"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if ev.Event == "assertion.rejected" {
			out = append(out, rejection{ev.Code, ev.Reason})
		}
	}
	return out
}

// terminalRefusals is how many refusals a login prints one by one.
const terminalRefusals = 5

func TestAttackSuiteIsRefusedCaseByCase(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("first login: exit %d\n%s", r.code, r.stderr)
	}
	foreign, err := samltest.NewIdP("https://idp.evil.example", "https://idp.evil.example/sso", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	k := &attackKit{fg: newForger(e), foreignKeyCert: foreign,
		genuineNameID: "mallory", evilNameID: "admin@example.org"}
	// Accept replayedAssertionID once: that is what an attacker replays later.
	e.useBrowser(&scriptedBrowser{run: func(ctx context.Context, loginURL string) {
		k.fg.post("accepted once", loginURL, func(o *samltest.Options, _ *samltest.AuthnRequest) { o.AssertionID = replayedAssertionID })
	}})
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("login with a response to replay later: exit %d\n%s", r.code, r.stderr)
	}
	cases := attackCases()
	t.Logf("attack suite: %d cases", len(cases))
	if len(cases) < 40 {
		t.Errorf("only %d attack cases, want at least 40", len(cases))
	}

	var refused []attack // the cases refused as they should be, for the final round
	remaining := cases
	for round := 1; len(remaining) > 0; round++ {
		stsBefore := e.sandbox.STSCalls()
		credsBefore := e.run("credential-process").stdout
		auditBefore := len(auditRejections(t, e))

		var outcomes []attackOutcome
		b := &scriptedBrowser{run: func(ctx context.Context, loginURL string) {
			outcomes = postAttacks(k, loginURL, remaining)
		}}
		e.useBrowser(b)
		r := e.run("login", "--timeout", "10s")
		b.wait()
		reasons := refusals(r.stderr)
		audit := auditRejections(t, e)[auditBefore:]
		timedOut := r.code == 1 && strings.Contains(r.stderr, "time limit")

		if hidden := len(audit) - terminalRefusals; hidden > 0 &&
			!strings.Contains(r.stderr, fmt.Sprintf("\n%d more responses were refused; see the audit log", hidden)) {
			t.Errorf("round %d: %d refusals audited, but no line counting the %d not shown:\n%s", round, len(audit), hidden, r.stderr)
		}
		reasonAt, auditAt := 0, 0
		for i, o := range outcomes {
			c := remaining[i]
			last := i == len(outcomes)-1
			switch {
			case o.err != nil:
				t.Errorf("%s: no answer from the ACS (%v); the login ended: exit %d\n%s", c.name, o.err, r.code, r.stderr)
				continue
			case o.status < 400:
				t.Errorf("%s: ACCEPTED (HTTP %d), want refused; the login took it (exit %d):\n%s",
					c.name, o.status, r.code, acceptedSummary(r.stderr))
				continue
			case o.status >= 500:
				t.Errorf("%s: ACS answered %d, want 4xx", c.name, o.status)
			}
			if o.elapsed > 5*time.Second {
				t.Errorf("%s: took %s to refuse", c.name, o.elapsed)
			}
			if auditAt >= len(audit) {
				t.Errorf("%s: HTTP %d but no audit line", c.name, o.status)
				continue
			}
			a := audit[auditAt]
			auditAt++
			if last && !timedOut && r.code != 0 {
				// A refusal that ends the login: the final refusal of a
				// genuine answer, not a per-response one.
				t.Errorf("%s: refused (%s: %s) but the login gave up: exit %d\n%s", c.name, a.Code, a.Reason, r.code, r.stderr)
				continue
			}
			// The terminal shows a login's first refusals one by one, then
			// counts the rest; the audit log has every one.
			if auditAt <= terminalRefusals {
				if reasonAt >= len(reasons) || reasons[reasonAt] != a.Reason {
					t.Errorf("%s: audit reason %q is not the next line on the terminal", c.name, a.Reason)
				} else {
					reasonAt++
				}
			}
			ok := true
			switch {
			case a.Code == "invalid":
				t.Errorf("%s: refused for a generic reason: %s: %s", c.name, a.Code, a.Reason)
				ok = false
			case c.code != "" && a.Code != c.code:
				t.Errorf("%s: refused as %s (%s), want %s", c.name, a.Code, a.Reason, c.code)
				ok = false
			case strings.ContainsAny(a.Reason, "\r\n"):
				t.Errorf("%s: reason is not one line: %q", c.name, a.Reason)
				ok = false
			}
			t.Logf("%-66s HTTP %d  %-22s %s", c.name, o.status, a.Code, a.Reason)
			if ok {
				refused = append(refused, c)
			}
		}
		if auditAt != len(audit) {
			t.Errorf("round %d: %d audit lines for %d refusals", round, len(audit), auditAt)
		}
		if timedOut {
			if after := e.run("credential-process").stdout; after != credsBefore {
				t.Errorf("round %d: the cached credentials changed", round)
			}
			if e.sandbox.STSCalls() != stsBefore {
				t.Errorf("round %d: a hostile response reached STS", round)
			}
		}
		if len(outcomes) == 0 {
			t.Fatalf("round %d: nothing was posted: exit %d\n%s", round, r.code, r.stderr)
		}
		remaining = remaining[len(outcomes):]
		if !timedOut && len(remaining) > 0 {
			t.Logf("round %d ended early (exit %d); %d cases go to a new login", round, r.code, len(remaining))
		}
	}

	// Every properly refused case again, then the genuine sign-in: it wins.
	rejBefore := len(auditRejections(t, e))
	var outcomes []attackOutcome
	e.useBrowser(&scriptedBrowser{run: func(ctx context.Context, loginURL string) {
		outcomes = postAttacks(k, loginURL, refused)
		_ = sandbox.SignIn(ctx, loginURL, "alice", "alice")
	}})
	r := e.run("login")
	if r.code != 0 {
		t.Fatalf("genuine login after %d hostile responses: exit %d\n%s", len(refused), r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "user:     alice") {
		t.Fatalf("the accepted login is not alice's:\n%s", r.stderr)
	}
	if len(outcomes) != len(refused) {
		t.Errorf("final round: %d of %d cases posted", len(outcomes), len(refused))
	}
	if got := len(auditRejections(t, e)) - rejBefore; got != len(refused) {
		t.Errorf("final round: %d audit lines, want %d", got, len(refused))
	}
	t.Logf("attack suite: %d cases, %d refused with their own reason", len(cases), len(refused))
}
