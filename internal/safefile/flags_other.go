//go:build !unix

package safefile

// openFlags: elsewhere opening a named pipe does not wait for its writer.
const openFlags = 0
