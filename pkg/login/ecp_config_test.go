package login

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
)

func TestLoginECPConfigChecks(t *testing.T) {
	cases := []struct {
		name  string
		tweak func(*Config, *ECPConfig, *ecpIdP)
		want  string
	}{
		{"plain http to another host", func(_ *Config, e *ECPConfig, _ *ecpIdP) { e.URL = "http://idp.example.org/ecp" }, "plain http"},
		{"user info in the URL", func(_ *Config, e *ECPConfig, i *ecpIdP) {
			e.URL = strings.Replace(i.URL, "://", "://"+ecpUser+":"+ecpPassword+"@", 1)
		}, "must not carry a user name or password"},
		{"relative URL", func(_ *Config, e *ECPConfig, _ *ecpIdP) { e.URL = "/idp/ecp" }, "not an absolute http(s) URL"},
		{"no URL, none in the metadata", func(_ *Config, e *ECPConfig, _ *ecpIdP) { e.URL = "" }, "no SOAP SingleSignOnService"},
		{"no user name", func(_ *Config, e *ECPConfig, _ *ecpIdP) { e.Username = "" }, "user name is empty"},
		{"colon in the user name", func(_ *Config, e *ECPConfig, _ *ecpIdP) { e.Username = "a:b" }, "contains ':'"},
		{"no password", func(_ *Config, e *ECPConfig, _ *ecpIdP) { e.Password = "" }, "password of \"svc-train\" is empty"},
		{"relative ACS", func(c *Config, _ *ECPConfig, _ *ecpIdP) { c.ACSURL, c.Recipients = "/saml/acs", []string{"/saml/acs"} }, "acs_url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := runECP(t, goodECP, ecpPassword, c.tweak)
			if run.err == nil || !strings.Contains(run.err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", run.err, c.want)
			}
			if n := len(run.idp.requests()); n != 0 {
				t.Errorf("the IdP got %d requests; a bad config must send nothing", n)
			}
			if strings.Contains(run.err.Error(), ecpPassword) {
				t.Errorf("the password shows in the error: %v", run.err)
			}
		})
	}
}

func TestLoginECPURLFromMetadata(t *testing.T) {
	run := runECP(t, goodECP, ecpPassword, func(c *Config, e *ECPConfig, i *ecpIdP) {
		sso := &c.IDP.IDPSSODescriptors[0].SingleSignOnServices
		*sso = append(*sso, saml.Endpoint{Binding: saml.SOAPBinding, Location: i.URL + "/soap"})
		e.URL = ""
	})
	if run.err != nil {
		t.Fatalf("LoginECP: %v", run.err)
	}
	if n := len(run.idp.requests()); n != 1 {
		t.Errorf("the IdP got %d requests, want 1", n)
	}
}

// An envelope may declare the namespaces the Response uses: cut out, the
// Response gets them back and its signatures still verify.
func TestLoginECPInheritedNamespaces(t *testing.T) {
	const decls = ` xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"`
	run := runECP(t, func(t *testing.T, f *fixture, s ecpSeen) (int, string, string) {
		resp := signedResponse(t, f, s, nil)
		start, rest, _ := strings.Cut(resp, ">")
		if !strings.Contains(start, decls) {
			t.Fatalf("response start tag %q lacks %q", start, decls)
		}
		resp = strings.Replace(start, decls, "", 1) + ">" + rest
		env := soapEnvelope(s.ACSURL, "", resp)
		env = strings.Replace(env, `<SOAP-ENV:Body>`, `<SOAP-ENV:Body xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">`, 1)
		env = strings.Replace(env, `<SOAP-ENV:Envelope `, `<SOAP-ENV:Envelope xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" `, 1)
		return 200, "text/xml", env
	}, ecpPassword, nil)
	if run.err != nil {
		t.Fatalf("LoginECP: %v", run.err)
	}
}

func TestECPConfigRedactsPassword(t *testing.T) {
	e := ECPConfig{URL: "https://idp.example.org/ecp", Username: ecpUser, Password: ecpPassword}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "ecp", e)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", e, e, e, e), logged.String()} {
		if strings.Contains(s, ecpPassword) || !strings.Contains(s, ecpUser) {
			t.Errorf("formatted config %q shows the password or hides the user", s)
		}
	}
}

// An IdP that never answers: the login gives up at cfg.Timeout.
func TestLoginECPTimeout(t *testing.T) {
	f := newFixture(t, ecpACS)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release) // before Close, which waits for the handler
	cfg := f.cfg
	cfg.Timeout = time.Millisecond
	_, err := LoginECP(context.Background(), cfg, ECPConfig{URL: srv.URL, Username: ecpUser, Password: ecpPassword}, Deps{Clock: f.clk})
	if !errors.Is(err, ErrTimeout) || strings.Contains(err.Error(), ecpPassword) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
}
