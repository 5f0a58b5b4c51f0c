package libcontainer

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/sprout-runtime/sprout/libcontainer/nsexec"
)

// buildBootstrap encodes the SYNC_BOOTSTRAP payload: what nsexec.c needs: the cgroups to join, the
// namespaces to join (the user namespace first), the ones to create, and the
// time namespace offsets; and for an exec, planFd (else -1), the fd of the
// C stage's child on which its process plan comes.
func buildBootstrap(namespaces []specs.LinuxNamespace, offsets map[string]specs.LinuxTimeOffset, cgroupPaths map[string]string, planFd int) []byte {
	var b nsexec.Records
	var flags uint32
	seen := map[string]bool{}
	keys := make([]string, 0, len(cgroupPaths))
	for k := range cgroupPaths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		dir := cgroupPaths[k]
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if k == "" {
			b.Add(nsexec.RecCgroupDir, append([]byte(dir), 0))
		} else {
			b.Add(nsexec.RecCgroupTasks, append([]byte(dir+"/tasks"), 0))
		}
	}
	joins := append([]specs.LinuxNamespace(nil), namespaces...)
	sort.SliceStable(joins, func(i, j int) bool {
		return joins[i].Type == specs.UserNamespace && joins[j].Type != specs.UserNamespace
	})
	for _, ns := range joins {
		if ns.Path == "" {
			flags |= cloneFlag(ns.Type)
			continue
		}
		rec := uint32(nsexec.RecNsPath)
		if ns.Type == specs.UserNamespace {
			rec = nsexec.RecUsernsPath
		}
		// The type goes along so that setns refuses a path to a namespace
		// of another type.
		data := binary.NativeEndian.AppendUint32(nil, cloneFlag(ns.Type))
		b.Add(rec, append(append(data, ns.Path...), 0))
	}
	var f [4]byte
	binary.NativeEndian.PutUint32(f[:], flags)
	b.Add(nsexec.RecCloneFlags, f[:])
	if len(offsets) > 0 {
		var sb strings.Builder
		for _, clock := range []string{"monotonic", "boottime"} {
			if o, ok := offsets[clock]; ok {
				fmt.Fprintf(&sb, "%s %d %d\n", clock, o.Secs, o.Nanosecs)
			}
		}
		b.Add(nsexec.RecTimeOffsets, []byte(sb.String()))
	}
	if planFd >= 0 {
		b.Add(nsexec.RecPlanFd, binary.NativeEndian.AppendUint32(nil, uint32(planFd)))
	}
	b.Add(nsexec.RecEnd, nil)
	return b.Bytes()
}
