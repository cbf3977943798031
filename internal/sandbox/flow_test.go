package sandbox

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/ptsaml/ptsaml/internal/testing/syncbuf"
)

func TestLoginAssumeAndCallerIdentity(t *testing.T) {
	var logs syncBuffer
	srv, fake := startSandbox(t, Options{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	sp := newTestSP(t, srv, fake, AWSAudience, "/saml/acs")

	resp := sp.login(t, "alice", "alice")
	if err := sp.received()[0].ParseErr; err != nil {
		t.Fatalf("crewjam SP refused the sandbox response: %v", err)
	}
	x := decodeResponse(t, resp)
	for _, want := range []string{
		`Name="https://aws.amazon.com/SAML/Attributes/Role"`,
		TrainRoleARN + "," + ProviderARN,
		`Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"`,
		`Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"`,
		`NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"`,
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
		`Recipient="` + sp.sp.AcsURL.String() + `"`,
		"<saml:Audience>urn:amazon:webservices</saml:Audience>",
	} {
		if !strings.Contains(x, want) {
			t.Errorf("SAMLResponse lacks %s", want)
		}
	}
	if n := strings.Count(x, "SignatureValue>"); n != 4 { // open+close tag, Response and Assertion
		t.Errorf("SAMLResponse has %d SignatureValue tags, want 4 (Response and Assertion signed)", n)
	}

	out, err := assume(t.Context(), srv, resp, TrainRoleARN)
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || len(*c.AccessKeyId) != 20 || len(*c.SessionToken) < 400 {
		t.Errorf("credentials not AWS-shaped: key id %q, token length %d", *c.AccessKeyId, len(*c.SessionToken))
	}
	if got, want := *c.Expiration, fake.Now().Add(time.Hour); !got.Equal(want) {
		t.Errorf("Expiration = %v, want %v (default 3600 s)", got, want)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::123456789012:assumed-role/TrainRole/alice" {
		t.Errorf("AssumedRoleUser.Arn = %q", got)
	}
	if aws.ToString(out.Audience) != sp.sp.AcsURL.String() || aws.ToString(out.Issuer) != srv.MetadataURL() ||
		aws.ToString(out.Subject) != "alice" || aws.ToString(out.SubjectType) != "persistent" ||
		aws.ToString(out.NameQualifier) == "" || out.SourceIdentity != nil {
		t.Errorf("result facts: audience %q issuer %q subject %q type %q qualifier %q source %v",
			aws.ToString(out.Audience), aws.ToString(out.Issuer), aws.ToString(out.Subject),
			aws.ToString(out.SubjectType), aws.ToString(out.NameQualifier), out.SourceIdentity)
	}

	id, err := callerIdentity(t.Context(), srv, out)
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(id.Arn) != aws.ToString(out.AssumedRoleUser.Arn) || aws.ToString(id.Account) != Account ||
		aws.ToString(id.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Errorf("GetCallerIdentity = %q %q %q", aws.ToString(id.Arn), aws.ToString(id.Account), aws.ToString(id.UserId))
	}

	if got := srv.STSCalls(); got != 1 {
		t.Errorf("STSCalls = %d, want 1", got)
	}
	var st stats
	r, err := http.Get(srv.URL() + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if err := json.NewDecoder(r.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st != (stats{STSCalls: 1, STSAccepted: 1, CallerIdentityCalls: 1}) {
		t.Errorf("/stats = %+v", st)
	}

	log := logs.String()
	for _, want := range []string{Banner, "AssumeRoleWithSAML accepted", *c.AccessKeyId} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	for name, secret := range map[string]string{"secret key": *c.SecretAccessKey, "session token": *c.SessionToken, "assertion": resp[100:160]} {
		if strings.Contains(log, secret) {
			t.Errorf("log contains the %s", name)
		}
	}
}

// syncBuffer is shared with the goroutines of the code under test.
type syncBuffer = syncbuf.Buffer

func TestBobSecondRoleAndSourceIdentity(t *testing.T) {
	srv, fake := startSandbox(t, Options{})
	sp := newTestSP(t, srv, fake, AWSAudience, "/saml/acs")
	out, err := assume(t.Context(), srv, sp.login(t, "bob", "bob"), ReadOnlyRoleARN)
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::123456789012:assumed-role/ReadOnlyRole/bob" {
		t.Errorf("AssumedRoleUser.Arn = %q", got)
	}
	if got := aws.ToString(out.SourceIdentity); got != "bob" {
		t.Errorf("SourceIdentity = %q, want bob", got)
	}
}

func TestCredentialTTLCapsExpiration(t *testing.T) {
	srv, fake := startSandbox(t, Options{CredentialTTL: 60 * time.Second})
	sp := newTestSP(t, srv, fake, AWSAudience, "/saml/acs")
	issuedAt := fake.Now()
	out, err := stsClient(srv, nil).AssumeRoleWithSAML(t.Context(), assumeInput(sp.login(t, "alice", "alice"), TrainRoleARN, 43200))
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	if got, want := *out.Credentials.Expiration, issuedAt.Add(60*time.Second); !got.Equal(want) {
		t.Errorf("Expiration = %v, want %v", got, want)
	}
}
