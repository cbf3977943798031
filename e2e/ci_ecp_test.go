package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/sandbox"
)

// ACS URLs of this file's ECP profiles (idp.sh registers 18181..18200 with
// the HTTP-POST and the PAOS binding; nothing needs to listen for ECP).
const (
	acsCIECPMoto    = "http://127.0.0.1:18192/saml/acs"
	acsCIECPSandbox = "http://127.0.0.1:18193/saml/acs"
	acsCIECPWrong   = "http://127.0.0.1:18194/saml/acs"
)

// configureECP writes an ECP service-account profile for alice at the test
// IdP whose secret is in $PTSAML_E2E_ECP_PASSWORD.
func configureECP(t *testing.T, h *home, ptsaml, profile, metadataURL, spEntityID, acs, stsURL string, extra ...string) {
	t.Helper()
	args := append([]string{"configure", "--profile", profile, "--auth", "ecp",
		"--idp-metadata-url", metadataURL, "--sp-entity-id", spEntityID, "--acs-url", acs, "--recipients", "acs",
		"--region", "us-east-1", "--sts-endpoint", stsURL, "--role", trainRole,
		"--ecp-username", "alice", "--ecp-password", "env:" + ecpPasswordVar}, extra...)
	if r := h.run(t, time.Minute, nil, ptsaml, args...); r.code != 0 {
		t.Fatalf("configure %s: exit %d", profile, r.code)
	}
}

// TestCIECPLogin signs in over SAML ECP at the real SimpleSAMLphp with a
// service account whose password comes from an environment variable, in a
// CI job (CI=true, no stdin, no D-Bus), and exchanges the assertion at moto
// and at the sandbox STS (SimpleSAMLphp registered there as a second SAML
// provider). A wrong password fails with one clear line and caches nothing.
func TestCIECPLogin(t *testing.T) {
	tb := loadTestbed()
	tb.require(t, idp, moto)
	ptsaml := ptsamlBin.get(t)
	browserEnv, browsersStarted := noBrowsers(t)
	const password = "alice-pass"
	job := append(append([]string{ecpPasswordVar + "=" + password}, ciVars...), browserEnv...)

	t.Run("exchanged at moto", func(t *testing.T) {
		h := newHome(t, "")
		configureECP(t, h, ptsaml, "svc", tb.IdPMetadataURL, spEntityID, acsCIECPMoto, tb.STSURL)
		if r := h.run(t, time.Minute, job, ptsaml, "login", "--profile", "svc"); r.code != 0 {
			t.Fatalf("login: exit %d", r.code)
		}
		cp := h.runQuietEnv(t, job, ptsaml, "credential-process", "--profile", "svc")
		t.Logf("credential-process: exit %d\n%s", cp.code, indent(cp.stderr))
		creds := parseProcessCreds(t, cp)
		if arn := callerARN(t, tb.STSURL, creds); !strings.Contains(arn, ":assumed-role/TrainRole/alice") {
			t.Errorf("caller identity %q, want assumed-role/TrainRole/alice", arn)
		}
		if strings.Contains(cp.stdout+cp.stderr, password) {
			t.Error("credential-process output contains the ECP password")
		}
		noCredentialsOnDisk(t, h, creds.SecretAccessKey, creds.SessionToken, password)
	})

	t.Run("exchanged at the sandbox", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// The sandbox STS, like AWS, wants the audience urn:amazon:webservices.
		srv, err := sandbox.Start(ctx, sandbox.Options{ExtraSAMLProviders: map[string][]byte{
			idpProvider: idpCertPEM(t, tb.IdPMetadataURL),
		}})
		if err != nil {
			t.Fatalf("start sandbox: %v", err)
		}
		t.Cleanup(func() { _ = srv.Close() })
		h := newHome(t, "")
		configureECP(t, h, ptsaml, "svc", tb.IdPMetadataURL, sandbox.AWSAudience, acsCIECPSandbox, srv.STSEndpoint())
		cp := h.runQuietEnv(t, job, ptsaml, "credential-process", "--profile", "svc")
		t.Logf("credential-process: exit %d\n%s", cp.code, indent(cp.stderr))
		if cp.code != 0 && strings.Contains(cp.stderr, "not a SOAP envelope") {
			// SimpleSAMLphp answers an unknown SP with an HTML error page.
			t.Fatalf("SimpleSAMLphp refused SP %s (its log says METADATANOTFOUND): scripts/testbed/idp.sh must "+
				"register AWS's SP entity ID too, since the sandbox STS, like AWS, requires that audience", sandbox.AWSAudience)
		}
		creds := parseProcessCreds(t, cp)
		if arn := callerARN(t, srv.STSEndpoint(), creds); !strings.Contains(arn, ":assumed-role/TrainRole/alice") {
			t.Errorf("caller identity %q, want assumed-role/TrainRole/alice", arn)
		}
		if srv.STSCalls() != 1 {
			t.Errorf("the sandbox saw %d AssumeRoleWithSAML calls, want 1", srv.STSCalls())
		}
		noCredentialsOnDisk(t, h, creds.SecretAccessKey, creds.SessionToken, password)
	})

	t.Run("wrong password", func(t *testing.T) {
		const wrong = "not-alice-pass-0815"
		h := newHome(t, "")
		// A file store, so that "nothing cached" is more than the memory default.
		configureECP(t, h, ptsaml, "svc", tb.IdPMetadataURL, spEntityID, acsCIECPWrong, tb.STSURL, "--store", "file")
		bad := append(append([]string{}, job...), ecpPasswordVar+"="+wrong)
		for _, cmd := range [][]string{{"login", "--profile", "svc"}, {"credential-process", "--profile", "svc"}} {
			r := h.run(t, time.Minute, bad, ptsaml, cmd...)
			errs := errorLines(r.stderr)
			switch {
			case r.code != 1:
				t.Errorf("%s: exit %d, want 1", cmd[0], r.code)
			case r.stdout != "":
				t.Errorf("%s: %d bytes on stdout, want none", cmd[0], len(r.stdout))
			case len(errs) != 1:
				t.Errorf("%s: %d error lines, want one:\n%s", cmd[0], len(errs), r.stderr)
			case !strings.Contains(strings.ToLower(errs[0]), "password"):
				t.Errorf("%s: the error does not say the user name or password is wrong: %s", cmd[0], errs[0])
			}
			if strings.Contains(r.stdout+r.stderr, wrong) {
				t.Errorf("%s: the output contains the password", cmd[0])
			}
		}
		st := h.run(t, 30*time.Second, ciVars, ptsaml, "status", "--profile", "svc", "--output", "json")
		if strings.Contains(st.stdout, `"logged_in":true`) {
			t.Errorf("status after failed logins says logged in: %s", st.stdout)
		}
		noCredentialsOnDisk(t, h, wrong)
	})

	if got := browsersStarted(); len(got) > 0 {
		t.Errorf("ECP profiles started browsers: %v", got)
	}
}
