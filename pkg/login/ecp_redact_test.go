package login

import (
	"strings"
	"testing"
)

// A fault or status message that echoes the password never carries it on,
// whatever white space the password holds.
func TestECPAnswerNeverEchoesThePassword(t *testing.T) {
	for _, pw := range []string{"hunter2", "correct  horse", " padded ", "tab\there"} {
		for _, a := range []*ecpAnswer{
			{fault: true, faultCode: "Client", faultText: "bad login for pw=" + pw},
			{fault: true, faultCode: "Server", faultText: "backend said " + pw + " twice: " + pw},
			{status: "urn:oasis:names:tc:SAML:2.0:status:Responder", statusMessage: "refused " + pw},
		} {
			err := a.credentialsOrStatus(ECPConfig{Username: "svc", Password: pw}, "idp.example.org")
			if err == nil {
				t.Fatalf("%q: no error", pw)
			}
			folded := strings.Join(strings.Fields(pw), " ")
			if msg := err.Error(); strings.Contains(msg, pw) || strings.Contains(msg, folded) || !strings.Contains(msg, "[redacted]") {
				t.Errorf("password %q: error %q", pw, msg)
			}
		}
	}
}
