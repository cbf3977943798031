package login

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// When the genuine answer passes every check but its assertion ID cannot be
// recorded (here the replay cache's path is a directory, as a full or
// read-only state disk would fail it), the login ends with that error at
// once instead of waiting for an answer that will never come again.
func TestLoginEndsWhenTheReplayCacheCannotBeWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "replay.json")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	r := startLoginDeps(t, func(d *Deps) { d.Replay = NewFileReplayCache(path) })
	post(t, r.acs, junk(), nil) // a refusal first: that one must not end the login
	r.waiting(t)
	_, form := r.genuine(t)
	if got := post(t, r.acs, form, nil); got.code != http.StatusInternalServerError {
		t.Fatalf("the genuine answer got %d %q, want 500", got.code, got.body)
	}
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Login kept waiting after the replay cache failed")
	}
	if r.res != nil || r.err == nil {
		t.Fatalf("Login = %v, %v; want an error", r.res, r.err)
	}
	msg := r.err.Error()
	if !strings.Contains(msg, "record the assertion ID: replay cache:") || strings.Count(msg, "replay cache") != 1 ||
		!strings.Contains(msg, path) {
		t.Errorf("error %q, want one naming the replay cache file once", msg)
	}
	if n := len(r.audit.find("assertion.accepted")); n != 0 {
		t.Errorf("%d assertion.accepted records, want none", n)
	}
}
