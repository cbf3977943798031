package broker

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/ptsaml/ptsaml/internal/atomicfile"
)

// lockPoll is how often Lock retries a lock held by someone else.
const lockPoll = 50 * time.Millisecond

// Lock takes the cross-process lock of profile, the file <dir>/<profile>.lock
// (directory 0700, file 0600, both created when absent), so that parallel
// callers make one login and one STS call between them. It waits until the
// lock is free or ctx ends; unlock releases it and is safe to call twice.
func Lock(ctx context.Context, dir, profile string) (unlock func(), err error) {
	fl, err := lockFile(dir, profile)
	if err != nil {
		return nil, err
	}
	ok, err := fl.TryLockContext(ctx, lockPoll)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wait for lock of profile %q (another ptsaml is logging in): %w", profile, err)
		}
		return nil, lockError(profile, err)
	}
	if !ok {
		return nil, fmt.Errorf("lock profile %q: lock not acquired", profile)
	}
	return func() { _ = fl.Unlock() }, nil
}

// TryLock takes the lock of profile if nobody holds it; ok is false when
// another process does.
func TryLock(dir, profile string) (unlock func(), ok bool, err error) {
	fl, err := lockFile(dir, profile)
	if err != nil {
		return nil, false, err
	}
	ok, err = fl.TryLock()
	if err != nil {
		return nil, false, lockError(profile, err)
	}
	if !ok {
		return nil, false, nil
	}
	return func() { _ = fl.Unlock() }, true, nil
}

func lockFile(dir, profile string) (*flock.Flock, error) {
	if profile == "" || profile == "." || profile == ".." || strings.ContainsAny(profile, `/\`) {
		return nil, fmt.Errorf("lock profile %q: name is not usable as a file name", profile)
	}
	if dir == "" {
		return nil, errors.New("lock profile: no lock directory")
	}
	if err := atomicfile.PrivateDir(dir); err != nil {
		return nil, fmt.Errorf("lock profile %q: %w", profile, err)
	}
	return flock.New(filepath.Join(dir, profile+".lock"), flock.SetPermissions(0o600)), nil
}

// lockError says what to do when the lock file cannot be opened because of
// its file system (full, read-only, no permission).
func lockError(profile string, err error) error {
	if a := atomicfile.Advice(err); a != "" {
		return fmt.Errorf("lock profile %q: %w; %s", profile, err, a)
	}
	return fmt.Errorf("lock profile %q: %w", profile, err)
}
