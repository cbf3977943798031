// Package integration_test runs the whole ptsaml CLI in-process against the
// built-in sandbox IdP and STS, with a fake clock and an HTTP-driving browser.
package integration_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/cli"
	"github.com/ptsaml/ptsaml/internal/clock"
	"github.com/ptsaml/ptsaml/internal/sandbox"
	"github.com/ptsaml/ptsaml/pkg/login"
)

// env is one user's machine: a config, a state dir, a sandbox and a clock.
type env struct {
	t       *testing.T
	dir     string
	clock   *clock.Fake
	sandbox *sandbox.Server
	vars    map[string]string
	acsURL  string

	mu      sync.Mutex
	browser *browser
	custom  login.Opener
	signals chan os.Signal // delivered to the CLI as SIGINT/SIGTERM/SIGHUP would be
	environ []string       // what a job starts from (nil: none)
}

func newEnv(t *testing.T, o sandbox.Options) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, clock: clock.NewFake(time.Now())}
	e.acsURL = fmt.Sprintf("http://127.0.0.1:%d/saml/acs", freePort(t))
	o.Addr = "127.0.0.1:0"
	o.ACSURLs = []string{e.acsURL}
	o.SPEntityID = "urn:amazon:webservices"
	if o.Clock == nil {
		o.Clock = e.clock
	}
	srv, err := sandbox.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e.sandbox = srv
	e.vars = map[string]string{
		"HOME":            filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"),
		"XDG_STATE_HOME":  filepath.Join(dir, "state"),
		"XDG_CACHE_HOME":  filepath.Join(dir, "cache"),
	}
	e.browser = &browser{user: "alice"}
	e.writeProfile("sandbox", "file")
	return e
}

// writeProfile writes a sandbox profile through `ptsaml configure`.
func (e *env) writeProfile(name, store string) {
	e.t.Helper()
	r := e.run("configure", "--profile", name,
		"--idp-metadata-url", e.sandbox.MetadataURL(),
		"--acs-url", e.acsURL,
		"--sts-endpoint", e.sandbox.STSEndpoint(),
		"--role", "arn:aws:iam::123456789012:role/TrainRole",
		"--store", store, "--default")
	if r.code != 0 {
		e.t.Fatalf("configure: exit %d: %s", r.code, r.stderr)
	}
}

type result struct {
	code           int
	stdout, stderr string
}

// run executes one ptsaml command line in-process, as a process of this env
// without a terminal.
func (e *env) run(args ...string) result {
	return e.runWith(cli.Streams{In: strings.NewReader("")}, args...)
}

func (e *env) runWith(streams cli.Streams, args ...string) result {
	var out, errb bytes.Buffer
	streams.Out, streams.Err = &out, &errb
	f := cli.NewFactory(streams)
	f.Clock = e.clock
	f.Getenv = func(k string) string { return e.vars[k] }
	f.Executable = "" // the test binary is not ptsaml: no job guard
	f.Environ = func() []string { return e.environ }
	f.Signals = e.signals
	if o := e.opener(); o != nil {
		f.Opener = o
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := f.Run(ctx, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func (e *env) opener() login.Opener {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.custom != nil {
		return e.custom
	}
	if e.browser == nil {
		return nil
	}
	return e.browser
}

// useBrowser replaces the sandbox sign-in with another browser.
func (e *env) useBrowser(o login.Opener) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.custom = o
}

func (e *env) statePath(name string) string {
	return filepath.Join(e.vars["XDG_STATE_HOME"], "ptsaml", name)
}

// browserOff leaves the CLI without a browser, like a script without a terminal.
func (e *env) browserOff() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.browser = nil
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// browser plays the user's browser: it signs in at the sandbox IdP as user,
// after first delivering any stray posts queued in before.
type browser struct {
	mu     sync.Mutex
	user   string
	before []func(acs string) error
	opened int
}

func (b *browser) Open(ctx context.Context, url string) error {
	b.mu.Lock()
	b.opened++
	user, before := b.user, b.before
	b.mu.Unlock()
	go func() {
		for _, fn := range before {
			_ = fn(url)
		}
		_ = sandbox.SignIn(ctx, url, user, user)
	}()
	return nil
}

func (b *browser) setUser(u string) { b.mu.Lock(); b.user = u; b.mu.Unlock() }

func fileExists(path string) bool { _, err := os.Stat(path); return err == nil }

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
