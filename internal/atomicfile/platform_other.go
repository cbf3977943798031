//go:build !linux && !darwin

package atomicfile

import (
	"os"
	"time"
)

// machineID has nothing beyond the host name here: a writer that looks gone
// is taken for gone only after Grace.
func machineID() (id string, exact bool) { return "", false }

// changed returns fi's modification time.
func changed(fi os.FileInfo) time.Time { return fi.ModTime() }
