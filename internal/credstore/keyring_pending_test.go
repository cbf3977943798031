package credstore

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
)

// deadWriter names a process of this host that has exited and been reaped.
func deadWriter(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("process liveness is not checked on Windows: leftovers stay")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0") // no pause at exit under -race
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return atomicfile.Writer{Host: atomicfile.Self().Host, PID: cmd.Process.Pid}.String()
}

// leave puts into f what writers killed part-way leave: their records and some chunks.
func leave(t *testing.T, f *fakeKeyring, key string, rec pendingWrite, chunks map[string]int, more ...pendingWrite) {
	t.Helper()
	b, err := json.Marshal(append([]pendingWrite{rec}, more...))
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[pendingUser(key)] = string(b)
	for g, n := range chunks {
		for i := range n {
			f.m[chunkUser(key, g, i)] = "left"
		}
	}
}

// A writer killed before or after its header switch leaves chunks that no header names;
// the next Set (or Delete) removes them once that writer is gone, and never the chunks of
// a writer that still runs.
func TestKeyringRemovesWhatKilledWritersLeft(t *testing.T) {
	dead := deadWriter(t)
	alive := atomicfile.Writer{Host: atomicfile.Self().Host, PID: 1}.String() // PID 1 always runs
	tests := []struct {
		name      string
		writer    string
		switched  bool // killed after the header switch, before the old chunks went
		thenClean func(s *KeyringStore) error
		wantLeft  bool
	}{
		{"killed before the switch, next Set", dead, false, func(s *KeyringStore) error { return s.Set(context.Background(), "k", []byte("third")) }, false},
		{"killed after the switch, next Set", dead, true, func(s *KeyringStore) error { return s.Set(context.Background(), "k", []byte("third")) }, false},
		{"killed before the switch, Delete", dead, false, func(s *KeyringStore) error { return s.Delete(context.Background(), "k") }, false},
		{"killed after the switch, Delete", dead, true, func(s *KeyringStore) error { return s.Delete(context.Background(), "k") }, false},
		{"writer still running", alive, false, func(s *KeyringStore) error { return s.Set(context.Background(), "k", []byte("third")) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFakeKeyring()
			s := fakeStore(f, 4)
			if err := s.Set(ctx, "k", []byte("first-value")); err != nil { // 3 chunks
				t.Fatal(err)
			}
			g0 := gen(t, f, "k")
			rec := pendingWrite{Writer: tt.writer, At: time.Now().Unix(), Gen: "deadbeefdeadbeef", Chunks: 5, OldGen: g0, OldChunks: 3}
			left := map[string]int{"deadbeefdeadbeef": 2} // killed at its third chunk
			want := []byte("first-value")
			if tt.switched {
				// Let the killed writer's Set finish, then put back what it had not yet deleted.
				want = []byte("second-value-longer")
				if err := s.Set(ctx, "k", want); err != nil {
					t.Fatal(err)
				}
				rec.Gen, rec.Chunks = gen(t, f, "k"), 5
				left = map[string]int{g0: 3}
			}
			leave(t, f, "k", rec, left)
			if got, err := s.Get(ctx, "k"); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("Get with leftovers = %q, %v; want %q", got, err, want)
			}
			if err := tt.thenClean(s); err != nil {
				t.Fatal(err)
			}
			var stray int
			for g, n := range left {
				for i := range n {
					if f.has(chunkUser("k", g, i)) {
						stray++
					}
				}
			}
			if (stray > 0) != tt.wantLeft || f.has(pendingUser("k")) != tt.wantLeft {
				t.Fatalf("%d leftover chunks, record kept %v; want leftovers kept = %v", stray, f.has(pendingUser("k")), tt.wantLeft)
			}
			if !tt.wantLeft {
				if v, err := s.Get(ctx, "k"); err == nil {
					if n := f.chunks("k"); n != (len(v)+3)/4 {
						t.Fatalf("%d chunk entries for a %d-byte value, want only its own", n, len(v))
					}
				} else if f.entries() != 0 {
					t.Fatalf("after Delete %d entries remain", f.entries())
				}
			}
		})
	}
}

// A Set leaves no record behind when it succeeds, nor when a chunk write fails.
func TestKeyringSetLeavesNoRecord(t *testing.T) {
	ctx := context.Background()
	f := newFakeKeyring()
	s := fakeStore(f, 4)
	if err := s.Set(ctx, "k", []byte("value-one")); err != nil {
		t.Fatal(err)
	}
	if f.has(pendingUser("k")) {
		t.Fatal("record left after a good Set")
	}
	f.mu.Lock()
	f.failSet = failOn("/1", errDBus)
	f.mu.Unlock()
	if err := s.Set(ctx, "k", []byte("value-two")); err == nil {
		t.Fatal("Set succeeded, want the injected failure")
	}
	if f.has(pendingUser("k")) {
		t.Fatal("record left after a failed chunk write")
	}
}
