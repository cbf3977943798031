package chromelogin_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/testing/chromelogin"
)

// missing skips the test, or fails it in CI, where the test bed must be complete.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("test bed incomplete: "+format, args...)
	}
	t.Skipf("skipped: "+format+"; `bash scripts/test.sh` starts the test bed", args...)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// acs is a loopback Assertion Consumer Service that records the SAMLResponse.
type acs struct {
	url  string
	got  chan string
	code int
}

func startACS(t *testing.T, port string, code int) *acs {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("listen on ACS port %s: %v", port, err)
	}
	a := &acs{url: "http://127.0.0.1:" + port + "/saml/acs", got: make(chan string, 1), code: code}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/saml/acs" {
			http.NotFound(w, r)
			return
		}
		select {
		case a.got <- r.PostFormValue("SAMLResponse"):
		default:
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(a.code)
		_, _ = w.Write([]byte("<html><head><title>test ACS</title></head><body>answered " + http.StatusText(a.code) + "</body></html>"))
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return a
}

func TestRunAgainstSimpleSAMLphp(t *testing.T) {
	chrome := envOr("CHROMELOGIN_CHROME", chromelogin.DefaultChromePath)
	if _, err := os.Stat(chrome); err != nil {
		missing(t, "no Chromium at %s", chrome)
	}
	metadata := envOr("PTSAML_E2E_IDP_METADATA_URL", "http://127.0.0.1:18080/simplesaml/saml2/idp/metadata.php")
	sso := envOr("PTSAML_E2E_IDP_SSO_URL", "http://127.0.0.1:18080/simplesaml/saml2/idp/SSOService.php")
	if resp, err := http.Get(metadata); err != nil || resp.StatusCode != http.StatusOK {
		missing(t, "no SimpleSAMLphp IdP at %s (%v)", metadata, err)
	} else {
		resp.Body.Close()
	}

	tests := []struct {
		name     string
		port     string
		password string
		acsCode  int
		wantErr  func(error) bool
	}{
		{name: "alice signs in", port: "18197", password: "alice-pass", acsCode: http.StatusOK},
		{name: "wrong password", port: "18198", password: "not-her-password", acsCode: http.StatusOK,
			wantErr: func(err error) bool { return errors.Is(err, chromelogin.ErrCredentialsRejected) }},
		{name: "acs refuses", port: "18199", password: "alice-pass", acsCode: http.StatusForbidden,
			wantErr: func(err error) bool {
				var e *chromelogin.ACSError
				return errors.As(err, &e) && e.Result.Status == http.StatusForbidden
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startACS(t, tt.port, tt.acsCode)
			loginURL, err := chromelogin.AuthnRequestURL(sso, a.url, "urn:ptsaml:test", "relay-"+tt.port, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var log strings.Builder
			res, err := chromelogin.Run(ctx, loginURL, chromelogin.Options{
				ChromePath: chrome, User: "alice", Password: tt.password, Timeout: time.Minute, Log: &log,
			})
			t.Logf("progress:\n%s", log.String())
			if strings.Contains(log.String(), tt.password) {
				t.Errorf("progress output contains the password")
			}
			if tt.wantErr != nil {
				if err == nil || !tt.wantErr(err) {
					t.Fatalf("Run error = %v, want the %s failure", err, tt.name)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.ACSURL != a.url || res.Status != http.StatusOK {
				t.Errorf("result = %+v, want HTTP 200 from %s", res, a.url)
			}
			var raw string
			select {
			case raw = <-a.got:
			default:
				t.Fatal("the ACS received no SAMLResponse")
			}
			xml, err := base64.StdEncoding.DecodeString(raw)
			if err != nil {
				t.Fatalf("SAMLResponse is not base64: %v", err)
			}
			for _, want := range []string{"urn:oasis:names:tc:SAML:2.0:status:Success", "role/TrainRole,", "InResponseTo=\"_"} {
				if !strings.Contains(string(xml), want) {
					t.Errorf("SAMLResponse lacks %q", want)
				}
			}
		})
	}
}
