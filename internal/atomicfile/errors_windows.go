package atomicfile

import "syscall"

// Windows system error codes of the conditions Advice knows (winerror.h).
var (
	errnoNoSpace  = []syscall.Errno{112, 39} // ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL
	errnoQuota    = []syscall.Errno{1295}    // ERROR_DISK_QUOTA_EXCEEDED
	errnoReadOnly = []syscall.Errno{19}      // ERROR_WRITE_PROTECT
)
