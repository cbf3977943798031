package e2e

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// stsBackend is one implementation of AssumeRoleWithSAML with its own IdP.
type stsBackend struct {
	name     string
	endpoint string
	provider string                            // SAML provider ARN (PrincipalArn)
	roleARN  func(role string) string          // "TrainRole" -> role ARN
	login    func(user string) (string, error) // base64 SAMLResponse for user
}

// stsCase is one assertion handed to AssumeRoleWithSAML, and what AWS does with it.
type stsCase struct {
	name     string
	user     string                  // alice (TrainRole), bob (TrainRole, ReadOnlyRole), carol (none)
	role     string                  // role asked for
	change   func(xml string) string // tampering applied to the decoded Response; nil = none
	raw      string                  // sent instead of an assertion when set
	duration int32                   // DurationSeconds; 0 = not sent (3600)
	accept   bool
	code     string // error code AWS answers, where it is certain; "" = any refusal
}

var signature = regexp.MustCompile(`(?s)<ds:Signature\b.*?</ds:Signature>`)

// stsCases hold the good and bad assertions every backend must judge alike.
var stsCases = []stsCase{
	{name: "alice TrainRole", user: "alice", role: "TrainRole", accept: true},
	{name: "bob ReadOnlyRole", user: "bob", role: "ReadOnlyRole", accept: true},
	{name: "alice asks a role not in her assertion", user: "alice", role: "ReadOnlyRole", code: "AccessDenied"},
	{name: "role attribute changed after signing", user: "alice", role: "AdminRole", code: "InvalidIdentityToken",
		change: func(x string) string { return strings.ReplaceAll(x, "role/TrainRole,", "role/AdminRole,") }},
	{name: "session name changed after signing", user: "alice", role: "TrainRole", code: "InvalidIdentityToken",
		change: func(x string) string { return strings.ReplaceAll(x, ">alice<", ">mallory<") }},
	{name: "signatures removed", user: "alice", role: "TrainRole", code: "InvalidIdentityToken",
		change: func(x string) string { return signature.ReplaceAllString(x, "") }},
	{name: "carol has no role", user: "carol", role: "TrainRole"},
	{name: "DurationSeconds below 900", user: "alice", role: "TrainRole", duration: 600, code: "ValidationError"},
	{name: "DurationSeconds above 43200", user: "alice", role: "TrainRole", duration: 43201, code: "ValidationError"},
	{name: "not a SAML response", raw: base64.StdEncoding.EncodeToString([]byte("<html>not saml</html>")), role: "TrainRole"},
}

// runSTSCases checks that the backend accepts exactly the good assertions.
func runSTSCases(t *testing.T, b stsBackend) {
	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(b.endpoint),
		Credentials:  aws.AnonymousCredentials{},
	})
	logins := map[string]string{}
	for _, c := range stsCases {
		t.Run(c.name, func(t *testing.T) {
			assertion := c.raw
			if assertion == "" {
				if _, ok := logins[c.user]; !ok {
					resp, err := b.login(c.user)
					if err != nil {
						t.Fatalf("%s: sign in as %s: %v", b.name, c.user, err)
					}
					logins[c.user] = resp
				}
				assertion = logins[c.user]
			}
			if c.change != nil {
				xml, err := base64.StdEncoding.DecodeString(assertion)
				if err != nil {
					t.Fatal(err)
				}
				changed := c.change(string(xml))
				if changed == string(xml) {
					t.Fatalf("tampering %q changed nothing", c.name)
				}
				assertion = base64.StdEncoding.EncodeToString([]byte(changed))
			}
			in := &sts.AssumeRoleWithSAMLInput{
				RoleArn:       aws.String(b.roleARN(c.role)),
				PrincipalArn:  aws.String(b.provider),
				SAMLAssertion: aws.String(assertion),
			}
			if c.duration != 0 {
				in.DurationSeconds = aws.Int32(c.duration)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := client.AssumeRoleWithSAML(ctx, in)
			var apiErr smithy.APIError
			switch {
			case c.accept && err != nil:
				t.Fatalf("%s refused a good assertion: %v", b.name, err)
			case c.accept:
				arn := aws.ToString(out.AssumedRoleUser.Arn)
				if !strings.Contains(arn, "assumed-role/"+c.role+"/") || out.Credentials == nil ||
					aws.ToString(out.Credentials.SessionToken) == "" {
					t.Errorf("%s accepted with assumed role %q, want assumed-role/%s and credentials", b.name, arn, c.role)
				}
			case err == nil:
				t.Fatalf("%s accepted a bad assertion (assumed %s)", b.name, aws.ToString(out.AssumedRoleUser.Arn))
			case !errors.As(err, &apiErr):
				t.Fatalf("%s: not an STS error answer: %v", b.name, err)
			case c.code != "" && apiErr.ErrorCode() != c.code:
				t.Errorf("%s refused with %s (%s), want %s", b.name, apiErr.ErrorCode(), apiErr.ErrorMessage(), c.code)
			default:
				t.Logf("%s refused: %s: %s", b.name, apiErr.ErrorCode(), apiErr.ErrorMessage())
			}
		})
	}
}

// TestSTSAgreementMoto judges the cases with moto (STS from an independent
// code base, with signature checking) and SimpleSAMLphp assertions.
func TestSTSAgreementMoto(t *testing.T) {
	tb := loadTestbed()
	tb.require(t, idp, moto)
	passwords := map[string]string{"alice": "alice-pass", "bob": "bob-pass", "carol": "carol-pass"}
	runSTSCases(t, stsBackend{
		name:     "moto",
		endpoint: tb.STSURL,
		provider: idpProvider,
		roleARN:  func(role string) string { return "arn:aws:iam::" + account + ":role/" + role },
		login: func(user string) (string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			return simpleSAMLLogin(ctx, tb.IdPSSOURL, "http://127.0.0.1:18190/saml/acs", user, passwords[user])
		},
	})
}
