package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Fixed parts of the test bed (scripts/testbed/).
const (
	account      = "123456789012"
	trainRole    = "arn:aws:iam::" + account + ":role/TrainRole"
	readOnlyRole = "arn:aws:iam::" + account + ":role/ReadOnlyRole"
	idpProvider  = "arn:aws:iam::" + account + ":saml-provider/TestIdP"
	spEntityID   = "urn:ptsaml:test"
	awsCLI       = "/usr/bin/aws" // Debian's aws-cli v2; the first aws on PATH may be another
)

// testbed is where the parts of the test bed answer.
type testbed struct {
	IdPMetadataURL string
	IdPSSOURL      string
	STSURL         string
	DBusAddress    string
	Chromium       string
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func loadTestbed() testbed {
	return testbed{
		IdPMetadataURL: envOr("PTSAML_E2E_IDP_METADATA_URL", "http://127.0.0.1:18080/simplesaml/saml2/idp/metadata.php"),
		IdPSSOURL:      envOr("PTSAML_E2E_IDP_SSO_URL", "http://127.0.0.1:18080/simplesaml/saml2/idp/SSOService.php"),
		STSURL:         envOr("PTSAML_E2E_STS_URL", "http://127.0.0.1:18500"),
		DBusAddress:    os.Getenv("PTSAML_E2E_DBUS_ADDRESS"),
		Chromium:       envOr("CHROMELOGIN_CHROME", "/usr/bin/chromium"),
	}
}

// absent skips the test because a part of the test bed is missing, or fails it
// when CI=true, where .ci/run must have started everything.
func absent(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("test bed incomplete under CI: "+format, args...)
	}
	t.Skipf("skipped: "+format+"; `bash scripts/test.sh` starts the test bed", args...)
}

// Parts a test can require.
type part int

const (
	idp part = iota
	moto
	chromium
	keyring
	awscli
)

// require checks that each part answers, and skips (or fails under CI) if not.
func (tb testbed) require(t *testing.T, parts ...part) {
	t.Helper()
	for _, p := range parts {
		switch p {
		case idp:
			if err := httpOK(tb.IdPMetadataURL); err != nil {
				absent(t, "no SimpleSAMLphp IdP: GET %s: %v (scripts/testbed/idp.sh start)", tb.IdPMetadataURL, err)
			}
		case moto:
			if err := httpOK(strings.TrimSuffix(tb.STSURL, "/") + "/moto-api/"); err != nil {
				absent(t, "no moto at %s: %v (scripts/testbed/moto.sh start)", tb.STSURL, err)
			}
		case chromium:
			if _, err := os.Stat(tb.Chromium); err != nil {
				absent(t, "no Chromium at %s (scripts/testbed/deps.sh)", tb.Chromium)
			}
		case keyring:
			if tb.DBusAddress == "" {
				absent(t, "PTSAML_E2E_DBUS_ADDRESS is not set (scripts/testbed/keyring.sh start writes it)")
			}
			if err := secretServiceOn(tb.DBusAddress); err != nil {
				absent(t, "no Secret Service on %s: %v", tb.DBusAddress, err)
			}
		case awscli:
			if _, err := os.Stat(awsCLI); err != nil {
				absent(t, "no aws-cli v2 at %s (scripts/testbed/deps.sh)", awsCLI)
			}
		}
	}
}

func httpOK(url string) error {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &statusError{resp.Status}
	}
	return nil
}

type statusError struct{ status string }

func (e *statusError) Error() string { return "HTTP " + e.status }

// secretServiceOn checks that org.freedesktop.secrets has an owner on the bus.
func secretServiceOn(bus string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/",
		"org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets")
	cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+bus)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return err
	}
	if !strings.Contains(string(out), "boolean true") {
		return &statusError{"org.freedesktop.secrets has no owner"}
	}
	return nil
}
