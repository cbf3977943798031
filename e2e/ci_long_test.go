package e2e

import (
	"strings"
	"testing"
	"time"
)

// acsCILongECP is the ACS URL of the long ECP job's profile.
const acsCILongECP = "http://127.0.0.1:18196/saml/acs"

// ciJobDuration is how long the CI jobs train: at least five 60 s credential
// lifetimes.
const ciJobDuration = 300 * time.Second

// TestCILongECPReauth trains for five minutes with `ptsaml run` in a CI job
// on credentials that moto ends after 60 s, with an ECP service account and
// nobody signing in by hand: the refresher must sign in again over ECP at
// SimpleSAMLphp by itself, and no S3 call may fail.
func TestCILongECPReauth(t *testing.T) {
	requireLong(t)
	requireTorch(t)
	tb := loadTestbed()
	tb.require(t, idp)
	sts60 := moto60URL(t)
	t.Parallel()
	ptsaml := ptsamlBin.get(t)
	h := newHome(t, "")
	configureECP(t, h, ptsaml, "svc60", tb.IdPMetadataURL, spEntityID, acsCILongECP, sts60)
	browserEnv, browsersStarted := noBrowsers(t)
	env := append([]string{ecpPasswordVar + "=alice-pass", "AWS_ENDPOINT_URL_S3=" + sts60}, ciVars...)
	env = append(env, browserEnv...)

	start := time.Now()
	out := trainWithRun(t, h, ptsaml, "svc60", env, ciJobDuration)
	checkCIJob(t, out, start)
	if got := browsersStarted(); len(got) > 0 {
		t.Errorf("the CI job started browsers: %v", got)
	}
	noCredentialsOnDisk(t, h, "alice-pass")
}

// TestCILongOIDCReauth is the same job with a GitHub-Actions-style OIDC
// profile against `ptsaml sandbox --short-credentials 60s`: the job token
// comes from the sandbox's token request endpoint (ACTIONS_ID_TOKEN_REQUEST_*
// from its github-actions.env), the refresher requests a fresh one and calls
// AssumeRoleWithWebIdentity again before each expiry. Every S3 request must
// be accepted with credentials valid at that moment.
func TestCILongOIDCReauth(t *testing.T) {
	requireLong(t)
	requireTorch(t)
	t.Parallel()
	ptsaml := ptsamlBin.get(t)
	h := newHome(t, "")
	sb := startCISandbox(t, h, ptsaml, "--short-credentials", "60s")
	if r := h.run(t, time.Minute, nil, ptsaml, "configure", "--profile", "ci", "--auth", "oidc",
		"--oidc-token", "github", "--region", "us-east-1", "--sts-endpoint", sb.sts,
		"--role", trainRole); r.code != 0 {
		t.Fatalf("configure: exit %d", r.code)
	}
	browserEnv, browsersStarted := noBrowsers(t)
	env := append(append([]string{"AWS_ENDPOINT_URL_S3=" + sb.s3}, ciVars...), sb.ciVars...)
	env = append(env, browserEnv...)
	records := sb.collectS3(t)

	start := time.Now()
	out := trainWithRun(t, h, ptsaml, "ci", env, ciJobDuration)
	recs, total := records()
	checkCIJob(t, out, start)

	var st struct {
		STSCalls            int64 `json:"sts_calls"`
		WebIdentityAccepted int64 `json:"sts_web_identity_accepted"`
		WebIdentityRejected int64 `json:"sts_web_identity_rejected"`
		OIDCTokenRequests   int64 `json:"oidc_token_requests"`
		S3OK                int64 `json:"s3_ok"`
		S3Expired           int64 `json:"s3_expired"`
		S3Denied            int64 `json:"s3_denied"`
	}
	if err := getJSON(sb.url+"/stats", &st); err != nil {
		t.Fatalf("sandbox stats: %v", err)
	}
	t.Logf("sandbox: %+v", st)
	if st.STSCalls != 0 || st.WebIdentityRejected != 0 {
		t.Errorf("sandbox STS: %d SAML calls and %d refused web identity calls, want 0 and 0", st.STSCalls, st.WebIdentityRejected)
	}
	// The dataset upload signs in once; the job at least every 60 s.
	if want := int64(ciJobDuration/time.Minute) + 1; st.WebIdentityAccepted < want || st.OIDCTokenRequests < st.WebIdentityAccepted {
		t.Errorf("%d accepted web identity calls from %d token requests, want at least %d, one token each",
			st.WebIdentityAccepted, st.OIDCTokenRequests, want)
	}
	if st.S3Expired != 0 || st.S3Denied != 0 || st.S3OK == 0 {
		t.Errorf("sandbox S3 refused %d requests with ExpiredToken and %d otherwise (%d accepted), want 0 and 0",
			st.S3Expired, st.S3Denied, st.S3OK)
	}
	checkS3Records(t, recs, total)
	if got := browsersStarted(); len(got) > 0 {
		t.Errorf("the CI job started browsers: %v", got)
	}
}

// checkCIJob asserts that both ranks trained with no S3 failure on more than
// one access key, that the refresher re-authenticated by itself, and that
// it never reported a failed re-authentication.
func checkCIJob(t *testing.T, out string, start time.Time) {
	t.Helper()
	if took := time.Since(start); took < ciJobDuration {
		t.Errorf("the job ended after %s, want at least %s", took.Round(time.Second), ciJobDuration)
	}
	if keys := checkTrained(t, out, 2); keys < 2 {
		t.Errorf("a rank signed all its S3 requests with %d access key(s): the credentials were never renewed", keys)
	}
	for line := range strings.Lines(out) {
		if strings.Contains(line, "re-authentication") && strings.Contains(line, "failed") {
			t.Errorf("the refresher reported: %s", strings.TrimSpace(line))
		}
		if strings.Contains(line, "ptsaml login") {
			t.Errorf("the job asked for a login by hand: %s", strings.TrimSpace(line))
		}
	}
}
