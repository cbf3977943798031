package integration_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptsaml/ptsaml/internal/sandbox"
)

func TestProfilePrecedence(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.writeProfile("other", "file")
	// configure --default made "other" the default profile.
	if r := e.run("login"); r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	tests := []struct {
		name    string
		env     string
		args    []string
		want    string
		wantOut int
	}{
		{name: "config default", want: "other"},
		{name: "environment beats config", env: "sandbox", want: "sandbox", wantOut: 4},
		{name: "flag beats environment", env: "sandbox", args: []string{"--profile", "other"}, want: "other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.vars["PTSAML_PROFILE"] = tc.env
			defer delete(e.vars, "PTSAML_PROFILE")
			r := e.run(append([]string{"status", "--output", "json"}, tc.args...)...)
			if r.code != tc.wantOut || !strings.Contains(r.stdout, `"profile": "`+tc.want+`"`) {
				t.Fatalf("exit %d, stdout %s, want profile %s", r.code, r.stdout, tc.want)
			}
		})
	}
}

func TestLogoutAll(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.writeProfile("second", "file")
	for _, p := range []string{"sandbox", "second"} {
		if r := e.run("login", "--profile", p); r.code != 0 {
			t.Fatalf("login %s: exit %d\n%s", p, r.code, r.stderr)
		}
	}
	if r := e.run("logout", "--all"); r.code != 0 {
		t.Fatalf("logout --all: exit %d\n%s", r.code, r.stderr)
	}
	for _, p := range []string{"sandbox", "second"} {
		if r := e.run("status", "--profile", p); r.code != 4 {
			t.Fatalf("status %s after logout --all: exit %d", p, r.code)
		}
	}
	audit := readFile(t, filepath.Join(e.vars["XDG_STATE_HOME"], "ptsaml", "audit.log"))
	if n := strings.Count(audit, `"event":"logout"`); n != 2 {
		t.Fatalf("audit has %d logout events, want 2:\n%s", n, audit)
	}
}

func TestKeyringUnavailableSaysHowToChooseFile(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(e.dir, "no-bus"))
	r := e.run("login", "--store", "keyring")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "keyring") || !strings.Contains(r.stderr, "--store file") {
		t.Fatalf("stderr does not say how to choose the file store:\n%s", r.stderr)
	}
	if e.sandbox.STSCalls() != 0 || strings.Contains(r.stderr, "Waiting for the IdP") {
		t.Fatalf("login went ahead without a working store:\n%s", r.stderr)
	}
	if fileExists(filepath.Join(e.vars["XDG_STATE_HOME"], "ptsaml", "credentials")) {
		t.Fatal("credentials directory created: a silent fallback to files")
	}
}

func TestEnvironmentBindsOnlyChosenFlags(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	path := e.vars["XDG_CONFIG_HOME"] + "/ptsaml/config.yaml"
	// configure keeps environment values out of the config file.
	e.vars["PTSAML_STORE"] = "memory"
	e.vars["PTSAML_DURATION"] = "7200"
	if r := e.run("configure", "--profile", "sandbox", "--region", "eu-west-1"); r.code != 0 {
		t.Fatalf("configure: exit %d\n%s", r.code, r.stderr)
	}
	if cfg := readFile(t, path); strings.Contains(cfg, "memory") || strings.Contains(cfg, "2h") {
		t.Fatalf("configure wrote environment values into the config:\n%s", cfg)
	}
	// Commands do take them; bare seconds are a duration, as in the config file.
	r := e.run("login")
	if r.code != 0 {
		t.Fatalf("login with PTSAML_DURATION=7200: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "memory store") || !strings.Contains(r.stderr, "(in 1h59m") {
		t.Fatalf("PTSAML_STORE / PTSAML_DURATION were not used:\n%s", r.stderr)
	}

	// A switch that acts on every profile is not taken from the environment.
	delete(e.vars, "PTSAML_STORE")
	delete(e.vars, "PTSAML_DURATION")
	e.writeProfile("second", "file")
	for _, p := range []string{"sandbox", "second"} {
		if r := e.run("login", "--profile", p); r.code != 0 {
			t.Fatalf("login %s: exit %d\n%s", p, r.code, r.stderr)
		}
	}
	e.vars["PTSAML_ALL"] = "true"
	if r := e.run("logout", "--profile", "sandbox"); r.code != 0 {
		t.Fatalf("logout: exit %d\n%s", r.code, r.stderr)
	}
	if r := e.run("status", "--profile", "second"); r.code != 0 {
		t.Fatalf("PTSAML_ALL logged out another profile: status exit %d\n%s", r.code, r.stdout)
	}
	if r := e.run("status", "--profile", "sandbox"); r.code != 4 {
		t.Fatalf("logout --profile sandbox left it logged in: status exit %d", r.code)
	}
}
