package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/crewjam/saml"
)

// ecpRun is one LoginECP against a fake IdP, with everything it wrote.
type ecpRun struct {
	res    *Result
	err    error
	idp    *ecpIdP
	audit  *recorder
	logs   *syncBuffer
	status *syncBuffer
}

// runECP logs in as ecpUser with password; tweak, when set, changes the
// config first (the fake IdP is already listening).
func runECP(t *testing.T, answer ecpAnswerFunc, password string, tweak func(*Config, *ECPConfig, *ecpIdP)) *ecpRun {
	t.Helper()
	f := newFixture(t, ecpACS)
	run := &ecpRun{idp: newECPIdP(t, f, answer), audit: &recorder{}, logs: &syncBuffer{}, status: &syncBuffer{}}
	d := Deps{
		Clock: f.clk, Replay: &MemoryReplayCache{Clock: f.clk}, Audit: run.audit, Status: run.status,
		Log: slog.New(slog.NewTextHandler(run.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	ecp := ECPConfig{URL: run.idp.URL + "/idp/profile/SAML2/SOAP/ECP", Username: ecpUser, Password: password}
	cfg := f.cfg
	if tweak != nil {
		tweak(&cfg, &ecp, run.idp)
	}
	run.res, run.err = LoginECP(context.Background(), cfg, ecp, d)
	return run
}

func TestLoginECPSuccess(t *testing.T) {
	run := runECP(t, goodECP, ecpPassword, nil)
	if run.err != nil {
		t.Fatalf("LoginECP: %v", run.err)
	}
	if len(run.res.Roles) != 1 || run.res.Roles[0].RoleARN != testRole || run.res.NameID != "alice@example.org" {
		t.Errorf("result roles %v name id %q", run.res.Roles, run.res.NameID)
	}
	seen := run.idp.requests()
	if len(seen) != 1 {
		t.Fatalf("IdP saw %d requests, want 1", len(seen))
	}
	s := seen[0]
	for name, c := range map[string][2]string{
		"ProtocolBinding": {s.ProtocolBinding, paosBinding},
		"ACS URL":         {s.ACSURL, ecpACS},
		"Issuer":          {s.Issuer, testAudience},
		"PAOS header":     {s.Header.Get("PAOS"), `ver="urn:liberty:paos:2003-08";"urn:oasis:names:tc:SAML:2.0:profiles:SSO:ecp"`},
		"SOAPAction":      {s.Header.Get("SOAPAction"), "http://www.oasis-open.org/committees/security"},
	} {
		if c[0] != c[1] {
			t.Errorf("request %s = %q, want %q", name, c[0], c[1])
		}
	}
	if !s.AuthOK {
		t.Error("request did not carry the service account's basic auth")
	}
	if got := run.audit.find("assertion.accepted"); len(got) != 1 || got[0].fields["auth"] != "ecp" {
		t.Errorf("assertion.accepted audits = %v", got)
	}
	run.checkNoSecret(t)
}

func TestLoginECPWrongCredentials(t *testing.T) {
	cases := []struct {
		name   string
		answer ecpAnswerFunc
	}{
		{"HTTP 401", func(*testing.T, *fixture, ecpSeen) (int, string, string) {
			return http.StatusUnauthorized, "text/html", "<html>401 Authorization Required</html>"
		}},
		{"SOAP fault", func(*testing.T, *fixture, ecpSeen) (int, string, string) {
			return http.StatusInternalServerError, "text/xml", soapEnvelope("", "", soapFault("SOAP-ENV:Client", "Authentication failed"))
		}},
		{"responder status", goodECP},
		{"AuthnFailed status", func(_ *testing.T, _ *fixture, s ecpSeen) (int, string, string) {
			return 200, "text/xml", soapEnvelope(s.ACSURL, "", statusResponse(s.ID, saml.StatusResponder, saml.StatusAuthnFailed, ""))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := runECP(t, c.answer, "wrong-"+ecpPassword, nil)
			if !errors.Is(run.err, ErrECPCredentials) {
				t.Fatalf("err = %v, want ErrECPCredentials", run.err)
			}
			msg := run.err.Error()
			t.Logf("error: %s", msg)
			if strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, `"`+ecpUser+`"`) {
				t.Errorf("error is not one line naming the user: %q", msg)
			}
			if run.res != nil {
				t.Error("a result came back with the error")
			}
			if got := run.audit.find("assertion.rejected"); len(got) != 1 || got[0].fields["code"] != "credentials" {
				t.Errorf("assertion.rejected audits = %v", got)
			}
			run.checkNoSecret(t)
		})
	}
}

func TestLoginECPRefused(t *testing.T) {
	reply := func(acs, header string, change func(o *samlOpts)) ecpAnswerFunc {
		return func(t *testing.T, f *fixture, s ecpSeen) (int, string, string) {
			to := acs
			if to == "=" {
				to = s.ACSURL
			}
			return 200, "text/xml", soapEnvelope(to, header, signedResponse(t, f, s, change))
		}
	}
	cases := []struct {
		name   string
		answer ecpAnswerFunc
		code   string // RejectedError.Code; "" = another error
		want   string // in the message
		tweak  func(*Config, *ECPConfig, *ecpIdP)
	}{
		{"ecp:Response for another ACS", reply("https://sp.evil.example/saml/acs", "", nil), CodeECPResponse, "sp.evil.example", nil},
		{"no ecp:Response header", reply("", "", nil), CodeECPResponse, "no ecp:Response", nil},
		{"ecp:RelayState we never sent", reply("=", `<ecp:RelayState xmlns:ecp="`+ecpNS+`">abc</ecp:RelayState>`, nil), CodeRelayState, "RelayState", nil},
		{"wrong InResponseTo", reply("=", "", func(o *samlOpts) { o.InResponseTo = "id-other-login" }), CodeInResponseTo, "another login request", nil},
		{"unsolicited", reply("=", "", func(o *samlOpts) { o.InResponseTo = "" }), CodeUnsolicited, "unsolicited", nil},
		{"unsolicited, even where the profile allows IdP-initiated logins", reply("=", "", func(o *samlOpts) { o.InResponseTo = "" }),
			CodeUnsolicited, "unsolicited", func(c *Config, _ *ECPConfig, _ *ecpIdP) { c.AllowIdPInitiated = true }},
		{"foreign Recipient", reply("=", "", func(o *samlOpts) { o.Recipient = "https://sp.evil.example/acs"; o.Destination = "" }), CodeRecipient, "Recipient", nil},
		{"redirect to a login page", func(*testing.T, *fixture, ecpSeen) (int, string, string) {
			return http.StatusSeeOther, "text/html", "<html>Redirect</html>"
		}, "", "PAOS binding", nil},
		{"HTML page", func(*testing.T, *fixture, ecpSeen) (int, string, string) {
			return 200, "text/html; charset=utf-8", "<html>login</html>"
		}, "", "not a SOAP envelope", nil},
		{"other SOAP fault", func(*testing.T, *fixture, ecpSeen) (int, string, string) {
			return 500, "text/xml", soapEnvelope("", "", soapFault("SOAP-ENV:Server", "unknown service provider"))
		}, "", "unknown service provider", nil},
		{"RequestDenied status", func(_ *testing.T, _ *fixture, s ecpSeen) (int, string, string) {
			return 200, "text/xml", soapEnvelope(s.ACSURL, "", statusResponse(s.ID, saml.StatusResponder, saml.StatusRequestDenied, "no"))
		}, "", "refused the login (status Responder/RequestDenied", nil},
		{"DOCTYPE", func(*testing.T, *fixture, ecpSeen) (int, string, string) {
			return 200, "text/xml", `<!DOCTYPE x [<!ENTITY a "b">]>` + soapEnvelope("", "", "")
		}, "", "DOCTYPE", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := runECP(t, c.answer, ecpPassword, c.tweak)
			if run.err == nil {
				t.Fatal("LoginECP accepted the answer")
			}
			t.Logf("error: %v", run.err)
			if errors.Is(run.err, ErrECPCredentials) {
				t.Fatalf("err = %v: not a credentials problem", run.err)
			}
			var rej *RejectedError
			if c.code != "" && (!errors.As(run.err, &rej) || rej.Code != c.code) {
				t.Fatalf("err = %v, want a RejectedError %s", run.err, c.code)
			}
			if msg := run.err.Error(); !strings.Contains(msg, c.want) || strings.ContainsAny(msg, "\r\n") {
				t.Errorf("err = %q, want one line with %q", msg, c.want)
			}
			if c.code != "" {
				if got := run.audit.find("assertion.rejected"); len(got) != 1 || got[0].fields["code"] != c.code {
					t.Errorf("assertion.rejected audits = %v", got)
				}
			}
			run.checkNoSecret(t)
		})
	}
}

// checkNoSecret looks for the password (right or wrong) everywhere LoginECP
// writes: the error, the log, the status stream and the audit records.
func (r *ecpRun) checkNoSecret(t *testing.T) {
	t.Helper()
	var audit strings.Builder
	for _, e := range r.audit.events {
		for k, v := range e.fields {
			audit.WriteString(k + "=" + strings.TrimSpace(strings.ReplaceAll(fmt.Sprint(v), "\n", " ")) + "\n")
		}
	}
	places := map[string]string{"log": r.logs.String(), "status": r.status.String(), "audit": audit.String()}
	if r.err != nil {
		places["error"] = r.err.Error()
	}
	for where, s := range places {
		if strings.Contains(s, ecpPassword) {
			t.Errorf("the password shows in the %s: %q", where, s)
		}
	}
	if !strings.Contains(r.logs.String(), ecpUser) {
		t.Errorf("the debug log does not name the account (is logging on?): %q", r.logs.String())
	}
}
