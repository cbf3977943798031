package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// Entry is one record as read back from the log.
type Entry struct {
	Time   time.Time
	Event  string
	Seq    int64
	Fields map[string]any // everything but time, event, seq and prev; numbers as json.Number
	Raw    json.RawMessage
}

// Filter selects entries; zero fields select everything.
type Filter struct {
	Since, Until time.Time // inclusive bounds on Time
	Events       []string  // any of these events
	Profile      string    // the "profile" field
}

// Match reports whether e passes the filter.
func (f Filter) Match(e Entry) bool {
	switch {
	case !f.Since.IsZero() && e.Time.Before(f.Since):
		return false
	case !f.Until.IsZero() && e.Time.After(f.Until):
		return false
	case len(f.Events) > 0 && !slices.Contains(f.Events, e.Event):
		return false
	case f.Profile != "" && e.Fields["profile"] != f.Profile:
		return false
	}
	return true
}

// Read calls fn, oldest first, for every record in the log at path and its rotated files
// that passes filter. Lines that are not JSON records are skipped: Verify reports them.
func Read(path string, filter Filter, fn func(Entry) error) error {
	files, err := Files(path)
	if err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	for _, name := range files {
		if err := readFile(name, filter, fn); err != nil {
			return err
		}
	}
	return nil
}

func readFile(name string, filter Filter, fn func(Entry) error) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, MaxRecord+1)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) { // skip the rest of an overlong line
				_, err = r.ReadSlice('\n')
			}
			continue
		}
		if len(line) > 0 {
			if e, ok := parseEntry(line); ok && filter.Match(e) {
				if ferr := fn(e); ferr != nil {
					return ferr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read audit log: %w", err)
		}
	}
}

func parseEntry(line []byte) (Entry, bool) {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if d.Decode(&m) != nil {
		return Entry{}, false
	}
	e := Entry{Raw: json.RawMessage(bytes.TrimSpace(slices.Clone(line)))}
	e.Event, _ = m["event"].(string)
	if ts, ok := m["time"].(string); ok {
		e.Time, _ = time.Parse(time.RFC3339Nano, ts)
	}
	if n, ok := m["seq"].(json.Number); ok {
		e.Seq, _ = n.Int64()
	}
	for _, k := range []string{"time", "event", "seq", "prev"} {
		delete(m, k)
	}
	e.Fields = m
	return e, true
}
