package audit

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Rotation defaults: the active file plus four rotated ones of about 10 MiB each.
const (
	DefaultMaxSize  = 10 << 20
	DefaultMaxFiles = 5
)

// RotatedEvent is the event of the record that starts every file after a rotation; its
// "prev" is the hash of the last line of the file rotated away.
const RotatedEvent = "audit.rotated"

type options struct {
	maxSize  int64
	maxFiles int
}

// Option configures Open.
type Option func(*options)

// WithMaxSize rotates the file before a record would take it past n bytes; n <= 0 never
// rotates. A file always takes at least one record, however large.
func WithMaxSize(n int64) Option { return func(o *options) { o.maxSize = n } }

// WithMaxFiles keeps n files in all: the active one and n-1 rotated ones (path.1 is the
// newest). The oldest is deleted at rotation; n < 1 counts as 1.
func WithMaxFiles(n int) Option { return func(o *options) { o.maxFiles = max(n, 1) } }

// rotatedName is the i-th rotated file (0 is the active one).
func rotatedName(path string, i int) string {
	if i == 0 {
		return path
	}
	return path + "." + strconv.Itoa(i)
}

// reopenIfRotated switches to the file now at l.path when another writer rotated the
// one this Log holds. The caller holds the lock.
func (l *Log) reopenIfRotated() error {
	held, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("stat: %w", err)
	}
	cur, err := os.Stat(l.path)
	if err == nil && os.SameFile(held, cur) {
		return nil
	}
	f, err := openFile(l.path)
	if err != nil {
		return fmt.Errorf("reopen after rotation: %w", err)
	}
	_ = l.f.Close()
	l.f = f
	return nil
}

func (l *Log) needsRotation(add int64) bool {
	if l.opts.maxSize <= 0 {
		return false
	}
	fi, err := l.f.Stat()
	return err == nil && fi.Size() > 0 && fi.Size()+add > l.opts.maxSize
}

// rotate shifts path → path.1 → … (dropping the oldest), opens a new file that starts
// with a record chained to t, and returns the tail of the new file. The caller holds
// the lock.
func (l *Log) rotate(now time.Time, t tail) (tail, error) {
	if t.torn {
		if _, err := l.f.Write([]byte{'\n'}); err != nil {
			return t, fmt.Errorf("rotate: end last line: %w", err)
		}
	}
	if err := os.Remove(rotatedName(l.path, l.opts.maxFiles-1)); err != nil && !os.IsNotExist(err) {
		return t, fmt.Errorf("rotate: %w", err)
	}
	for i := l.opts.maxFiles - 2; i >= 0; i-- {
		err := os.Rename(rotatedName(l.path, i), rotatedName(l.path, i+1))
		if err != nil && !os.IsNotExist(err) {
			return t, fmt.Errorf("rotate: %w", err)
		}
	}
	f, err := openFile(l.path)
	if err != nil {
		return t, fmt.Errorf("rotate: %w", err)
	}
	_ = l.f.Close()
	l.f = f
	header := buildLine(now, RotatedEvent, nil, t.seq+1, t.hash, false)
	if _, err := l.f.Write(header.Bytes()); err != nil {
		return t, fmt.Errorf("rotate: write header: %w", err)
	}
	return tail{hash: lineHash(header.Bytes()), seq: t.seq + 1}, nil
}
