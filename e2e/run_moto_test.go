package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// acsRunMoto is this file's ACS port (idp.sh lists 18181..18200).
const acsRunMoto = "http://127.0.0.1:18186/saml/acs"

// TestRunMotoShortCredentials is TestRunSandboxShortCredentials with parts
// that share no code with ptsaml: SimpleSAMLphp through headless Chromium,
// and moto issuing 60 s credentials and refusing them once expired.
func TestRunMotoShortCredentials(t *testing.T) {
	requireLong(t)
	requireTorch(t)
	tb := loadTestbed()
	tb.require(t, idp, chromium)
	sts60 := moto60URL(t)
	t.Parallel()
	ptsaml := ptsamlBin.get(t)
	browser := chromeloginBin.get(t)
	h := newHome(t, "")
	cfg := h.run(t, time.Minute, nil, ptsaml, "configure", "--profile", "moto60",
		"--idp-metadata-url", tb.IdPMetadataURL, "--sp-entity-id", spEntityID,
		"--acs-url", acsRunMoto, "--recipients", "acs", "--region", "us-east-1",
		"--sts-endpoint", sts60, "--role", trainRole, "--store", "file")
	if cfg.code != 0 {
		t.Fatalf("configure: exit %d", cfg.code)
	}
	userEnv := []string{"PTSAML_E2E_USER=alice", "PTSAML_E2E_PASSWORD=alice-pass"}
	loginArgs := []string{"--profile", "moto60", "--browser-command", browser, "--timeout", "60s"}
	if r := h.run(t, 2*time.Minute, userEnv, ptsaml, append([]string{"login"}, loginArgs...)...); r.code != 0 {
		t.Fatalf("login: exit %d", r.code)
	}
	stopLogins := reloginEvery(t, 40*time.Second, func() int { return h.loginQuiet(t, userEnv, ptsaml, loginArgs...) })

	out := trainWithRun(t, h, ptsaml, "moto60", []string{"AWS_ENDPOINT_URL_S3=" + sts60}, 300*time.Second)
	logins := stopLogins()

	keys := checkTrained(t, out, 2)
	for i, c := range logins {
		if c != 0 {
			t.Errorf("re-login %d: exit %d", i+1, c)
		}
	}
	// moto refuses expired credentials (ExpiredToken), so no failure above
	// means every request carried credentials valid at that moment.
	if keys < 2 {
		t.Errorf("a rank signed all its S3 requests with %d access key(s): the credentials were never refreshed", keys)
	}
}

// TestPlainEnvironmentCredentialsExpire is the contrast: the same job with
// 60 s credentials in AWS_ACCESS_KEY_ID/... and no ptsaml runs until they
// expire, and then every S3 call fails with ExpiredToken.
func TestPlainEnvironmentCredentialsExpire(t *testing.T) {
	requireLong(t)
	requireTorch(t)
	tb := loadTestbed()
	tb.require(t, idp)
	sts60 := moto60URL(t)
	t.Parallel()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	assertion, err := simpleSAMLLogin(ctx, tb.IdPSSOURL, acsRunMoto, "alice", "alice-pass")
	if err != nil {
		t.Fatalf("sign in at SimpleSAMLphp: %v", err)
	}
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(sts60),
		Credentials: aws.AnonymousCredentials{}})
	got, err := client.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{
		RoleArn: aws.String(trainRole), PrincipalArn: aws.String(idpProvider), SAMLAssertion: aws.String(assertion),
	})
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	c := got.Credentials
	t.Logf("credentials expire at %s, in %s", c.Expiration.UTC().Format(time.TimeOnly),
		time.Until(*c.Expiration).Round(time.Second))

	h := newHome(t, "")
	env := []string{"AWS_ACCESS_KEY_ID=" + aws.ToString(c.AccessKeyId),
		"AWS_SECRET_ACCESS_KEY=" + aws.ToString(c.SecretAccessKey),
		"AWS_SESSION_TOKEN=" + aws.ToString(c.SessionToken), "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ENDPOINT_URL_S3=" + sts60, "GLOO_SOCKET_IFNAME=lo"}
	script, prefix := trainScript(t), "e2e-plain-"+strconv.FormatInt(time.Now().UnixNano(), 36)
	if r := h.run(t, 2*time.Minute, env, systemPython, script, "--make-dataset", "--prefix", prefix); r.code != 0 {
		t.Fatalf("uploading the dataset: exit %d", r.code)
	}
	job := h.start(t, env, systemPython, "-m", "torch.distributed.run", "--nproc_per_node", "2",
		"--master_addr", "127.0.0.1", "--master_port", freePort(t), "--redirects", "1", "--tee", "1",
		script, "--prefix", prefix, "--duration", "150", "--checkpoint-every", "20", "--step-time", "0.05")
	code := job.wait(t, 5*time.Minute)
	out := job.out.String()
	t.Logf("job: exit %d\n%s", code, tail(out, 30))

	if code == 0 {
		t.Error("the job with expired environment credentials exited 0")
	}
	if !strings.Contains(out, "ExpiredToken") {
		t.Error("the job's output does not mention ExpiredToken")
	}
	sums := summaries(t, out)
	for r := range 2 {
		s, ok := sums[r]
		switch {
		case !ok:
			t.Errorf("rank %d printed no PTSAML_TRAIN_SUMMARY", r)
		case s.Steps == 0:
			t.Errorf("rank %d trained no step before the credentials expired", r)
		case s.S3Failures == 0 || s.S3Errors["ExpiredToken"] == 0:
			t.Errorf("rank %d: %d S3 failures (%v), want ExpiredToken failures", r, s.S3Failures, s.S3Errors)
		default:
			t.Logf("rank %d: %d steps, then %d of %d S3 calls failed %v; gave up: %v",
				r, s.Steps, s.S3Failures, s.S3Calls, s.S3Errors, s.GaveUp)
		}
	}
}
