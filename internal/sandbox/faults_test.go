package sandbox

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestFailSTS(t *testing.T) {
	srv, _ := startSandbox(t, Options{})
	post := func(action string) (int, string) {
		t.Helper()
		resp, err := http.PostForm(srv.STSEndpoint(), url.Values{"Action": {action}, "Version": {stsVersion}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e errorResponse
		_ = xml.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Code
	}
	srv.FailSTS(2, http.StatusInternalServerError, "InternalFailure")
	for i := range 2 {
		if st, code := post("AssumeRoleWithSAML"); st != 500 || code != "InternalFailure" {
			t.Fatalf("request %d: %d %s, want 500 InternalFailure", i, st, code)
		}
	}
	// Served again: refused for its missing parameters, not failed.
	if st, code := post("AssumeRoleWithSAML"); st == 500 || code == "InternalFailure" {
		t.Fatalf("third request: %d %s, want it served", st, code)
	}
	if srv.STSFaults() != 2 || srv.STSCalls() != 1 {
		t.Errorf("faults %d, calls %d; want 2 and 1", srv.STSFaults(), srv.STSCalls())
	}

	srv.FailSTS(-1, http.StatusBadRequest, "Throttling")
	for range 5 {
		if st, code := post("AssumeRoleWithWebIdentity"); st != 400 || code != "Throttling" {
			t.Fatalf("%d %s, want 400 Throttling", st, code)
		}
	}
	// The SDK reads the injected answer as AWS's.
	_, err := stsClient(srv, nil).AssumeRoleWithSAML(t.Context(), assumeInput(strings.Repeat("A", 8), TrainRoleARN, 900))
	var ae interface{ ErrorMessage() string }
	if code, st := apiError(err); code != "Throttling" || st != 400 || !errors.As(err, &ae) || ae.ErrorMessage() != "Rate exceeded" {
		t.Errorf("SDK error = %v, want Throttling (400) \"Rate exceeded\"", err)
	}
	// GetCallerIdentity is never failed.
	if _, err := stsClient(srv, nil).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil {
		if code, _ := apiError(err); code == "Throttling" {
			t.Errorf("GetCallerIdentity was failed: %v", err)
		}
	}
	srv.FailSTS(0, 0, "")
	if st, code := post("AssumeRoleWithSAML"); code == "Throttling" {
		t.Fatalf("after FailSTS(0): %d %s, want it served", st, code)
	}
	if srv.STSFaults() != 8 {
		t.Errorf("faults = %d, want 8", srv.STSFaults())
	}
}

func TestIdPClockOffset(t *testing.T) {
	for _, off := range []time.Duration{10 * time.Minute, -10 * time.Minute} {
		t.Run(off.String(), func(t *testing.T) {
			srv, fake := startSandbox(t, Options{})
			sp := newTestSP(t, srv, fake, AWSAudience, "/saml/acs")
			srv.SetIdPClockOffset(off)
			_ = SignIn(t.Context(), sp.loginURL(t), "alice", "alice") // the test SP refuses the skewed answer
			posts := sp.received()
			if len(posts) != 1 {
				t.Fatalf("ACS got %d posts, want 1: the IdP must answer whatever its clock says", len(posts))
			}
			var r struct {
				IssueInstant time.Time `xml:"IssueInstant,attr"`
				Assertion    struct {
					IssueInstant time.Time `xml:"IssueInstant,attr"`
					Conditions   struct {
						NotOnOrAfter time.Time `xml:"NotOnOrAfter,attr"`
					}
				}
			}
			if err := xml.Unmarshal([]byte(decodeResponse(t, posts[0].SAMLResponse)), &r); err != nil {
				t.Fatal(err)
			}
			want := fake.Now().Add(off)
			if !r.IssueInstant.Equal(want) || !r.Assertion.IssueInstant.Equal(want) ||
				!r.Assertion.Conditions.NotOnOrAfter.Equal(want.Add(assertionLifetime)) {
				t.Errorf("response issued %v, assertion %v (until %v); want %v (sandbox clock %v %+v)",
					r.IssueInstant, r.Assertion.IssueInstant, r.Assertion.Conditions.NotOnOrAfter, want, fake.Now(), off)
			}
		})
	}
}
