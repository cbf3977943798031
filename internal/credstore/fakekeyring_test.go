package credstore

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"
)

// fakeKeyring is an in-memory KeyringAPI, safe for concurrent use, that can fail or
// block chosen calls. (keyring.MockInit swaps a process-wide provider that is not safe
// for concurrent use, so these tests inject this fake instead.)
type fakeKeyring struct {
	mu       sync.Mutex
	m        map[string]string // user -> value, one service per fake
	failSet  func(user string) error
	block    chan struct{} // when non-nil every call waits until it is closed
	onGet    func(user string)
	onDelete func(user string)
	maxChunk int // longest value written to a chunk entry
	maxValue int // when > 0, longer values fail as on Windows (keyring.ErrSetDataTooBig)
}

func newFakeKeyring() *fakeKeyring { return &fakeKeyring{m: map[string]string{}} }

func (f *fakeKeyring) wait() {
	f.mu.Lock()
	b := f.block
	f.mu.Unlock()
	if b != nil {
		<-b
	}
}

func (f *fakeKeyring) Set(service, user, password string) error {
	f.wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failSet != nil {
		if err := f.failSet(user); err != nil {
			return err
		}
	}
	if f.maxValue > 0 && len(password) > f.maxValue {
		return keyring.ErrSetDataTooBig
	}
	if isChunk(user) && len(password) > f.maxChunk {
		f.maxChunk = len(password)
	}
	f.m[user] = password
	return nil
}

func (f *fakeKeyring) Get(service, user string) (string, error) {
	f.wait()
	f.mu.Lock()
	hook := f.onGet
	f.mu.Unlock()
	if hook != nil {
		hook(user)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.m[user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Delete(service, user string) error {
	f.wait()
	f.mu.Lock()
	hook := f.onDelete
	f.mu.Unlock()
	if hook != nil {
		hook(user)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.m[user]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.m, user)
	return nil
}

// chunks counts the chunk entries stored for key.
func (f *fakeKeyring) chunks(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for u := range f.m {
		if strings.HasPrefix(u, key+chunkMark) && isChunk(u) {
			n++
		}
	}
	return n
}

// isChunk tells chunk entries from headers and records of writes in progress.
func isChunk(user string) bool {
	return strings.Contains(user, chunkMark) && !strings.HasSuffix(user, chunkMark+"pending")
}

// has reports whether the fake holds an entry named user.
func (f *fakeKeyring) has(user string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.m[user]
	return ok
}

func (f *fakeKeyring) entries() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.m)
}

func failOn(substr string, err error) func(string) error {
	return func(user string) error {
		if strings.Contains(user, substr) {
			return err
		}
		return nil
	}
}

var errDBus = errors.New("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files")

// pending returns the records of writes in progress stored for key, and the size of
// their entry.
func (f *fakeKeyring) pending(t testing.TB, key string) ([]pendingWrite, int) {
	t.Helper()
	f.mu.Lock()
	raw, ok := f.m[pendingUser(key)]
	f.mu.Unlock()
	if !ok {
		return nil, 0
	}
	var p []pendingWrite
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		t.Fatalf("records of %q: %v", key, err)
	}
	return p, len(raw)
}
