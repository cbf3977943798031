package sandbox

import (
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ptsaml/ptsaml/internal/testing/samltest"
)

const extraProviderARN = "arn:aws:iam::" + Account + ":saml-provider/simplesamlphp"

// TestExtraSAMLProvider: an assertion signed by an extra provider's key is
// exchanged for a Role pair naming that provider, and refused under the
// sandbox's own provider (and the other way round).
func TestExtraSAMLProvider(t *testing.T) {
	extra, err := samltest.NewIdP("https://idp.example.org/simplesaml/saml2/idp/metadata.php", "https://idp.example.org/sso", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: extra.Cert.Raw})
	srv, fake := startSandbox(t, Options{ExtraSAMLProviders: map[string][]byte{extraProviderARN: certPEM}})
	key, cert := srv.SigningKey()
	own := &samltest.IdP{EntityID: srv.MetadataURL(), Key: key, Cert: cert}

	build := func(idp *samltest.IdP, provider string) string {
		t.Helper()
		b64, err := idp.BuildBase64(samltest.Options{Now: fake.Now(), Recipient: "https://signin.aws.amazon.com/saml",
			NameID: "svc-train", Roles: []string{TrainRoleARN + "," + provider}})
		if err != nil {
			t.Fatal(err)
		}
		return b64
	}
	tests := []struct {
		name      string
		idp       *samltest.IdP
		pair      string // provider named in the Role attribute
		principal string // PrincipalArn of the call
		wantCode  string
		wantMsg   string
	}{
		{"extra provider", extra, extraProviderARN, extraProviderARN, "", ""},
		{"extra key under the sandbox provider", extra, ProviderARN, ProviderARN, "InvalidIdentityToken", "Response signature invalid"},
		{"extra key, pair names the extra provider, sandbox principal", extra, extraProviderARN, ProviderARN, "InvalidIdentityToken", "Response signature invalid"},
		{"extra key, pair names the sandbox provider", extra, ProviderARN, extraProviderARN, "AccessDenied", "Not authorized"},
		{"sandbox key under the extra provider", own, ProviderARN, extraProviderARN, "InvalidIdentityToken", "Response signature invalid"},
		{"sandbox key under the sandbox provider", own, ProviderARN, ProviderARN, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := stsClient(srv, nil).AssumeRoleWithSAML(t.Context(), &sts.AssumeRoleWithSAMLInput{
				RoleArn: aws.String(TrainRoleARN), PrincipalArn: aws.String(tc.principal), SAMLAssertion: aws.String(build(tc.idp, tc.pair)),
			})
			if tc.wantCode != "" {
				if code, _ := apiError(err); code != tc.wantCode || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("error = %v; want %s %q", err, tc.wantCode, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("AssumeRoleWithSAML: %v", err)
			}
			if aws.ToString(out.Issuer) != tc.idp.EntityID || aws.ToString(out.NameQualifier) != nameQualifier(tc.idp.EntityID, tc.principal) {
				t.Errorf("issuer %q, name qualifier %q", aws.ToString(out.Issuer), aws.ToString(out.NameQualifier))
			}
			id, err := callerIdentityOf(t.Context(), srv, out.Credentials)
			if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::123456789012:assumed-role/TrainRole/svc-train" {
				t.Fatalf("GetCallerIdentity = %v, %v", id, err)
			}
		})
	}
}

func TestExtraSAMLProvidersChecked(t *testing.T) {
	_, cert, err := samltest.NewKeyPair("idp", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	good := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	tests := []struct {
		name    string
		arn     string
		pem     []byte
		wantErr string
	}{
		{"the sandbox's own ARN", ProviderARN, good, "not the sandbox's own"},
		{"another account", "arn:aws:iam::999999999999:saml-provider/x", good, "saml-provider/NAME"},
		{"a role ARN", TrainRoleARN, good, "saml-provider/NAME"},
		{"no certificate", extraProviderARN, []byte("not pem"), "no PEM CERTIFICATE block"},
		{"a key, not a certificate", extraProviderARN, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1}}), "no PEM CERTIFICATE block"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Start(t.Context(), Options{ExtraSAMLProviders: map[string][]byte{tc.arn: tc.pem}})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Start = %v, want an error with %q", err, tc.wantErr)
			}
		})
	}
}
