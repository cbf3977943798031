package integration_test

import (
	"strings"
	"testing"

	"github.com/ptsaml/ptsaml/internal/cli"
	"github.com/ptsaml/ptsaml/internal/sandbox"
)

func TestPickerOnATerminal(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	e.run("configure", "--profile", "sandbox", "--role", "")
	e.browser.setUser("bob")
	r := e.runWith(cli.Streams{In: strings.NewReader("7\n2\n"), IsTerminal: true}, "login")
	if r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	if strings.Count(r.stderr, "Choose a role [1-2]") != 2 {
		t.Fatalf("the picker did not ask again after an out-of-range answer:\n%s", r.stderr)
	}
	if st := e.run("status"); !strings.Contains(st.stdout, "role/ReadOnlyRole") {
		t.Fatalf("status after picking 2: %s", st.stdout)
	}
}

func TestConfigureAsksOnATerminal(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	answers := e.sandbox.MetadataURL() + "\n\n" // metadata URL, then the default ACS URL
	r := e.runWith(cli.Streams{In: strings.NewReader(answers), IsTerminal: true}, "configure", "--profile", "asked")
	if r.code != 0 {
		t.Fatalf("configure: exit %d\n%s", r.code, r.stderr)
	}
	cfg := readFile(t, e.vars["XDG_CONFIG_HOME"]+"/ptsaml/config.yaml")
	for _, want := range []string{"asked:", "idp_metadata_url: " + e.sandbox.MetadataURL(), "acs_url: http://127.0.0.1:18181/saml/acs"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
}

func TestConfigureRefusesBadValuesAndWritesNothing(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	path := e.vars["XDG_CONFIG_HOME"] + "/ptsaml/config.yaml"
	before := readFile(t, path)
	r := e.run("configure", "--profile", "bad", "--idp-metadata-url", "https://idp.example.org/md",
		"--acs-url", "http://127.0.0.1/saml/acs", "--duration", "13h")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"acs_url", "port", "duration", "nothing was written"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if readFile(t, path) != before {
		t.Fatal("the config file changed")
	}
}

func TestVersionAndCompletion(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	if r := e.run("version", "--output", "json"); r.code != 0 || !strings.Contains(r.stdout, `"version"`) {
		t.Fatalf("version: exit %d\n%s", r.code, r.stdout)
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		r := e.run("completion", sh)
		if r.code != 0 || !strings.Contains(r.stdout, "ptsaml") {
			t.Fatalf("completion %s: exit %d\n%s", sh, r.code, r.stderr)
		}
	}
}

func TestBadOutputFlag(t *testing.T) {
	e := newEnv(t, sandbox.Options{})
	r := e.run("status", "--output", "yaml")
	if r.code != 1 || !strings.Contains(r.stderr, "--output json") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}
