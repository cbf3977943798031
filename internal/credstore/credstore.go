// Package credstore keeps small secrets (cached STS credentials and their metadata) as
// opaque bytes under string keys, in one of three backends: the OS keyring ("keyring",
// the default), 0600 files in a 0700 directory ("file", for headless hosts) or process
// memory ("memory", for CI and tests). The backend is always chosen explicitly: when the
// keyring cannot be reached the store fails with ErrUnavailable and never falls back to
// plaintext files on its own.
package credstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// ErrNotFound reports that nothing is stored under the key.
var ErrNotFound = errors.New("no cached credentials")

// ErrUnavailable wraps keyring failures (no D-Bus session, locked collection, no answer
// within the timeout). The full error message says that the keyring is not reachable and
// how to choose the file store (`--store file`, `store: file`, PTSAML_STORE=file).
var ErrUnavailable = errors.New("keyring not available")

// ErrDamaged reports a stored value whose parts do not fit together (a keyring
// value with a missing chunk or a wrong checksum, an entry some other program
// wrote). Errors matching it are *DamagedError. The value stays where it is
// until it is deleted or overwritten.
var ErrDamaged = errors.New("stored value is damaged")

// DamagedError says which entry is damaged and how; it never quotes the value.
type DamagedError struct {
	Store  string // backend kind
	Key    string
	Reason string // e.g. "chunk 2 of 3 is missing"
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("%s entry %q is damaged: %s", e.Store, e.Key, e.Reason)
}

// Is makes a *DamagedError match ErrDamaged.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// Store is a byte-level secret store. Implementations are safe for concurrent use.
type Store interface {
	// Get returns a copy of the value stored under key; ErrNotFound when absent.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores value under key atomically: on failure the previous value stays readable.
	Set(ctx context.Context, key string, value []byte) error
	// Delete removes key; an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// Name is the backend kind: "keyring", "file" or "memory".
	Name() string
}

// Backend kinds accepted by New.
const (
	KindKeyring = "keyring"
	KindFile    = "file"
	KindMemory  = "memory"
)

// Defaults used when Options leaves a field empty.
const (
	DefaultService = "ptsaml"
	DefaultTimeout = 5 * time.Second
)

// Options configures New. Fields a backend does not use are ignored.
type Options struct {
	// Service is the keyring service name; default "ptsaml".
	Service string
	// Dir is the file backend's directory (required for "file").
	Dir string
	// Timeout bounds each single keyring call; default 5s.
	Timeout time.Duration
	// Log gets the keyring backend's debug notes; nil = none.
	Log *slog.Logger
}

// Kinds lists the valid backend kinds in the order they are documented.
func Kinds() []string { return []string{KindKeyring, KindFile, KindMemory} }

// New returns the backend named by kind ("keyring", "file" or "memory"; case and
// surrounding space are ignored, "" means "keyring"). An unknown kind is an error that
// names the valid ones. New does no I/O: keyring and directory problems surface on the
// first Get/Set/Delete.
func New(kind string, o Options) (Store, error) {
	switch k := strings.ToLower(strings.TrimSpace(kind)); k {
	case KindKeyring, "":
		ks := NewKeyring(o.Service, o.Timeout)
		ks.Log = o.Log
		return ks, nil
	case KindFile:
		if o.Dir == "" {
			return nil, errors.New("file store: no directory given")
		}
		return NewFile(o.Dir), nil
	case KindMemory:
		return NewMemory(), nil
	default:
		return nil, fmt.Errorf("unknown credential store %q: valid stores are %s", kind, strings.Join(Kinds(), ", "))
	}
}

func checkKey(key string) error {
	if key == "" {
		return errors.New("empty key")
	}
	return nil
}
