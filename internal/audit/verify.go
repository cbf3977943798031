package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Problem says how a log was damaged.
type Problem string

// The problems Verify tells apart. Without a key an attacker who rewrites every line
// after the one they change goes unnoticed, and so does a change to the newest line:
// the chain catches edits made by hand, not a forger.
const (
	Edited    Problem = "edited"    // the line changed after it was written
	Deleted   Problem = "deleted"   // records before the line are missing
	Inserted  Problem = "inserted"  // the line was not written by the log
	Truncated Problem = "truncated" // the line was cut short, as by a crash mid-write
	Malformed Problem = "malformed" // the line is not a JSON record
	Broken    Problem = "broken"    // the chain breaks here for a reason Verify cannot tell
)

// TamperError names the first damaged line Verify found. Line counts from 1 in File.
type TamperError struct {
	File    string
	Line    int
	Problem Problem
	Detail  string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("%s line %d: %s: %s", e.File, e.Line, e.Problem, e.Detail)
}

// Summary describes an intact log.
type Summary struct {
	Files   []string // oldest first
	Records int
}

// Files returns the log's files that exist, oldest first: path.N … path.1, path.
func Files(path string) ([]string, error) {
	matches, err := filepath.Glob(globEscape(path) + ".*")
	if err != nil {
		return nil, fmt.Errorf("list audit files: %w", err)
	}
	type numbered struct {
		n    int
		name string
	}
	var rotated []numbered
	for _, m := range matches {
		n, err := strconv.Atoi(strings.TrimPrefix(m, path+"."))
		if err == nil && n > 0 {
			rotated = append(rotated, numbered{n, m})
		}
	}
	slices.SortFunc(rotated, func(a, b numbered) int { return b.n - a.n })
	var out []string
	for _, r := range rotated {
		out = append(out, r.name)
	}
	if _, err := os.Stat(path); err == nil {
		out = append(out, path)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no audit log at %s: %w", path, os.ErrNotExist)
	}
	return out, nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

// link is what the verifier remembers of a line it has passed.
type link struct {
	file string
	line int
	hash string
	seq  int64
	has  bool // the line carried a seq
}

// Verify checks the audit log at path and its rotated files, oldest first: every line
// must be a whole JSON record whose "prev" is the SHA-256 of the line before it. The
// oldest line has no "prev", unless it is the audit.rotated record that starts a file
// whose predecessors were rotated away. It returns a *TamperError for the first damaged
// line, saying whether it was edited, deleted, inserted or cut short.
func Verify(path string) (Summary, error) {
	files, err := Files(path)
	if err != nil {
		return Summary{}, fmt.Errorf("verify audit log: %w", err)
	}
	v := verifier{}
	for i, name := range files {
		if err := v.file(name, i == len(files)-1); err != nil {
			return Summary{}, err
		}
	}
	return Summary{Files: files, Records: v.records}, nil
}

type verifier struct {
	records    int
	prev, prv2 *link
}

func (v *verifier) file(name string, newest bool) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("verify audit log: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, MaxRecord+1)
	for n := 1; ; n++ {
		line, err := r.ReadSlice('\n')
		if len(line) == 0 && errors.Is(err, io.EOF) {
			return nil
		}
		bad := func(p Problem, format string, args ...any) error {
			return &TamperError{File: name, Line: n, Problem: p, Detail: fmt.Sprintf(format, args...)}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			return bad(Malformed, "longer than %d bytes", MaxRecord)
		case errors.Is(err, io.EOF):
			if newest {
				return bad(Truncated, "the last line has no end (a write was interrupted)")
			}
			return bad(Truncated, "the file's last line has no end")
		case err != nil:
			return fmt.Errorf("verify audit log: %w", err)
		}
		if err := v.line(line, name, n, bad); err != nil {
			return err
		}
	}
}

func (v *verifier) line(line []byte, name string, n int, bad func(Problem, string, ...any) error) error {
	var rec struct {
		Event string `json:"event"`
		Seq   *int64 `json:"seq"`
		Prev  string `json:"prev"`
	}
	if err := json.Unmarshal(line, &rec); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) && int(se.Offset) >= len(bytes.TrimSpace(line)) {
			return bad(Truncated, "the record is cut short (a write was interrupted)")
		}
		return bad(Malformed, "not a JSON record: %v", err)
	}
	cur := &link{file: name, line: n, hash: lineHash(line)}
	if rec.Seq != nil {
		cur.seq, cur.has = *rec.Seq, true
	}
	if err := v.check(rec.Event, rec.Prev, cur, bad); err != nil {
		return err
	}
	v.prv2, v.prev = v.prev, cur
	v.records++
	return nil
}

func (v *verifier) check(event, prev string, cur *link, bad func(Problem, string, ...any) error) error {
	p := v.prev
	switch {
	case p == nil && prev == "":
		return nil
	case p == nil && event == RotatedEvent:
		return nil // the files before this one were rotated away
	case p == nil:
		return bad(Deleted, "the records before it were removed")
	case prev == p.hash:
		return nil
	case prev == "":
		return bad(Inserted, "a record without a link to the one before it")
	case cur.hash == p.hash:
		return bad(Inserted, "a copy of the line before it")
	case v.prv2 != nil && prev == v.prv2.hash:
		return &TamperError{File: p.file, Line: p.line, Problem: Inserted,
			Detail: fmt.Sprintf("the chain skips it (%s line %d links to the line before it)", cur.file, cur.line)}
	case p.has && cur.has && cur.seq == p.seq+1:
		return &TamperError{File: p.file, Line: p.line, Problem: Edited,
			Detail: fmt.Sprintf("its hash no longer matches the link in %s line %d", cur.file, cur.line)}
	case p.has && cur.has && cur.seq > p.seq+1:
		return bad(Deleted, "%d record(s) before it were removed", cur.seq-p.seq-1)
	}
	return bad(Broken, "its link does not match %s line %d (that line was changed or lines between were removed)", p.file, p.line)
}
