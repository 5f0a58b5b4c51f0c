// Package nsexec enters a container's namespaces before the Go runtime
// starts: importing it links an ELF constructor (nsexec.c) into the binary.
// The constructor is inert unless the process was started by libcontainer
// with the _SPROUT_SYNCFD environment variable set.
package nsexec

// #cgo CFLAGS: -Wall -O2
import "C"
