#!/bin/sh
# Runs every binary listed in /vm/tests as tests/vm/run.sh asked (see
# README.md) and reports each with @@sprout-vm: markers on stdout, ending
# with the results marker. Shared by the test init of the initramfs VM and
# the systemd VM's guest.sh.
M=@@sprout-vm:

# shellcheck source=/dev/null # written by tests/vm/run.sh
. /vm/config
# VM_TEST_ARGS is split on whitespace and must not be globbed.
set -f
test_args=$(cat /vm/test-args)

passed=0
failed=0
while IFS='	' read -r idx name path; do
	dir=/tmp/vmtest.$idx
	mkdir -p "$dir" || {
		echo "${M}fatal mkdir $dir failed"
		exit 1
	}
	echo "${M}begin $idx $name"
	start=$(date +%s)
	# shellcheck disable=SC2086 # test_args is split on purpose.
	(cd "$dir" && exec env SPROUT_BIN=/usr/local/bin/sprout BUSYBOX=/bin/busybox \
		timeout -s QUIT -k 15 "$VM_TEST_TIMEOUT" "$path" -test.v $test_args) </dev/null 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if [ "$secs" -ge "$VM_TEST_TIMEOUT" ]; then
		echo "vm: $name killed after VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT}s"
	fi
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	echo "${M}end $idx rc=$rc secs=$secs"
done </vm/tests

echo "${M}results passed=$passed failed=$failed"
