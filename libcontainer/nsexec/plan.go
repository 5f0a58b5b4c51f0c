package nsexec

// #include <stdlib.h>
// #include "plan.h"
// #include "sync.h"
import "C"

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Records is a list in sync.h's record framing (a u32 type, a u32 length,
// the payload), which the bootstrap message and a process plan share and
// plan.c's sprout_next_record reads.
type Records struct {
	buf []byte
}

// Bytes is the encoded list.
func (r *Records) Bytes() []byte { return r.buf }

// Add appends one record whose payload is the concatenation of parts.
func (r *Records) Add(typ uint32, parts ...[]byte) {
	n := 0
	for _, b := range parts {
		n += len(b)
	}
	r.buf = binary.NativeEndian.AppendUint32(r.buf, typ)
	r.buf = binary.NativeEndian.AppendUint32(r.buf, uint32(n))
	for _, b := range parts {
		r.buf = append(r.buf, b...)
	}
}

// Plan is a process plan (plan.h): the operations that turn a prepared
// container process into its program, encoded for plan.c. Its methods
// append one operation each; they run in the order appended.
type Plan struct {
	Records
}

func u32(v uint32) []byte  { return binary.NativeEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte  { return binary.NativeEndian.AppendUint64(nil, v) }
func cstr(s string) []byte { return append([]byte(s), 0) }

// Setsid gives the process a session of its own.
func (p *Plan) Setsid() { p.Add(C.PLAN_SETSID) }

// Console makes the process's pty and sends its master on sock; rows and
// cols of 0 keep the pty's size.
func (p *Plan) Console(sock int, rows, cols uint16) {
	p.Add(C.PLAN_CONSOLE, u32(uint32(sock)), u32(uint32(rows)), u32(uint32(cols)))
}

// LookPath resolves the program for Exec: a name with a slash as is,
// otherwise along path when hasPath.
func (p *Plan) LookPath(name string, hasPath bool, path string) {
	has := uint32(0)
	if hasPath {
		has = 1
	}
	p.Add(C.PLAN_LOOKPATH, u32(has), cstr(name), cstr(path))
}

// CheckCwd refuses a cwd that is not a directory inside the root.
func (p *Plan) CheckCwd(cwd string) { p.Add(C.PLAN_CHECK_CWD, cstr(cwd)) }

// CloexecFrom marks every fd from first up close-on-exec.
func (p *Plan) CloexecFrom(first int) { p.Add(C.PLAN_CLOEXEC_FROM, u32(uint32(first))) }

// Rlimit sets a resource limit; label names it in errors.
func (p *Plan) Rlimit(res int, soft, hard uint64, label string) {
	p.Add(C.PLAN_RLIMIT, u32(uint32(res)), u64(soft), u64(hard), cstr(label))
}

// Chdir enters the cwd; a later Chdir runs only if the first was refused
// for lack of permission.
func (p *Plan) Chdir(path string, later bool) {
	l := uint32(0)
	if later {
		l = 1
	}
	p.Add(C.PLAN_CHDIR, u32(l), cstr(path))
}

// ChownStdio gives the stdio fds to uid.
func (p *Plan) ChownStdio(uid uint32) { p.Add(C.PLAN_CHOWN_STDIO, u32(uid)) }

// SchedAttr applies sched_setattr(2) to the thread.
func (p *Plan) SchedAttr(attr *unix.SchedAttr, label string) {
	raw := unsafe.Slice((*byte)(unsafe.Pointer(attr)), unsafe.Sizeof(*attr))
	p.Add(C.PLAN_SCHED_ATTR, raw, cstr(label))
}

// IOPrio applies an ioprio_set(2) value to the process.
func (p *Plan) IOPrio(prio uint32, label string) { p.Add(C.PLAN_IOPRIO, u32(prio), cstr(label)) }

// MemPolicy applies set_mempolicy(2) with a node mask.
func (p *Plan) MemPolicy(mode uint32, mask []uint64, label string) {
	raw := u32(uint32(len(mask)))
	for _, w := range mask {
		raw = binary.NativeEndian.AppendUint64(raw, w)
	}
	p.Add(C.PLAN_MEMPOLICY, u32(mode), raw, cstr(label))
}

// Seccomp installs a BPF program with seccomp(2) flags; label names the
// step in errors.
func (p *Plan) Seccomp(flags uint64, prog []unix.SockFilter, label string) {
	raw := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		raw = binary.NativeEndian.AppendUint16(raw, in.Code)
		raw = append(raw, in.Jt, in.Jf)
		raw = binary.NativeEndian.AppendUint32(raw, in.K)
	}
	p.Add(C.PLAN_SECCOMP, u64(flags), u32(uint32(len(prog))), raw, cstr(label))
}

