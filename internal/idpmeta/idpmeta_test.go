package idpmeta

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/clock"
)

// idpServer serves metadata and counts requests; status and body can change.
type idpServer struct {
	*httptest.Server
	requests atomic.Int64
	status   atomic.Int64
	body     atomic.Value // string
}

func newIdPServer(t *testing.T, body string) *idpServer {
	t.Helper()
	s := &idpServer{}
	s.status.Store(http.StatusOK)
	s.body.Store(body)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		w.WriteHeader(int(s.status.Load()))
		_, _ = w.Write([]byte(s.body.Load().(string)))
	}))
	t.Cleanup(s.Close)
	return s
}

func newSource(t *testing.T, srv *idpServer, clk clock.Clock) Source {
	return Source{URL: srv.URL + "/metadata", CacheDir: filepath.Join(t.TempDir(), "cache"), HTTP: srv.Client(), Clock: clk}
}

func TestLoadURLCaches(t *testing.T) {
	srv := newIdPServer(t, goodMetadata(t, "urn:idp:one"))
	clk := clock.NewFake(testNow)
	src := newSource(t, srv, clk)
	ctx := context.Background()

	res, err := src.Load(ctx)
	if err != nil {
		t.Fatalf("first Load: %v", err)
	}
	if res.FromCache || res.Descriptor.EntityID != "urn:idp:one" || len(res.Warnings) != 0 || srv.requests.Load() != 1 {
		t.Fatalf("first Load = %+v after %d requests; want a fetch", res, srv.requests.Load())
	}
	path := CachePath(src.CacheDir, src.URL)
	for p, want := range map[string]os.FileMode{src.CacheDir: 0o700, path: 0o600} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("cache not written: %v", err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode = %v, want %v", p, st.Mode().Perm(), want)
		}
	}

	steps := []struct {
		name         string
		advance      time.Duration
		wantRequests int64
		wantCached   bool
	}{
		{"fresh cache is used", time.Hour, 1, true},
		{"still fresh just before max age", DefaultMaxAge - time.Hour - time.Second, 1, true},
		{"stale cache refetches", time.Second, 2, false},
		{"refetch renewed the cache", time.Hour, 2, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clk.Advance(st.advance)
			res, err := src.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if res.FromCache != st.wantCached || srv.requests.Load() != st.wantRequests {
				t.Errorf("FromCache = %v after %d requests; want %v after %d", res.FromCache, srv.requests.Load(), st.wantCached, st.wantRequests)
			}
		})
	}
}

func TestLoadURLMaxAge(t *testing.T) {
	srv := newIdPServer(t, goodMetadata(t, "urn:idp"))
	clk := clock.NewFake(testNow)
	src := newSource(t, srv, clk)
	src.MaxAge = time.Minute
	for range 2 {
		if _, err := src.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Minute)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("requests = %d, want 2 (cache older than MaxAge)", n)
	}
}

func TestLoadURLWithoutCacheDir(t *testing.T) {
	srv := newIdPServer(t, goodMetadata(t, "urn:idp"))
	src := Source{URL: srv.URL, HTTP: srv.Client(), Clock: clock.NewFake(testNow)}
	for range 2 {
		if _, err := src.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.requests.Load(); n != 2 {
		t.Errorf("requests = %d, want 2 without a cache", n)
	}
}

func TestLoadURLCertWarning(t *testing.T) {
	md := entity("urn:idp", keyDescriptor("signing", newCert(t, "idp.example.com", testNow.AddDate(0, 0, 10))))
	srv := newIdPServer(t, md)
	src := newSource(t, srv, clock.NewFake(testNow))
	for _, want := range []bool{false, true} { // fetched, then cached: both warn
		res, err := src.Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.FromCache != want || len(res.Warnings) != 1 ||
			res.Warnings[0] != "IdP signing certificate CN=idp.example.com expires on 2026-12-09 (in 10 days): ask the IdP admin for the new metadata" {
			t.Errorf("FromCache %v, Warnings = %q", res.FromCache, res.Warnings)
		}
	}
}

func TestCachePathPerURL(t *testing.T) {
	a, b := CachePath("/c", "https://a.example.com/md"), CachePath("/c", "https://b.example.com/md")
	if a == b || filepath.Dir(a) != "/c" || strings.Contains(a, "example") {
		t.Errorf("CachePath = %q, %q; want distinct files under /c that do not show the URL", a, b)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "idp.xml")
	if err := os.WriteFile(good, []byte(entities(goodMetadata(t, "urn:idp:file"))), 0o600); err != nil {
		t.Fatal(err)
	}
	expiring := filepath.Join(dir, "expiring.xml")
	if err := os.WriteFile(expiring, []byte(entity("urn:idp", keyDescriptor("", newCert(t, "x", testNow.AddDate(0, 0, -1))))), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		src        Source
		wantEntity string
		wantWarn   string
		wantErr    string
	}{
		{"file", Source{File: good}, "urn:idp:file", "", ""},
		{"expired cert in file", Source{File: expiring}, "urn:idp", "expired on 2026-11-28 (yesterday)", ""},
		{"missing file", Source{File: filepath.Join(dir, "nope.xml")}, "", "", "no such file"},
		{"both set", Source{File: good, URL: "https://idp.example.com/md"}, "", "", "both a URL and a file"},
		{"neither set", Source{}, "", "", "run ptsaml configure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.src.Clock = clock.NewFake(testNow)
			res, err := tt.src.Load(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.FromCache || res.Descriptor.EntityID != tt.wantEntity {
				t.Errorf("Load = %+v, want entity %q not from cache", res, tt.wantEntity)
			}
			if got := strings.Join(res.Warnings, "\n"); (tt.wantWarn == "") != (got == "") || !strings.Contains(got, tt.wantWarn) {
				t.Errorf("Warnings = %q, want %q", res.Warnings, tt.wantWarn)
			}
		})
	}
}
