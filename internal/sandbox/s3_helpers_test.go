package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/ptsaml/ptsaml/internal/clock"
)

// s3Creds starts a sandbox with o, signs alice in and returns the
// TrainRole credentials its STS issued.
func s3Creds(t *testing.T, o Options) (*Server, *clock.Fake, *types.Credentials) {
	t.Helper()
	srv, fake := startSandbox(t, o)
	sp := newTestSP(t, srv, fake, AWSAudience, "/saml/acs")
	out, err := assume(t.Context(), srv, sp.login(t, "alice", "alice"), TrainRoleARN)
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	return srv, fake, out.Credentials
}

// s3Client is the real SDK client pointed at the sandbox S3.
func s3Client(srv *Server, p aws.CredentialsProvider) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", Credentials: p, BaseEndpoint: aws.String(srv.S3Endpoint()),
		UsePathStyle: true, Retryer: aws.NopRetryer{},
	})
}

func staticCreds(c *types.Credentials) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
}

// rawS3 sends requests signed by hand, so a test controls the payload
// hash header, the signing time, the scope and the body.
type rawS3 struct {
	srv   *Server
	creds *types.Credentials
}

// rawRequest is one hand-signed request; zero fields take the defaults:
// hash = SHA-256 of body, signedAt = now, service = s3.
type rawRequest struct {
	method, path, body, hash, service string
	signedAt                          time.Time
	noHashHeader                      bool
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (r rawS3) do(t *testing.T, rr rawRequest) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), rr.method, r.srv.S3Endpoint()+rr.path, strings.NewReader(rr.body))
	if err != nil {
		t.Fatal(err)
	}
	if rr.hash == "" {
		rr.hash = sha256Hex(rr.body)
	}
	if rr.service == "" {
		rr.service = "s3"
	}
	if rr.signedAt.IsZero() {
		rr.signedAt = r.srv.clock.Now()
	}
	if !rr.noHashHeader {
		req.Header.Set("X-Amz-Content-Sha256", rr.hash)
	}
	c := aws.Credentials{AccessKeyID: *r.creds.AccessKeyId, SecretAccessKey: *r.creds.SecretAccessKey, SessionToken: *r.creds.SessionToken}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), c, req, rr.hash, rr.service, "us-east-1", rr.signedAt); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, got
}
