package idpmeta

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/clock"
)

// breakers make the IdP unreachable in different ways.
var breakers = []struct {
	name    string
	brk     func(s *idpServer)
	wantErr string
	what    string // how the URL failed, in the warning and the error
}{
	{"HTTP 503", func(s *idpServer) { s.status.Store(http.StatusServiceUnavailable) }, "HTTP 503 Service Unavailable", unreachable},
	{"HTTP 404", func(s *idpServer) { s.status.Store(http.StatusNotFound) }, "HTTP 404 Not Found", unreachable},
	{"server down", func(s *idpServer) { s.Close() }, "fetch idp metadata", unreachable},
	{"login page instead of metadata", func(s *idpServer) { s.body.Store("<html>sign in</html>") }, "root element is html", notMetadata},
	{"oversized", func(s *idpServer) { s.body.Store(strings.Repeat(" ", MaxSize+1)) }, "larger than 1048576 bytes", notMetadata},
}

const (
	unreachable = "is unreachable"
	notMetadata = "does not serve usable metadata"
)

func TestLoadURLFallsBackOnCache(t *testing.T) {
	for _, b := range breakers {
		t.Run(b.name, func(t *testing.T) {
			srv := newIdPServer(t, goodMetadata(t, "urn:idp"))
			clk := clock.NewFake(testNow)
			src := newSource(t, srv, clk)
			if _, err := src.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			b.brk(srv)
			clk.Advance(48 * time.Hour)
			res, err := src.Load(context.Background())
			if err != nil {
				t.Fatalf("Load with stale cache and broken IdP: %v", err)
			}
			if !res.FromCache || res.Descriptor.EntityID != "urn:idp" {
				t.Errorf("Load = %+v, want the cached copy", res)
			}
			want := "IdP metadata URL " + b.what + ", using the cached copy fetched 48h0m0s ago (2026-11-29T12:00:00Z): "
			if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], want) || !strings.Contains(res.Warnings[0], b.wantErr) {
				t.Errorf("Warnings = %q, want one starting %q and naming %q", res.Warnings, want, b.wantErr)
			}
		})
	}
}

func TestLoadURLFailsWithoutCache(t *testing.T) {
	for _, b := range breakers {
		t.Run(b.name, func(t *testing.T) {
			srv := newIdPServer(t, goodMetadata(t, "urn:idp"))
			b.brk(srv)
			src := newSource(t, srv, clock.NewFake(testNow))
			_, err := src.Load(context.Background())
			if err == nil || !strings.Contains(err.Error(), b.wantErr) {
				t.Fatalf("Load error = %v, want one naming %q", err, b.wantErr)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "the IdP metadata URL "+b.what+" and no copy is cached (") ||
				!strings.HasSuffix(msg, "or save the metadata to a file and set idp_metadata_file") || strings.Contains(msg, "\n") {
				t.Errorf("Load error = %q, want one line saying the URL is unreachable and what to do", msg)
			}
			if _, statErr := os.Stat(CachePath(src.CacheDir, src.URL)); !errors.Is(statErr, os.ErrNotExist) {
				t.Errorf("a failed fetch left a cache file (stat: %v)", statErr)
			}
		})
	}
}

func TestLoadURLCancelledDoesNotFallBack(t *testing.T) {
	srv := newIdPServer(t, goodMetadata(t, "urn:idp"))
	clk := clock.NewFake(testNow)
	src := newSource(t, srv, clk)
	if _, err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(48 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Load(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestLoadURLRefusesHTTPSDowngrade(t *testing.T) {
	plain := newIdPServer(t, goodMetadata(t, "urn:idp"))
	tlsSrv := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/metadata", http.StatusFound))
	t.Cleanup(tlsSrv.Close)
	src := Source{URL: tlsSrv.URL + "/metadata", HTTP: tlsSrv.Client(), Clock: clock.NewFake(testNow)}
	_, err := src.Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "redirect from https to http://") {
		t.Fatalf("Load = %v, want the https->http redirect refused", err)
	}
	if n := plain.requests.Load(); n != 0 {
		t.Errorf("the http server got %d requests, want 0", n)
	}
}
