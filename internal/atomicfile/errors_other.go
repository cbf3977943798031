//go:build !windows

package atomicfile

import "syscall"

// System error numbers of the conditions Advice knows.
var (
	errnoNoSpace  = []syscall.Errno{syscall.ENOSPC}
	errnoQuota    = []syscall.Errno{syscall.EDQUOT}
	errnoReadOnly = []syscall.Errno{syscall.EROFS}
)
