package sandbox

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/ptsaml/ptsaml/internal/clock"
)

const (
	// s3Prefix is where the S3 API lives on the sandbox listener; clients
	// use path-style addressing below it: /s3/BUCKET/KEY.
	s3Prefix = "/s3"
	// DataBucket is the bucket that exists when the sandbox starts.
	DataBucket = "ptsaml-data"
	// maxS3Body bounds one request body (the store is in memory).
	maxS3Body = 512 << 20
	// maxS3Records is how many request records /stats/s3-requests keeps.
	maxS3Records = 1000
)

// s3Service is an in-memory S3 (gofakes3) behind a SigV4 check that accepts
// only credentials the sandbox STS issued and still valid by the sandbox
// clock.
type s3Service struct {
	clock   clock.Clock
	log     *slog.Logger
	creds   *credentialStore
	backend http.Handler
	parts   *partSizes
	records *recordRing

	requests, ok, expired, denied atomic.Int64
}

func newS3(s *Server) (*s3Service, error) {
	ts := s3TimeSource{s.clock}
	mem := s3mem.New(s3mem.WithTimeSource(ts))
	if err := mem.CreateBucket(DataBucket); err != nil {
		return nil, err
	}
	// The skew check is ours (against the sandbox clock), so gofakes3's own
	// check against the wall clock is off.
	fake := gofakes3.New(mem, gofakes3.WithTimeSource(ts), gofakes3.WithTimeSkewLimit(0))
	return &s3Service{
		clock:   s.clock,
		log:     s.log,
		creds:   s.sts.creds,
		backend: fake.Server(),
		parts:   newPartSizes(),
		records: newRecordRing(maxS3Records),
	}, nil
}

// s3Target is what a request addresses once the /s3 prefix is removed.
type s3Target struct {
	Bucket, Key string
}

func parseS3Target(path string) s3Target {
	rest := strings.TrimPrefix(strings.TrimPrefix(path, s3Prefix), "/")
	bucket, key, _ := strings.Cut(rest, "/")
	return s3Target{Bucket: bucket, Key: key}
}

// ServeHTTP authenticates one S3 request, records the verdict, and hands an
// accepted request to the in-memory S3 with the prefix and the
// authentication headers removed.
func (s *s3Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	reqID := strings.ToUpper(strings.ReplaceAll(newRequestID(), "-", "")[:16])
	target := parseS3Target(r.URL.Path)
	rec := S3Record{Method: r.Method, Bucket: target.Bucket, Key: target.Key}

	c, body, at, e := s.authenticate(r)
	rec.Time = at.UTC()
	if c.AccessKeyID != "" {
		rec.AccessKeyID, rec.CredentialExpiration = c.AccessKeyID, c.Expiration
	}
	if e == nil {
		e = s.parts.checkComplete(r, body)
	}
	if e != nil {
		rec.Verdict, rec.Code, rec.Status = e.verdict(), e.Code, e.Status
		s.finish(rec)
		writeS3Error(w, r, reqID, e)
		return
	}

	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.backend.ServeHTTP(sw, backendRequest(r, body))
	s.parts.observe(r, body, sw.status)
	rec.Verdict, rec.Status = verdictOK, sw.status
	s.finish(rec)
}

func (s *s3Service) finish(rec S3Record) {
	switch rec.Verdict {
	case verdictOK:
		s.ok.Add(1)
	case verdictExpired:
		s.expired.Add(1)
	default:
		s.denied.Add(1)
	}
	s.records.add(rec)
	s.log.Debug("sandbox s3: request", "method", rec.Method, "bucket", rec.Bucket, "key", rec.Key,
		"access_key_id", rec.AccessKeyID, "verdict", rec.Verdict, "code", rec.Code, "status", rec.Status)
}

// backendRequest is r as gofakes3 expects it: path without the /s3 prefix,
// the verified body, and no authentication or checksum headers (gofakes3
// keeps every X-Amz-* header as object metadata and returns it on GET,
// which would hand the session token to every reader).
func backendRequest(r *http.Request, body *requestBody) *http.Request {
	out := r.Clone(r.Context())
	out.URL.Path = strings.TrimPrefix(r.URL.Path, s3Prefix)
	out.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, s3Prefix)
	if out.URL.Path == "" {
		out.URL.Path = "/"
	}
	out.RequestURI = out.URL.RequestURI()
	out.Body = body.reader()
	out.Header.Del("Authorization")
	for name := range out.Header {
		if strings.HasPrefix(name, "X-Amz-") && !keptAmzHeader(name) {
			out.Header.Del(name)
		}
	}
	return out
}

// keptAmzHeader tells the X-Amz-* headers gofakes3 acts on or stores as
// object metadata the way S3 does.
func keptAmzHeader(name string) bool {
	for _, p := range []string{"X-Amz-Meta-", "X-Amz-Copy-Source", "X-Amz-Metadata-Directive",
		"X-Amz-Storage-Class", "X-Amz-Tagging", "X-Amz-Website-Redirect-Location"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// statusWriter remembers the status the backend answered.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// s3TimeSource makes gofakes3 stamp objects with the sandbox clock, in the
// GMT zone S3 uses.
type s3TimeSource struct{ c clock.Clock }

var gmt = time.FixedZone("GMT", 0)

func (t s3TimeSource) Now() time.Time                   { return t.c.Now().In(gmt) }
func (t s3TimeSource) Since(at time.Time) time.Duration { return t.c.Now().Sub(at) }
