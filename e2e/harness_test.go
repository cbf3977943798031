package e2e

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// home is an isolated user for the ptsaml binary: its own HOME, XDG
// directories, ptsaml config and AWS config, plus the test bed's keyring bus.
type home struct {
	root string
	dir  string // $HOME
	env  []string
}

// newHome makes a temporary user. bus is the D-Bus address of the test bed's
// keyring ("" leaves no session bus at all).
func newHome(t *testing.T, bus string) *home {
	t.Helper()
	root := t.TempDir()
	h := &home{root: root, dir: filepath.Join(root, "home")}
	for _, d := range []string{h.dir, filepath.Join(h.dir, ".aws")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	h.env = append(inheritedEnv(),
		"HOME="+h.dir,
		"XDG_CONFIG_HOME="+filepath.Join(root, "config"),
		"XDG_STATE_HOME="+filepath.Join(root, "state"),
		"XDG_CACHE_HOME="+filepath.Join(root, "cache"),
		"XDG_DATA_HOME="+filepath.Join(root, "data"),
		"PTSAML_CONFIG="+filepath.Join(root, "config", "ptsaml", "config.yaml"),
		"AWS_CONFIG_FILE="+filepath.Join(h.dir, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(h.dir, ".aws", "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	)
	if bus != "" {
		h.env = append(h.env, "DBUS_SESSION_BUS_ADDRESS="+bus)
	}
	return h
}

// inheritedEnv is the test's environment without anything that would point
// ptsaml, the AWS CLI or the keyring at the developer's own set-up.
func inheritedEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "AWS_"), strings.HasPrefix(name, "PTSAML_"), strings.HasPrefix(name, "XDG_"),
			name == "HOME", name == "DBUS_SESSION_BUS_ADDRESS", name == "DISPLAY", name == "WAYLAND_DISPLAY",
			name == "BROWSER":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// result is one finished command.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

// run runs a command as the user, with extra environment, no stdin and a time
// limit, and logs its stderr (ptsaml never writes secrets there).
func (h *home) run(t *testing.T, limit time.Duration, extraEnv []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = h.dir
	cmd.Env = append(append([]string{}, h.env...), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("run %s: %v", filepath.Base(name), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%s %s: no exit within %s; stderr:\n%s", filepath.Base(name), strings.Join(args, " "), limit, r.stderr)
	}
	t.Logf("$ %s %s  -> exit %d in %s\n%s", filepath.Base(name), strings.Join(args, " "), r.code,
		r.took.Round(time.Millisecond), indent(r.stderr))
	return r
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// filesContaining lists the files under the user's directories that contain
// any of the needles (secrets that must never be written to disk in clear).
func (h *home) filesContaining(t *testing.T, needles ...string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(h.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if n != "" && bytes.Contains(data, []byte(n)) {
				hits = append(hits, path)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", h.root, err)
	}
	return hits
}

// runQuiet runs a command whose output may hold secrets: nothing is logged.
func (h *home) runQuiet(t *testing.T, name string, args ...string) result {
	t.Helper()
	return h.runQuietEnv(t, nil, name, args...)
}

// runQuietEnv runs a command whose output holds secrets with extra
// environment; nothing is logged, the caller decides what to show.
func (h *home) runQuietEnv(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = h.dir
	cmd.Env = append(append([]string{}, h.env...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", filepath.Base(name), err)
	}
	return r
}
