package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"sync"
	"time"
)

// issued is one set of credentials the STS handed out, remembered so that
// GetCallerIdentity can check signatures and expiry.
type issued struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	Arn, UserID                                string
}

// credentialStore remembers issued credentials in memory.
type credentialStore struct {
	mu   sync.Mutex
	byID map[string]issued
}

func newCredentialStore() *credentialStore {
	return &credentialStore{byID: make(map[string]issued)}
}

// add remembers c and forgets credentials that expired more than a day
// before now, so a long-running sandbox does not grow without bound.
func (cs *credentialStore) add(c issued, now time.Time) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for id, old := range cs.byID {
		if old.Expiration.Add(24 * time.Hour).Before(now) {
			delete(cs.byID, id)
		}
	}
	cs.byID[c.AccessKeyID] = c
}

func (cs *credentialStore) get(accessKeyID string) (issued, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.byID[accessKeyID]
	return c, ok
}

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newCredentials makes AWS-shaped temporary credentials: an "ASIA" key ID
// of 20 characters, a 40-character secret and a session token of about
// 530 characters, as long as real STS tokens.
func newCredentials() (accessKeyID, secret, token string) {
	return "ASIA" + randomString(16, upperAlnum),
		randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
		"IQoJb3JpZ2luX2VjE" + base64.StdEncoding.EncodeToString(randomBytes(384))
}

func randomString(n int, alphabet string) string {
	b := randomBytes(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go >= 1.24)
	return b
}

// roleID returns a stable, AWS-shaped unique ID ("AROA" + 17 characters)
// for a role ARN.
func roleID(roleARN string) string {
	sum := sha256.Sum256([]byte(roleARN))
	return "AROA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// newRequestID returns a random UUID-shaped request ID.
func newRequestID() string {
	h := hex.EncodeToString(randomBytes(16))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
