package integration_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/ptsaml/ptsaml/internal/credstore"
	"github.com/ptsaml/ptsaml/internal/sandbox"
	"github.com/ptsaml/ptsaml/pkg/broker"
)

// auditTrail returns the audit log's login events in order ("accepted" for
// an accepted assertion, "assumed" for a role assumed) and the access key of
// each role assumed.
func auditTrail(t *testing.T, e *env) (events, keys []string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, e.statePath("audit.log"))), "\n") {
		var rec struct {
			Event       string `json:"event"`
			AccessKeyID string `json:"access_key_id"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("audit line: %v", err)
		}
		switch rec.Event {
		case "assertion.accepted":
			events = append(events, "accepted")
		case "role.assumed":
			events = append(events, "assumed")
			keys = append(keys, rec.AccessKeyID)
		}
	}
	return events, keys
}

// storedSession reads the profile's entry straight from the file store.
func storedSession(t *testing.T, e *env, profile string) *broker.Session {
	t.Helper()
	s, err := broker.Cache{Store: credstore.NewFile(credDir(e))}.Load(context.Background(), profile)
	if err != nil {
		t.Fatalf("stored session: %v", err)
	}
	return s
}

// runAll runs the command lines at the same moment and returns their results.
func runAll(e *env, cmds ...[]string) []result {
	results := make([]result, len(cmds))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, args := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = e.run(args...)
		}()
	}
	close(start)
	wg.Wait()
	return results
}

// Two `ptsaml login` for one profile started together: the profile's lock
// makes the second wait until the first has signed in and saved (both use the
// one ACS port, so overlapping logins could not both succeed). Both succeed,
// and the store holds exactly one whole session: the later login's.
func TestTwoLoginsForOneProfileTakeTurnsAndTheLaterOneIsStored(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	for i, r := range runAll(e, []string{"login"}, []string{"login"}) {
		if r.code != 0 {
			t.Fatalf("login %d: exit %d\n%s", i, r.code, r.stderr)
		}
	}
	events, keys := auditTrail(t, e)
	if strings.Join(events, " ") != "accepted assumed accepted assumed" || len(keys) != 2 || keys[0] == keys[1] {
		t.Fatalf("audit trail %v with keys %v, want two whole logins one after the other", events, keys)
	}
	if n := e.sandbox.STSCalls(); n != 2 {
		t.Fatalf("STS calls = %d, want 2", n)
	}
	s := storedSession(t, e, "sandbox")
	if s.AccessKeyID != keys[1] || s.SecretAccessKey == "" || s.SessionToken == "" || s.RoleARN != trainRole {
		t.Fatalf("stored session has key %s (role %s), want the later login's %s, complete", s.AccessKeyID, s.RoleARN, keys[1])
	}
	if names := storeFiles(t, e); len(names) != 1 {
		t.Fatalf("store directory holds %v, want one entry", names)
	}
	if got := accessKey(t, e); got != keys[1] {
		t.Fatalf("credential-process hands out %s, want the stored %s", got, keys[1])
	}
}

// Two `credential-process` and one `login` for one profile with nothing
// cached, started together: they queue on the profile's lock. Each
// credential-process hands out a session some sign-in stored, at most one of
// them signs in (the other reuses its session), the login always signs in,
// and what is stored in the end is the last sign-in's session, whole.
func TestCredentialProcessesAndALoginAtOnceQueueAndStoreOneSession(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	results := runAll(e, []string{"credential-process"}, []string{"login"}, []string{"credential-process"})
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("command %d: exit %d\n%s", i, r.code, r.stderr)
		}
	}
	events, keys := auditTrail(t, e)
	if len(keys) < 1 || len(keys) > 2 || strings.Count(strings.Join(events, " "), "accepted assumed") != len(keys) ||
		len(events) != 2*len(keys) {
		t.Fatalf("audit trail %v, want one or two whole sign-ins one after the other", events)
	}
	if n := e.sandbox.STSCalls(); n != int64(len(keys)) {
		t.Fatalf("STS calls = %d, audit says %d roles assumed", n, len(keys))
	}
	for _, i := range []int{0, 2} {
		var cp credProcessJSON
		if err := json.Unmarshal([]byte(results[i].stdout), &cp); err != nil {
			t.Fatalf("credential-process %d: %v", i, err)
		}
		if !strings.Contains(" "+strings.Join(keys, " ")+" ", " "+cp.AccessKeyId+" ") || cp.SecretAccessKey == "" || cp.SessionToken == "" {
			t.Fatalf("credential-process %d handed out %s, not a key any sign-in stored (%v)", i, cp.AccessKeyId, keys)
		}
	}
	if s := storedSession(t, e, "sandbox"); s.AccessKeyID != keys[len(keys)-1] {
		t.Fatalf("stored key %s, want the last sign-in's %s", s.AccessKeyID, keys[len(keys)-1])
	}
	if names := storeFiles(t, e); len(names) != 1 {
		t.Fatalf("store directory holds %v, want one entry", names)
	}
}
