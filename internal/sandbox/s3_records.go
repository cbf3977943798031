package sandbox

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// S3Record is what the sandbox remembers of one S3 request: enough for a
// test to prove that every accepted request was signed with credentials
// that were valid at that moment. It holds no secret.
type S3Record struct {
	Time                 time.Time `json:"time"` // sandbox clock, when the verdict was made
	Method               string    `json:"method"`
	Bucket               string    `json:"bucket,omitempty"`
	Key                  string    `json:"key,omitempty"` // object key
	AccessKeyID          string    `json:"access_key_id,omitempty"`
	CredentialExpiration time.Time `json:"credential_expiration,omitzero"` // zero when the key is unknown
	Verdict              string    `json:"verdict"`                        // ok, expired or denied
	Code                 string    `json:"code,omitempty"`                 // S3 error code of a refusal
	Status               int       `json:"status"`                         // HTTP status answered
}

// recordRing keeps the last n records.
type recordRing struct {
	size  int
	mu    sync.Mutex
	buf   []S3Record
	next  int
	total int64
}

func newRecordRing(n int) *recordRing { return &recordRing{size: n, buf: make([]S3Record, 0, n)} }

func (rr *recordRing) add(rec S3Record) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.total++
	if len(rr.buf) < rr.size {
		rr.buf = append(rr.buf, rec)
		return
	}
	rr.buf[rr.next] = rec
	rr.next = (rr.next + 1) % len(rr.buf)
}

// snapshot returns the kept records, oldest first, and how many were ever
// added.
func (rr *recordRing) snapshot() ([]S3Record, int64) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	out := make([]S3Record, 0, len(rr.buf))
	out = append(out, rr.buf[rr.next:]...)
	out = append(out, rr.buf[:rr.next]...)
	return out, rr.total
}

// s3RequestLog is the /stats/s3-requests document.
type s3RequestLog struct {
	Capacity int        `json:"capacity"`
	Total    int64      `json:"total"`   // records ever added
	Dropped  int64      `json:"dropped"` // oldest records no longer kept
	Records  []S3Record `json:"records"` // oldest first
}

// S3Requests returns the kept S3 request records, oldest first, and how
// many requests were ever recorded (the oldest are dropped past 1000).
func (s *Server) S3Requests() ([]S3Record, int64) { return s.s3.records.snapshot() }

func (s *s3Service) serveRecords(w http.ResponseWriter, _ *http.Request) {
	recs, total := s.records.snapshot()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s3RequestLog{
		Capacity: s.records.size, Total: total, Dropped: total - int64(len(recs)), Records: recs,
	})
}
