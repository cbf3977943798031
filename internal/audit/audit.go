// Package audit appends security events (login started, assertion accepted or rejected,
// role assumed, STS errors, logout) to a JSON-lines file that stays private (0600 in a
// 0700 directory) and never holds a secret: fields named like secrets are dropped before
// anything is written (see IsSecretName).
//
// Each record is one line, {"time":RFC 3339 UTC,"event":...,fields...,"seq":n,"prev":...},
// appended with a single write() on an O_APPEND descriptor, so records from concurrent
// goroutines and processes never interleave. "seq" counts records from 1 and "prev" is
// the hex SHA-256 of the previous line (absent on the very first), which chains the
// records: Verify finds a line that was edited, removed, inserted or cut short. Writers
// take an exclusive lock on "<path>.lock" while they read the last line and append theirs.
//
// When the file would grow past a size limit it is rotated (path → path.1 → path.2 …) and
// the new file starts with an "audit.rotated" record that chains to the last line of the
// rotated one, so the chain stays verifiable across files (see WithMaxSize).
package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
	"github.com/ptsaml/ptsaml/internal/clock"
)

// MaxRecord is the largest line, in bytes, Record writes; larger records are refused.
const MaxRecord = 64 << 10

// Log appends records to one audit file. It is safe for concurrent use.
type Log struct {
	mu      sync.Mutex
	f       *os.File // nil for Discard
	lock    *flock.Flock
	clk     clock.Clock
	path    string
	opts    options
	discard bool
}

// Open opens (creating if needed) the audit log at path for appending: the directory is
// created 0700, or tightened to 0700 when group or others can reach it, and the file is
// created or tightened to 0600. A nil clk means the wall clock. Files rotate at
// DefaultMaxSize and DefaultMaxFiles are kept unless opts say otherwise.
func Open(path string, clk clock.Clock, opts ...Option) (*Log, error) {
	if clk == nil {
		clk = clock.Real{}
	}
	o := options{maxSize: DefaultMaxSize, maxFiles: DefaultMaxFiles}
	for _, opt := range opts {
		opt(&o)
	}
	if err := atomicfile.PrivateDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	f, err := openFile(path)
	if err != nil {
		if advice := atomicfile.Advice(err); advice != "" {
			return nil, fmt.Errorf("open audit log: %w; %s", err, advice)
		}
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	return &Log{f: f, clk: clk, path: path, opts: o, lock: flock.New(path+".lock", flock.SetPermissions(0o600))}, nil
}

// openFile opens path for appending, creating it 0600 or tightening it to 0600.
func openFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err == nil && runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		err = f.Chmod(0o600)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// Discard returns a Log that records nothing.
func Discard() *Log { return &Log{discard: true} }

// Path returns the file the log appends to ("" for Discard or a nil Log).
func (l *Log) Path() string {
	if l == nil {
		return ""
	}
	return l.path
}

// Record appends one event. Fields are encoded as JSON (structs by their JSON encoding);
// fields, or nested keys, whose names look secret are dropped at any depth and their
// names listed under "dropped", as are fields named time, event, dropped, seq or prev. Values
// are written as given: never put a secret in a field with an innocent name.
// A nil *Log or a Discard log records nothing.
func (l *Log) Record(event string, fields map[string]any) error {
	if l == nil || l.discard {
		return nil
	}
	if event == "" {
		return errors.New("audit record: empty event name")
	}
	body, err := encodeFields(fields)
	if err != nil {
		return fmt.Errorf("audit record %q: %w", event, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return fmt.Errorf("audit record %q: log is closed", event)
	}
	if err := l.lock.Lock(); err != nil {
		return fmt.Errorf("audit record %q: lock: %w", event, err)
	}
	defer func() { _ = l.lock.Unlock() }()
	if err := l.reopenIfRotated(); err != nil {
		return fmt.Errorf("audit record %q: %w", event, err)
	}
	t, err := readTail(l.f)
	if err != nil {
		return fmt.Errorf("audit record %q: %w", event, err)
	}
	now := l.clk.Now().UTC()
	line := buildLine(now, event, body, t.seq+1, t.hash, t.torn)
	if line.Len() > MaxRecord {
		return fmt.Errorf("audit record %q: %d bytes is more than %d", event, line.Len(), MaxRecord)
	}
	if l.needsRotation(int64(line.Len())) {
		if t, err = l.rotate(now, t); err != nil {
			return fmt.Errorf("audit record %q: %w", event, err)
		}
		line = buildLine(now, event, body, t.seq+1, t.hash, false)
	}
	// One write() call: os.File.Write only loops on a short write, which a regular file
	// gives only when the disk is full.
	if _, err := l.f.Write(line.Bytes()); err != nil {
		return fmt.Errorf("audit record %q: write: %w", event, err)
	}
	return nil
}

// buildLine encodes one record; torn starts it with the newline a crashed writer left out.
func buildLine(now time.Time, event string, body []byte, seq int64, prev string, torn bool) *bytes.Buffer {
	var line bytes.Buffer
	if torn {
		line.WriteByte('\n') // end a line a crashed writer left unfinished
	}
	head, _ := json.Marshal(struct {
		Time  string `json:"time"`
		Event string `json:"event"`
	}{now.Format(time.RFC3339Nano), event})
	line.Write(head[:len(head)-1])
	line.Write(body)
	fmt.Fprintf(&line, `,"seq":%d`, seq)
	if prev != "" {
		fmt.Fprintf(&line, `,"prev":%q`, prev)
	}
	line.WriteString("}\n")
	return &line
}

// encodeFields returns `,"k":v,...` for the non-secret fields in key order, followed by
// `,"dropped":[...]` when any were removed.
func encodeFields(fields map[string]any) ([]byte, error) {
	if len(fields) == 0 {
		return nil, nil
	}
	raw, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode fields: %w", err)
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode fields: %w", err)
	}
	dropped := scrub(m, "")
	for _, k := range reserved {
		if _, ok := m[k]; ok {
			delete(m, k)
			dropped = append(dropped, k)
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		kj, _ := json.Marshal(k)
		vj, err := json.Marshal(m[k])
		if err != nil {
			return nil, fmt.Errorf("encode field %s: %w", kj, err)
		}
		b.WriteByte(',')
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	if len(dropped) > 0 {
		slices.Sort(dropped)
		dj, _ := json.Marshal(dropped)
		b.WriteString(`,"dropped":`)
		b.Write(dj)
	}
	return b.Bytes(), nil
}

// Close closes the file; later Records fail. Closing a Discard log does nothing.
func (l *Log) Close() error {
	if l == nil || l.discard {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("close audit log: %w", err)
	}
	return nil
}
