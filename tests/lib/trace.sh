# shellcheck shell=bash
# Sourced by the tiers that hand engines a runtime (tests/engines,
# tests/cri): with --trace the engine gets a wrapper that logs every call
# of the runtime.

# trace_wrapper REAL NAME BINDIR LOGDIR writes BINDIR/NAME, which runs the
# runtime binary REAL and logs each call's argv, exit status and the tail
# of its --log file to LOGDIR/NAME.log, and its stderr to
# LOGDIR/NAME.stderr; it prints the wrapper's path. A wrapper already
# there is kept.
trace_wrapper() {
	local real=$1 name=$2 bindir=$3 logdir=$4
	local w=$bindir/$name
	mkdir -p "$bindir"
	if [ ! -x "$w" ]; then
		cat >"$w" <<EOF
#!/bin/bash
log=$logdir/$name.log
printf '%s [%s] %s\n' "\$(date +%T.%N)" "\$\$" "\$*" >>"\$log"
logfile=
prev=
for a in "\$@"; do [ "\$prev" = --log ] && logfile=\$a; prev=\$a; done
$(printf '%q' "$real") "\$@" 2> >(tee -a "$logdir/$name.stderr" >&2)
rc=\$?
if [ \$rc -ne 0 ]; then
	printf '%s [%s] exit %s\n' "\$(date +%T.%N)" "\$\$" "\$rc" >>"\$log"
	[ -n "\$logfile" ] && [ -f "\$logfile" ] && tail -n 5 "\$logfile" | sed 's/^/    log: /' >>"\$log"
fi
exit \$rc
EOF
		chmod 755 "$w"
	fi
	echo "$w"
}
