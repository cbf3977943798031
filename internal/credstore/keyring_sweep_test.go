package credstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
)

// elsewhere names a writer of another host: whether it runs cannot be checked, as no
// writer can be on Windows.
var elsewhere = atomicfile.Writer{Host: "0badf00d0badf00d", PID: 4242}.String()

// windowsLimit is the largest value Windows Credential Manager takes.
const windowsLimit = 2560

// Records left by writes whose header switch failed, by this very process, do not pile
// up until the list no longer fits the keyring and every Set fails: the list keeps the
// newest few, and those of this process go once they are older than atomicfile.Grace.
func TestKeyringRecordsDoNotPileUp(t *testing.T) {
	ctx := context.Background()
	f := newFakeKeyring()
	f.maxValue = windowsLimit
	s := fakeStore(f, 4)
	clock := time.Now()
	s.now = func() time.Time { return clock }
	if err := s.Set(ctx, "k", []byte("old-value")); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.failSet = func(user string) error {
		if user == "k" {
			return errDBus // the header write fails: the record and new chunks stay
		}
		return nil
	}
	f.mu.Unlock()
	for i := range 40 {
		clock = clock.Add(time.Second)
		err := s.Set(ctx, "k", []byte("a much newer value")) // 5 chunks
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Set %d = %v, want the injected header failure", i, err)
		}
	}
	p, size := f.pending(t, "k")
	if len(p) > maxPending || size > windowsLimit/2 {
		t.Fatalf("%d records in %d bytes after 40 failed writes, want at most %d records, well under %d bytes",
			len(p), size, maxPending, windowsLimit)
	}
	if n := f.chunks("k"); n > 3+maxPending*5 {
		t.Fatalf("%d chunk entries, want at most the value's 3 and the recorded writes' %d", n, maxPending*5)
	}
	f.mu.Lock()
	f.failSet = nil
	f.mu.Unlock()
	clock = clock.Add(atomicfile.Grace)
	if err := s.Set(ctx, "k", []byte("recovered")); err != nil {
		t.Fatalf("Set once the keyring recovered: %v", err)
	}
	checkOnly(t, f, s, "k", []byte("recovered"))
}

// Records of writers that cannot be checked (another host; any writer on Windows) stay
// while they are young, at most maxPending of them, and go once a day old. What the
// records dropped named is deleted with them.
func TestKeyringRecordsOfUncheckableWriters(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	recs := func(n int, age time.Duration) ([]pendingWrite, map[string]int) {
		var p []pendingWrite
		left := map[string]int{}
		for i := range n {
			g := fmt.Sprintf("%016x", 0xabc000+i)
			at := now.Add(-age - time.Duration(i)*time.Second).Unix()
			if age < 0 {
				at = 0
			}
			p = append(p, pendingWrite{Writer: elsewhere, At: at, Gen: g, Chunks: 2})
			left[g] = 2
		}
		return p, left
	}
	tests := []struct {
		name     string
		n        int
		age      time.Duration // < 0: undated
		wantKept int           // records (and their chunks) left after the Set
	}{
		{"a few young ones", 3, time.Hour, 3},
		{"too many young ones", 30, time.Hour, maxPending - 1},
		{"a day old", 3, atomicfile.MaxAge, 0},
		{"undated (an older format)", 3, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeKeyring()
			f.maxValue = windowsLimit
			s := fakeStore(f, 4)
			s.now = func() time.Time { return now }
			if err := s.Set(ctx, "k", []byte("value")); err != nil {
				t.Fatal(err)
			}
			p, left := recs(tt.n, tt.age)
			leave(t, f, "k", p[0], left, p[1:]...)
			if err := s.Set(ctx, "k", []byte("new-value")); err != nil {
				t.Fatalf("Set with %d records left: %v", tt.n, err)
			}
			got, _ := f.pending(t, "k")
			if len(got) != tt.wantKept {
				t.Fatalf("%d records kept, want %d", len(got), tt.wantKept)
			}
			for i, w := range got { // the newest are kept
				if w.Gen != p[i].Gen {
					t.Fatalf("record %d kept is %s, want %s (the newest)", i, w.Gen, p[i].Gen)
				}
			}
			if n := f.chunks("k"); n != 3+2*tt.wantKept {
				t.Fatalf("%d chunk entries, want the value's 3 and the kept records' %d", n, 2*tt.wantKept)
			}
		})
	}
}

