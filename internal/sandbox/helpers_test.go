package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/crewjam/saml"

	"github.com/ptsaml/ptsaml/internal/clock"
)

// startSandbox starts a sandbox on a random loopback port with a fake clock
// at a whole second of the real time (the SDK signs with the real clock).
func startSandbox(t *testing.T, o Options) (*Server, *clock.Fake) {
	t.Helper()
	fake := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	o.Clock = fake
	srv, err := Start(t.Context(), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, fake
}

// testSP is a crewjam ServiceProvider with a loopback ACS listener: it
// stands for pkg/login in these tests.
type testSP struct {
	sp    *saml.ServiceProvider
	mu    sync.Mutex
	reqID string
	posts []acsPost
}

type acsPost struct {
	SAMLResponse, RelayState string
	ParseErr                 error
}

func newTestSP(t *testing.T, srv *Server, clk clock.Clock, entityID, acsPath string) *testSP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	md := fetchMetadata(t, srv)
	key, cert, err := newKeyPair(clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	acsURL, _ := url.Parse(base + acsPath)
	mdURL, _ := url.Parse(base + "/saml/metadata")
	ts := &testSP{sp: &saml.ServiceProvider{
		EntityID: entityID, Key: key, Certificate: cert, AcsURL: *acsURL, MetadataURL: *mdURL,
		IDPMetadata: md, Clock: dsigClock(clk),
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+acsPath, func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		id := ts.reqID
		ts.mu.Unlock()
		perr := r.ParseForm()
		if perr == nil {
			_, perr = ts.sp.ParseResponse(r, []string{id})
		}
		ts.mu.Lock()
		ts.posts = append(ts.posts, acsPost{r.PostFormValue("SAMLResponse"), r.PostFormValue("RelayState"), perr})
		ts.mu.Unlock()
		if perr != nil {
			var ire *saml.InvalidResponseError
			if errors.As(perr, &ire) {
				perr = ire.PrivateErr
			}
			ts.mu.Lock()
			ts.posts[len(ts.posts)-1].ParseErr = perr
			ts.mu.Unlock()
			http.Error(w, "test ACS refused the response", http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, "<html><body>signed in</body></html>")
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return ts
}

func fetchMetadata(t *testing.T, srv *Server) *saml.EntityDescriptor {
	t.Helper()
	resp, err := http.Get(srv.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var md saml.EntityDescriptor
	if err := xml.Unmarshal(buf, &md); err != nil {
		t.Fatalf("parse metadata: %v", err)
	}
	return &md
}

// loginURL makes a fresh AuthnRequest (Redirect binding) and returns the
// URL a browser would be sent to.
func (ts *testSP) loginURL(t *testing.T) string {
	t.Helper()
	req, err := ts.sp.MakeAuthenticationRequest(ts.sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	ts.mu.Lock()
	ts.reqID = req.ID
	ts.mu.Unlock()
	u, err := req.Redirect("relay-state-123", ts.sp)
	if err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// login signs user in through SignIn and returns the SAMLResponse the ACS
// received.
func (ts *testSP) login(t *testing.T, user, password string) string {
	t.Helper()
	if err := SignIn(t.Context(), ts.loginURL(t), user, password); err != nil {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		if n := len(ts.posts); n > 0 && ts.posts[n-1].ParseErr != nil {
			t.Fatalf("SignIn(%s): %v (test SP: %v)", user, err, ts.posts[n-1].ParseErr)
		}
		t.Fatalf("SignIn(%s): %v", user, err)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	last := ts.posts[len(ts.posts)-1]
	if last.RelayState != "relay-state-123" {
		t.Fatalf("RelayState = %q, want relay-state-123", last.RelayState)
	}
	return last.SAMLResponse
}

func stsClient(srv *Server, creds aws.CredentialsProvider) *sts.Client {
	if creds == nil {
		creds = aws.AnonymousCredentials{}
	}
	return sts.New(sts.Options{
		Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String(srv.STSEndpoint()),
		Retryer: aws.NopRetryer{},
	})
}

func assume(ctx context.Context, srv *Server, samlResponse, role string) (*sts.AssumeRoleWithSAMLOutput, error) {
	return stsClient(srv, nil).AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(role), PrincipalArn: aws.String(ProviderARN), SAMLAssertion: aws.String(samlResponse),
	})
}

func callerIdentity(ctx context.Context, srv *Server, out *sts.AssumeRoleWithSAMLOutput) (*sts.GetCallerIdentityOutput, error) {
	c := out.Credentials
	p := credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	return stsClient(srv, p).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
}

// apiError returns the AWS error code and HTTP status of err ("" when err
// is not an API error).
func apiError(err error) (string, int) {
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		return "", 0
	}
	return ae.ErrorCode(), re.HTTPStatusCode()
}

// decodeResponse returns the XML of a base64 SAMLResponse.
func decodeResponse(t *testing.T, b64 string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func assumeInput(samlResponse, role string, seconds int32) *sts.AssumeRoleWithSAMLInput {
	return &sts.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(role), PrincipalArn: aws.String(ProviderARN),
		SAMLAssertion: aws.String(samlResponse), DurationSeconds: aws.Int32(seconds),
	}
}

// received returns what the ACS has been posted so far.
func (ts *testSP) received() []acsPost {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]acsPost(nil), ts.posts...)
}
