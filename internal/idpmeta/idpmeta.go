// Package idpmeta loads a SAML IdP's metadata from a URL or a file, keeps a
// cached copy of fetched metadata so logins work while the IdP's metadata
// endpoint is down, and warns when the IdP's signing certificate is about
// to expire.
package idpmeta

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/crewjam/saml"

	"github.com/ptsaml/ptsaml/internal/clock"
)

// Limits of a metadata fetch.
const (
	DefaultMaxAge = 24 * time.Hour
	FetchTimeout  = 10 * time.Second
	MaxSize       = 1 << 20 // bytes
)

// Source says where metadata comes from. Exactly one of URL and File is set.
type Source struct {
	URL  string
	File string
	// CacheDir holds cached copies of fetched metadata; "" disables the cache.
	CacheDir string
	// HTTP is the client for fetching; nil means a plain http.Client.
	HTTP *http.Client
	// Clock tells the age of the cache and of certificates; nil means the
	// wall clock.
	Clock clock.Clock
	// MaxAge is how long a cached copy is used without fetching; 0 means
	// DefaultMaxAge.
	MaxAge time.Duration
}

// Result is loaded metadata.
type Result struct {
	Descriptor *saml.EntityDescriptor
	// FromCache is true when the metadata came from the cache rather than
	// from the URL or file just now.
	FromCache bool
	// Warnings are lines for people: stale cache in use, certificates
	// expiring or expired.
	Warnings []string
}

// Load returns the IdP metadata. For a URL it uses a cached copy younger
// than MaxAge, else fetches, validates and caches the document; when the
// fetch fails it falls back on an older cached copy with a warning naming
// its age, and without one it fails saying what to do.
func (s Source) Load(ctx context.Context) (*Result, error) {
	clk := s.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	var res *Result
	var err error
	switch {
	case s.URL != "" && s.File != "":
		return nil, errors.New("load idp metadata: both a URL and a file are set; use one")
	case s.File != "":
		res, err = s.loadFile()
	case s.URL != "":
		res, err = s.loadURL(ctx, clk)
	default:
		return nil, errors.New("load idp metadata: no metadata URL or file is set; run ptsaml configure --idp-metadata-url URL")
	}
	if err != nil {
		return nil, err
	}
	res.Warnings = append(res.Warnings, CertWarnings(res.Descriptor, clk.Now())...)
	return res, nil
}

func (s Source) loadFile() (*Result, error) {
	f, err := os.Open(s.File)
	if err != nil {
		return nil, fmt.Errorf("load idp metadata: %w", err)
	}
	defer f.Close()
	data, err := readLimited(f)
	if err != nil {
		return nil, fmt.Errorf("load idp metadata %s: %w", s.File, err)
	}
	ed, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load idp metadata %s: %w", s.File, err)
	}
	return &Result{Descriptor: ed}, nil
}

func (s Source) loadURL(ctx context.Context, clk clock.Clock) (*Result, error) {
	maxAge := s.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	var cachePath string
	var cached *cacheEntry
	var cachedED *saml.EntityDescriptor
	if s.CacheDir != "" {
		cachePath = CachePath(s.CacheDir, s.URL)
		if c, err := readCache(cachePath); err == nil && c != nil {
			if ed, err := Parse(c.data); err == nil { // a broken cache is as good as none
				cached, cachedED = c, ed
			}
		}
	}
	now := clk.Now()
	if cached != nil {
		if age := now.Sub(cached.fetchedAt); age >= 0 && age < maxAge {
			return &Result{Descriptor: cachedED, FromCache: true}, nil
		}
	}
	data, ed, err := s.fetch(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		what := "is unreachable"
		var nm *notMetadataError
		if errors.As(err, &nm) {
			what = "does not serve usable metadata"
		}
		if cached == nil {
			return nil, fmt.Errorf("the IdP metadata URL %s and no copy is cached (%w): "+
				"check the network and the profile's idp_metadata_url, or save the metadata to a file and set idp_metadata_file", what, err)
		}
		warn := fmt.Sprintf("IdP metadata URL %s, using the cached copy fetched %s ago (%s): %v",
			what, now.Sub(cached.fetchedAt).Round(time.Minute), cached.fetchedAt.UTC().Format(time.RFC3339), err)
		return &Result{Descriptor: cachedED, FromCache: true, Warnings: []string{warn}}, nil
	}
	res := &Result{Descriptor: ed}
	if cachePath != "" {
		if err := writeCache(cachePath, data, now); err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("IdP metadata not cached: %v", err))
		}
	}
	return res, nil
}

// fetch GETs and parses the metadata under FetchTimeout and MaxSize.
func (s Source) fetch(ctx context.Context) ([]byte, *saml.EntityDescriptor, error) {
	shown := s.URL
	if u, err := url.Parse(s.URL); err == nil {
		shown = u.Redacted()
	}
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch idp metadata: %w", err)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml;q=0.9, */*;q=0.1")
	resp, err := noDowngrade(s.HTTP).Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch idp metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("fetch idp metadata: GET %s: HTTP %s", shown, resp.Status)
	}
	data, err := readLimited(resp.Body)
	if err != nil {
		return nil, nil, &notMetadataError{fmt.Errorf("fetch idp metadata %s: %w", shown, err)}
	}
	ed, err := Parse(data)
	if err != nil {
		return nil, nil, &notMetadataError{fmt.Errorf("fetch idp metadata %s: %w", shown, err)}
	}
	return data, ed, nil
}

// notMetadataError is a fetch that got an answer, but not usable metadata.
type notMetadataError struct{ err error }

func (e *notMetadataError) Error() string { return e.err.Error() }
func (e *notMetadataError) Unwrap() error { return e.err }

// noDowngrade returns a copy of c (or of a plain client when nil) that
// refuses redirects from https to anything else, since the metadata's
// integrity rests on TLS.
func noDowngrade(c *http.Client) *http.Client {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	next := cp.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return fmt.Errorf("redirect from https to %s refused", req.URL.Redacted())
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cp
}

// readLimited reads at most MaxSize bytes, failing on larger input.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("metadata is larger than %d bytes", MaxSize)
	}
	return data, nil
}
