package login

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ptsaml/ptsaml/internal/clock"
)

func TestFileReplayCache(t *testing.T) {
	clk := clock.NewFake(testNow)
	path := filepath.Join(t.TempDir(), "state", "replay.json")
	c := &FileReplayCache{Path: path, Clock: clk}
	ctx := context.Background()

	steps := []struct {
		name    string
		id      string
		advance time.Duration
		want    bool
	}{
		{name: "first use", id: "a", want: false},
		{name: "second use", id: "a", want: true},
		{name: "other id", id: "b", want: false},
		{name: "after expiry the id is pruned", id: "a", advance: 11 * time.Minute, want: false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clk.Advance(s.advance)
			got, err := c.Seen(ctx, s.id, clk.Now().Add(10*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if got != s.want {
				t.Errorf("Seen(%q) = %v, want %v", s.id, got, s.want)
			}
		})
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", info.Mode().Perm())
	}
	var entries map[string]time.Time
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &entries); err != nil {
		t.Fatal(err)
	}
	if _, ok := entries["b"]; ok || len(entries) != 1 {
		t.Errorf("entries = %v, want only the re-recorded a (b pruned)", entries)
	}
}

func TestFileReplayCacheConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "replay.json")
	until := time.Now().Add(time.Hour)
	var wg sync.WaitGroup
	results := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen, err := NewFileReplayCache(path).Seen(context.Background(), "same-id", until)
			if err != nil {
				t.Error(err)
			}
			results <- seen
		}()
	}
	wg.Wait()
	close(results)
	fresh := 0
	for seen := range results {
		if !seen {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d callers saw the id as new, want exactly 1", fresh)
	}
}

func TestFileReplayCacheCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "replay.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	seen, err := NewFileReplayCache(path).Seen(context.Background(), "x", time.Now().Add(time.Hour))
	if err != nil || seen {
		t.Fatalf("Seen = %v, %v; want false, nil", seen, err)
	}
}
