package e2e

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/sandbox"
	"github.com/ptsaml/ptsaml/internal/testing/chromelogin"
)

// TestSTSAgreementSandbox judges the same cases with ptsaml's own sandbox STS
// and assertions from the sandbox IdP. Together with TestSTSAgreementMoto it
// checks that the sandbox decides as an independent implementation does.
func TestSTSAgreementSandbox(t *testing.T) {
	const acsURL = "http://127.0.0.1:18191/saml/acs"
	received := startCaptureACS(t, "127.0.0.1:18191")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := sandbox.Start(ctx, sandbox.Options{ACSURLs: []string{acsURL}, SPEntityID: sandbox.AWSAudience})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })

	runSTSCases(t, stsBackend{
		name:     "sandbox",
		endpoint: srv.STSEndpoint(),
		provider: sandbox.ProviderARN,
		roleARN:  func(role string) string { return "arn:aws:iam::" + sandbox.Account + ":role/" + role },
		login: func(user string) (string, error) {
			ctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			start, err := chromelogin.AuthnRequestURL(srv.URL()+"/saml/sso", acsURL, sandbox.AWSAudience, "e2e", time.Now())
			if err != nil {
				return "", err
			}
			if err := sandbox.SignIn(ctx, start, user, user); err != nil { // sandbox passwords equal the user names
				return "", err
			}
			select {
			case resp := <-received:
				return resp, nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		},
	})
}

// startCaptureACS serves an ACS on addr that hands every posted SAMLResponse
// to the returned channel and answers 200.
func startCaptureACS(t *testing.T, addr string) <-chan string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	got := make(chan string, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		select {
		case got <- r.PostFormValue("SAMLResponse"):
		default:
		}
		_, _ = w.Write([]byte("received"))
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return got
}
