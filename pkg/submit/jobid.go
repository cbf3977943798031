package submit

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// JobIDVar is the environment variable that tells a job its ptsaml job id,
// the id every audit record of the job carries.
const JobIDVar = "PTSAML_JOB_ID"

// NewJobID returns a job id: the UTC start time to the second, so ids sort by
// start, and 6 random bytes, so two jobs started in the same second differ.
func NewJobID(now time.Time) string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// WithJobID returns env with JobIDVar set to id, replacing any inherited value
// (a job started from inside another job gets its own id).
func WithJobID(env []string, id string) []string {
	return setEnv(env, JobIDVar, id)
}
