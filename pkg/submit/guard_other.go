//go:build !linux

package submit

import (
	"context"
	"errors"
	"time"
)

// Guard needs the Linux parent-death signal; elsewhere ptsaml relies on the
// job's process group and its own clean-up.
func Guard(context.Context, int, int, time.Duration) error {
	return errors.New("the job guard needs Linux")
}

func startGuard([]string, int) (func(), error) { return func() {}, nil }
