//go:build unix

package safefile

import "syscall"

// openFlags: O_NONBLOCK makes opening a FIFO return at once instead of
// waiting for a writer; on a regular file it changes nothing (and the Go
// runtime puts a regular file back into blocking mode anyway).
const openFlags = syscall.O_NONBLOCK
