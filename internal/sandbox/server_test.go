package sandbox

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/clock"
)

func TestPagesAndMetadataSaySandbox(t *testing.T) {
	srv, _ := startSandbox(t, Options{})
	md := fetchMetadata(t, srv)
	if md.Organization == nil || len(md.Organization.OrganizationNames) == 0 || md.Organization.OrganizationNames[0].Value != Banner {
		t.Errorf("metadata Organization = %+v, want OrganizationName %q", md.Organization, Banner)
	}
	if md.EntityID != srv.MetadataURL() || len(md.IDPSSODescriptors) != 1 {
		t.Errorf("metadata entity %q with %d IDPSSODescriptors", md.EntityID, len(md.IDPSSODescriptors))
	}
	resp, err := http.Get(srv.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{Banner, "alice", ProviderARN, srv.STSEndpoint()} {
		if !strings.Contains(string(body), want) {
			t.Errorf("index page lacks %q", want)
		}
	}
	nf, err := http.Get(srv.URL() + "/no/such/page")
	if err != nil {
		t.Fatal(err)
	}
	defer nf.Body.Close()
	body, _ = io.ReadAll(nf.Body)
	if nf.StatusCode != http.StatusNotFound || !strings.Contains(string(body), Banner) {
		t.Errorf("unknown page: HTTP %d without the sandbox banner", nf.StatusCode)
	}
}

func TestStartRefusesNonLoopbackAddr(t *testing.T) {
	if _, err := Start(t.Context(), Options{Addr: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("Start(0.0.0.0:0) = %v, want a loopback-only error", err)
	}
}

func TestHostHeaderChecked(t *testing.T) {
	srv, _ := startSandbox(t, Options{})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL()+"/", nil)
	req.Host = "evil.example:80"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host answered HTTP %d, want 421", resp.StatusCode)
	}
}

func TestStateDirKeepsIdPKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	now := time.Now()
	key1, cert1, err := loadOrCreateKey(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	key2, cert2, err := loadOrCreateKey(dir, now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !key1.Equal(key2) || !cert1.Equal(cert2) {
		t.Error("second start made a new key pair; want the kept one")
	}
	fi, err := os.Stat(filepath.Join(dir, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	_, cert3, err := loadOrCreateKey(dir, cert1.NotAfter.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if cert3.Equal(cert1) {
		t.Error("a certificate expiring within 30 days was kept; want a new one")
	}

	// Through Start: the metadata carries the kept certificate.
	srv, err := Start(t.Context(), Options{StateDir: dir, Clock: clock.NewFake(now)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !srv.idp.Certificate.Equal(cert3) {
		t.Error("Start did not use the certificate kept in StateDir")
	}
}
