package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/ptsaml/ptsaml/internal/idpmeta"
)

// ciVars make a ptsaml process a CI job: CI=true. The harness already runs
// every command without stdin, without a terminal and, with newHome(t, ""),
// without a D-Bus session.
var ciVars = []string{"CI=true"}

// ecpPasswordVar is the environment variable the ECP profiles of these tests
// name in ecp_password (env:VAR), as a CI secret would be.
const ecpPasswordVar = "PTSAML_E2E_ECP_PASSWORD"

// noBrowsers puts stand-ins for every browser launcher first on PATH (and in
// BROWSER) that only leave a mark in a file; it returns the environment to
// add and a function that lists the launchers that were started.
func noBrowsers(t *testing.T) (env []string, started func() []string) {
	t.Helper()
	dir := t.TempDir()
	marks := filepath.Join(dir, "started")
	for _, name := range []string{"xdg-open", "chromium", "chromium-browser", "google-chrome", "firefox",
		"sensible-browser", "x-www-browser", "www-browser", "gio", "open"} {
		script := "#!/bin/sh\necho " + name + " >>'" + marks + "'\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	env = []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"BROWSER=" + filepath.Join(dir, "xdg-open")}
	return env, func() []string {
		b, err := os.ReadFile(marks)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return strings.Fields(string(b))
	}
}

// processCreds is the output of `ptsaml credential-process`.
type processCreds struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// parseProcessCreds checks r is a successful credential-process with all
// fields; it never logs the secrets.
func parseProcessCreds(t *testing.T, r result) processCreds {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("credential-process: exit %d, want 0", r.code)
	}
	var c processCreds
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatalf("credential-process output is not JSON: %v", err)
	}
	if c.Version != 1 || c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" || c.Expiration.IsZero() {
		t.Fatalf("credential-process output lacks a field (Version %d, AccessKeyId %q, Expiration %s)",
			c.Version, c.AccessKeyID, c.Expiration)
	}
	if left := time.Until(c.Expiration); left <= 0 {
		t.Fatalf("credential-process printed credentials that expired %s ago", -left)
	}
	return c
}

// callerARN asks the STS at endpoint who the credentials are.
func callerARN(t *testing.T, endpoint string, c processCreds) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)})
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity at %s with the printed credentials: %v", endpoint, err)
	}
	return aws.ToString(out.Arn)
}

// credentialsDir is where the file store would keep the user's credentials.
func (h *home) credentialsDir() string {
	return filepath.Join(h.root, "state", "ptsaml", "credentials")
}

// noCredentialsOnDisk fails when the credential store directory holds a
// file, or when any file of the user contains one of the secrets.
func noCredentialsOnDisk(t *testing.T, h *home, secrets ...string) {
	t.Helper()
	entries, err := os.ReadDir(h.credentialsDir())
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("credential store file written: %s", filepath.Join(h.credentialsDir(), e.Name()))
	}
	if files := h.filesContaining(t, secrets...); len(files) > 0 {
		t.Errorf("secrets written to disk: %v", files)
	}
}

// errorLines are the lines of stderr that report the failure ("error: …").
func errorLines(stderr string) []string {
	var out []string
	for line := range strings.Lines(stderr) {
		if strings.HasPrefix(line, "error: ") {
			out = append(out, strings.TrimRight(line, "\n"))
		}
	}
	return out
}

// idpCertPEM is the SimpleSAMLphp IdP's signing certificate from its
// metadata, PEM-encoded, to register it at the sandbox STS as IAM would.
func idpCertPEM(t *testing.T, metadataURL string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	meta, err := idpmeta.Source{URL: metadataURL}.Load(ctx)
	if err != nil {
		t.Fatalf("IdP metadata: %v", err)
	}
	var out []byte
	for _, d := range meta.Descriptor.IDPSSODescriptors {
		for _, kd := range d.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, c := range kd.KeyInfo.X509Data.X509Certificates {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Data), ""))
				if err != nil {
					t.Fatalf("IdP metadata certificate: %v", err)
				}
				out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("the IdP metadata at %s names no signing certificate", metadataURL)
	}
	return out
}

// ciSandbox is a `ptsaml sandbox` process as a CI job sees it.
type ciSandbox struct {
	runSandbox
	sts    string
	ciVars []string // ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN from github-actions.env
}

var stsEndpointLine = regexp.MustCompile(`STS endpoint:\s*(http://\S+)`)

// startCISandbox starts `ptsaml sandbox` with extra flags and reads the
// GitHub-Actions-style variables it writes for jobs.
func startCISandbox(t *testing.T, h *home, ptsaml string, extra ...string) *ciSandbox {
	t.Helper()
	addr, acs := freeAddr(t), freeAddr(t)
	p := h.start(t, nil, ptsaml, append([]string{"sandbox", "--addr", addr, "--acs-url", "http://" + acs + "/saml/acs",
		"--headless", "--store", "file"}, extra...)...)
	p.waitFor(t, 20*time.Second, "Wrote profile", "STS endpoint:", "Stop with Ctrl-C")
	out := p.out.String()
	sb := &ciSandbox{runSandbox: runSandbox{url: "http://" + addr, s3: "http://" + addr + "/s3"}}
	if m := s3Endpoint.FindStringSubmatch(out); m != nil {
		sb.s3 = m[1]
	}
	m := stsEndpointLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the sandbox printed no STS endpoint:\n%s", tail(out, 20))
	}
	sb.sts = m[1]
	envFile := filepath.Join(h.root, "state", "ptsaml", "sandbox", "github-actions.env")
	f, err := os.Open(envFile)
	if err != nil {
		t.Fatalf("the sandbox's job variables: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, _, ok := strings.Cut(sc.Text(), "="); ok && strings.HasPrefix(name, "ACTIONS_ID_TOKEN_REQUEST_") {
			sb.ciVars = append(sb.ciVars, sc.Text())
		}
	}
	if len(sb.ciVars) != 2 {
		t.Fatalf("%s holds %d ACTIONS_ID_TOKEN_REQUEST_* variables, want 2", envFile, len(sb.ciVars))
	}
	return sb
}