// CapNames gives the names later capability errors use, by number.
func (p *Plan) CapNames(names []string) {
	var raw []byte
	for _, n := range names {
		raw = append(raw, cstr(n)...)
	}
	p.Add(C.PLAN_CAP_NAMES, raw)
}

// CapBounding drops every capability outside keep from the bounding set.
func (p *Plan) CapBounding(keep uint64) { p.Add(C.PLAN_CAP_BOUNDING, u64(keep)) }

// User switches the thread to uid, gid and the supplementary gids, keeping
// its capabilities for a CapSet after it.
func (p *Plan) User(uid, gid uint32, gids []uint32) {
	raw := append(u32(uid), u32(gid)...)
	raw = append(raw, u32(uint32(len(gids)))...)
	for _, g := range gids {
		raw = binary.NativeEndian.AppendUint32(raw, g)
	}
	p.Add(C.PLAN_USER, raw)
}

// CapSet sets the effective, permitted, inheritable and ambient sets.
func (p *Plan) CapSet(effective, permitted, inheritable, ambient uint64) {
	p.Add(C.PLAN_CAPSET, u64(effective), u64(permitted), u64(inheritable), u64(ambient))
}

// NoNewPrivs sets no_new_privs.
func (p *Plan) NoNewPrivs() { p.Add(C.PLAN_NO_NEW_PRIVS) }

// Umask sets the file mode creation mask.
func (p *Plan) Umask(mask uint32) { p.Add(C.PLAN_UMASK, u32(mask)) }

// WriteProc writes value to a procfs file (an LSM's exec attribute).
func (p *Plan) WriteProc(path, value, label string) {
	p.Add(C.PLAN_WRITE_PROC, cstr(path), cstr(value), cstr(label))
}

// Personality applies personality(2).
func (p *Plan) Personality(persona uint32, label string) {
	p.Add(C.PLAN_PERSONALITY, u32(persona), cstr(label))
}

// Affinity pins the thread to the CPUs of mask.
func (p *Plan) Affinity(mask []byte, label string) {
	p.Add(C.PLAN_AFFINITY, u32(uint32(len(mask))), mask, cstr(label))
}

// Log sends a debug line to whoever waits on the process.
func (p *Plan) Log(line string) { p.Add(C.PLAN_LOG, []byte(line)) }

// Exec execs the program LookPath found, with args and env.
func (p *Plan) Exec(args, env []string) {
	raw := u32(uint32(len(args)))
	for _, s := range append(args[:len(args):len(args)], env...) {
		raw = append(raw, cstr(s)...)
	}
	p.Add(C.PLAN_EXEC, raw)
}

// PlanError is a failed plan step: what failed, naming its config field,
// and the errno if the step had one.
type PlanError struct {
	Errno unix.Errno
	Msg   string
}

func (e *PlanError) Error() string {
	if e.Errno == 0 {
		return e.Msg
	}
	return e.Msg + ": " + e.Errno.Error()
}

func (e *PlanError) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// DecodePlanError reads a SYNC_PLAN_ERROR payload.
func DecodePlanError(b []byte) *PlanError {
	if len(b) < 4 {
		return &PlanError{Msg: "the process plan failed without saying why"}
	}
	return &PlanError{Errno: unix.Errno(binary.NativeEndian.Uint32(b)), Msg: string(b[4:])}
}

// Run runs the plan on the calling OS thread, which the caller must have
// locked; sock gets the seccomp notify fd and debug lines. An Exec in the
// plan returns only on failure.
func (p *Plan) Run(sock int) error {
	if len(p.Bytes()) == 0 {
		return nil
	}
	var res C.struct_plan_result
	buf := C.CBytes(p.Bytes())
	defer C.free(buf)
	if C.sprout_run_plan((*C.char)(buf), C.size_t(len(p.Bytes())), C.int(sock), &res) == 0 {
		return nil
	}
	return &PlanError{Errno: unix.Errno(res.errnum), Msg: C.GoString(&res.msg[0])}
}

// Program is the program the last LookPath of this process found.
func Program() string { return C.GoString(C.sprout_plan_program()) }

// WriteProc writes value to a procfs file, refusing anything that is not
// procfs or is reached through a magic link.
func WriteProc(path, value string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	cval := C.CString(value)
	defer C.free(unsafe.Pointer(cval))
	r, err := C.sprout_write_proc(cpath, cval, C.size_t(len(value)))
	if r == 0 {
		return nil
	}
	if err == unix.EXDEV {
		return &PlanError{Msg: path + " is not on procfs"}
	}
	errno, _ := err.(unix.Errno)
	return &PlanError{Errno: errno, Msg: "write " + path}
}
