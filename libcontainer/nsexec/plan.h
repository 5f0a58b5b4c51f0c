// The process plan: the last steps of a container process before execve
// (credentials, capabilities, seccomp, ...), run by plan.c. An exec'd
// process runs its plan straight from the C stage, so that no Go runtime
// starts inside the container; the container's own init runs its plan
// through cgo. Either way the same code makes the same system calls.
#ifndef SPROUT_PLAN_H
#define SPROUT_PLAN_H

#include <stddef.h>
#include <stdint.h>

struct plan_result {
	int errnum;      // errno of the step that failed; 0 when it had none
	char msg[1024];  // the step that failed, naming its config field
};

// sprout_run_plan runs the operations of sync.h's sprout_plan_op in order.
// sock gets the seccomp notify fd and the PLAN_LOG lines. It returns 0, or
// -1 with res filled in; PLAN_EXEC returns only on failure.
int sprout_run_plan(const char *buf, size_t len, int sock, struct plan_result *res);

// sprout_send sends one message of the sync protocol (sync.h): type, then
// the payload, with fd as SCM_RIGHTS unless it is -1. It returns 0, or -1
// with errno set.
int sprout_send(int sock, uint32_t type, const void *data, size_t len, int fd);

// sprout_next_record reads the record at *p (a u32 type, a u32 length,
// the payload: sync.h's framing of the bootstrap and of a process plan)
// and moves *p past it. It returns 1 with type, data and len set, 0 at the
// end (type 0, REC_END or PLAN_END, or no room for another header), -1
// when the record overruns end (type says which).
int sprout_next_record(const char **p, const char *end, uint32_t *type, const char **data, uint32_t *len);

// sprout_plan_program is the program the last PLAN_LOOKPATH found.
const char *sprout_plan_program(void);

// sprout_write_proc writes value to a procfs file, refusing anything that is
// not procfs or is reached through a magic link. It returns 0, or -1 with
// errno set (EXDEV: not procfs).
int sprout_write_proc(const char *path, const char *value, size_t len);

#endif
