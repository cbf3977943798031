package e2e

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/crewjam/saml"

	"github.com/ptsaml/ptsaml/internal/idpmeta"
	"github.com/ptsaml/ptsaml/internal/testing/syncbuf"
	"github.com/ptsaml/ptsaml/pkg/login"
)

// ecpACS is registered at the test IdP with both the HTTP-POST and the PAOS
// binding, so one profile serves the browser and the ECP login.
const ecpACS = "http://127.0.0.1:18188/saml/acs"

// TestECPLoginMoto signs in over SAML ECP at the real SimpleSAMLphp (its SOAP
// SingleSignOnService from the metadata, HTTP basic auth), validates the
// answer with pkg/login and exchanges the assertion at moto with the real
// SDK; a wrong password gives ErrECPCredentials.
func TestECPLoginMoto(t *testing.T) {
	tb := loadTestbed()
	tb.require(t, idp, moto)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	meta, err := idpmeta.Source{URL: tb.IdPMetadataURL}.Load(ctx)
	if err != nil {
		t.Fatalf("IdP metadata: %v", err)
	}
	if soapSSO(meta.Descriptor) == "" {
		absent(t, "the IdP metadata at %s has no SOAP SingleSignOnService: ECP is off "+
			"(scripts/testbed/idp.sh configures it; restart: idp.sh stop; idp.sh start)", tb.IdPMetadataURL)
	}
	cfg := login.Config{IDP: meta.Descriptor, SPEntityID: spEntityID, ACSURL: ecpACS}
	var logs syncbuf.Buffer
	d := login.Deps{
		Replay: &login.MemoryReplayCache{},
		Log:    slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Status: &logs,
	}
	signIn := func(user, password string) (*login.Result, error) {
		return login.LoginECP(ctx, cfg, login.ECPConfig{Username: user, Password: password}, d)
	}

	t.Run("alice at moto", func(t *testing.T) {
		res, err := signIn("alice", "alice-pass")
		if err != nil {
			t.Fatalf("LoginECP: %v", err)
		}
		if res.NameID != "alice" || len(res.Roles) != 1 || res.Roles[0].RoleARN != trainRole || res.Roles[0].PrincipalARN != idpProvider {
			t.Fatalf("result: name id %q, roles %v", res.NameID, res.Roles)
		}
		client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(tb.STSURL), Credentials: aws.AnonymousCredentials{}})
		out, err := client.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{
			RoleArn: aws.String(res.Roles[0].RoleARN), PrincipalArn: aws.String(res.Roles[0].PrincipalARN),
			SAMLAssertion: aws.String(res.SAMLResponse),
		})
		if err != nil {
			t.Fatalf("moto refused the ECP assertion: %v", err)
		}
		arn := aws.ToString(out.AssumedRoleUser.Arn)
		if !strings.Contains(arn, "assumed-role/TrainRole/alice") || out.Credentials == nil ||
			aws.ToString(out.Credentials.AccessKeyId) == "" || aws.ToString(out.Credentials.SessionToken) == "" {
			t.Fatalf("moto answered %q without complete credentials", arn)
		}
		t.Logf("ECP login as alice -> %s, credentials until %s", arn, aws.ToTime(out.Credentials.Expiration).Format(time.RFC3339))
	})

	t.Run("wrong password", func(t *testing.T) {
		const wrong = "not-alice-pass-4711"
		res, err := signIn("alice", wrong)
		if !errors.Is(err, login.ErrECPCredentials) || res != nil {
			t.Fatalf("LoginECP = %v, %v; want ErrECPCredentials", res, err)
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || strings.Contains(msg, wrong) {
			t.Errorf("error is not one line without the password: %q", msg)
		}
		if strings.Contains(logs.String(), wrong) {
			t.Error("the password shows in the log")
		}
		t.Logf("wrong password: %v", err)
	})

	t.Run("carol has no role", func(t *testing.T) {
		_, err := signIn("carol", "carol-pass")
		var rej *login.RejectedError
		if !errors.As(err, &rej) || rej.Code != login.CodeRoles {
			t.Fatalf("LoginECP = %v; want a RejectedError %s", err, login.CodeRoles)
		}
	})

	t.Run("acs_url not registered with PAOS", func(t *testing.T) {
		other := cfg
		other.ACSURL = "http://127.0.0.1:18188/saml/not-registered"
		_, err := login.LoginECP(ctx, other, login.ECPConfig{Username: "alice", Password: "alice-pass"}, d)
		if err == nil || !strings.Contains(err.Error(), "PAOS binding") {
			t.Fatalf("LoginECP = %v; want the hint about the PAOS binding", err)
		}
	})

	t.Run("browser flow on the same acs_url", func(t *testing.T) {
		resp, err := simpleSAMLLogin(ctx, tb.IdPSSOURL, ecpACS, "alice", "alice-pass")
		if err != nil {
			t.Fatalf("HTTP-POST login: %v", err)
		}
		xml, err := base64.StdEncoding.DecodeString(resp)
		if err != nil || !strings.Contains(string(xml), `Destination="`+ecpACS+`"`) {
			t.Fatalf("the HTTP-POST answer is not for %s (decode error %v)", ecpACS, err)
		}
	})
}

// soapSSO is the IdP's SingleSignOnService for the SOAP binding (ECP).
func soapSSO(ed *saml.EntityDescriptor) string {
	for _, d := range ed.IDPSSODescriptors {
		for _, sso := range d.SingleSignOnServices {
			if sso.Binding == saml.SOAPBinding {
				return sso.Location
			}
		}
	}
	return ""
}