// Delete (logout) repairs a key whose record list cannot be read or is over the limit, so
// that a Set of the key works again.
func TestKeyringDeleteRepairsTheRecords(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		raw  func() string
		want int // records left
	}{
		{"unreadable", func() string { return `[{"writer":` }, 0},
		{"over the limit", func() string {
			var b []byte
			b = append(b, '[')
			for i := range 40 {
				if i > 0 {
					b = append(b, ',')
				}
				b = fmt.Appendf(b, `{"writer":%q,"at":%d,"gen":"%016x","chunks":1}`, elsewhere, time.Now().Unix(), i)
			}
			return string(append(b, ']'))
		}, maxPending},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeKeyring()
			s := fakeStore(f, 4)
			if err := s.Set(ctx, "k", []byte("value")); err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			f.m[pendingUser("k")] = tt.raw()
			f.mu.Unlock()
			if err := s.Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if tt.want == 0 && f.entries() != 0 {
				t.Fatalf("%d entries left after Delete, want none", f.entries())
			}
			if p, size := f.pending(t, "k"); len(p) != tt.want || size > windowsLimit/2 {
				t.Fatalf("%d records in %d bytes after Delete, want %d", len(p), size, tt.want)
			}
		})
	}
}

// Another writer may switch the header after this one read it and before its sweep, and
// then die before it drops its record: the sweep must keep the chunks that header names.
func TestKeyringSweepKeepsWhatTheHeaderNamesNow(t *testing.T) {
	dead := deadWriter(t)
	for _, tt := range []struct {
		name string
		do   func(s *KeyringStore) error
	}{
		{"Set that fails", func(s *KeyringStore) error { return s.Set(context.Background(), "k", []byte("mine")) }},
		{"Delete", func(s *KeyringStore) error { return s.Delete(context.Background(), "k") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFakeKeyring()
			s, other := fakeStore(f, 4), fakeStore(f, 4)
			if err := s.Set(ctx, "k", []byte("first-value")); err != nil {
				t.Fatal(err)
			}
			g0 := gen(t, f, "k")
			theirs := []byte("their-value")
			var g2 string
			f.onGet = func(user string) {
				if user != pendingUser("k") || g2 != "" {
					return
				}
				// The other writer's Set runs to its header switch, and it dies there.
				f.mu.Lock()
				f.onGet = nil
				f.mu.Unlock()
				if err := other.Set(ctx, "k", theirs); err != nil {
					t.Errorf("other Set: %v", err)
				}
				g2 = gen(t, f, "k")
				leave(t, f, "k", pendingWrite{Writer: dead, At: time.Now().Unix(), Gen: g2, Chunks: 3, OldGen: g0, OldChunks: 3},
					map[string]int{g0: 3})
				f.mu.Lock()
				f.failSet = func(user string) error { // this writer's own chunks fail
					if isChunk(user) && !ofGen(user, g0, g2) {
						return errDBus
					}
					return nil
				}
				f.mu.Unlock()
			}
			_ = tt.do(s)
			if g2 == "" {
				t.Fatal("the other writer never ran")
			}
			f.mu.Lock()
			f.failSet = nil
			f.mu.Unlock()
			checkOnly(t, f, s, "k", theirs)
		})
	}
}

// ofGen reports whether user is a chunk of one of gens.
func ofGen(user string, gens ...string) bool {
	for _, g := range gens {
		if strings.Contains(user, chunkMark+g+"/") {
			return true
		}
	}
	return false
}
