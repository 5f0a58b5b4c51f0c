#!/usr/bin/env bash
# Runs test binaries as the init of a qemu VM booted with Debian's kernel, so
# cgroup v2 behaviour can be tested on hosts whose own cgroup hierarchy is
# hybrid; with VM_IMAGE=systemd, in a VM that boots Debian with systemd as
# its init instead. See tests/vm/README.md for the contract.
#
# Usage: tests/vm/run.sh BINARY [BINARY...]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
marker=@@sprout-vm:
image=${VM_IMAGE:-initramfs}
case $image in
initramfs) required_packages=(qemu-system-x86 linux-image-amd64 busybox-static cpio) ;;
systemd) required_packages=(qemu-system-x86 mmdebstrap e2fsprogs) ;;
*)
	echo "vm: VM_IMAGE=$image: want initramfs or systemd" >&2
	exit 1
	;;
esac

qemu_pid=
console_pid=
tmp=
root=

log() { echo "vm: $*" >&2; }
die() {
	log "$*"
	exit 1
}

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM HUP
	for pid in "$qemu_pid" "$console_pid"; do
		[[ -n $pid ]] || continue
		kill "$pid" 2>/dev/null || true
		for _ in {1..50}; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	[[ -z $tmp ]] || rm -rf "$tmp"
	exit "$rc"
}

positive_int() { # NAME DEFAULT
	local value=${!1:-$2}
	[[ $value =~ ^[1-9][0-9]*$ ]] || die "$1=$value: want a positive number of seconds"
	echo "$value"
}

package_installed() {
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

ensure_packages() {
	local missing=() p
	for p in "${required_packages[@]}"; do
		package_installed "$p" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	[[ $EUID -eq 0 ]] || die "missing packages ${missing[*]} and not root to install them"
	log "installing ${missing[*]}"
	local apt=(apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}")
	if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" >"$tmp/apt.log" 2>&1; then
		# The package lists may just be stale; only then is an update worth it.
		if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive "${apt[@]}"; } >>"$tmp/apt.log" 2>&1; then
			cat "$tmp/apt.log" >&2
			die "apt-get install ${missing[*]} failed"
		fi
	fi
}

# newest_kernel prints the newest /boot/vmlinuz-* shipped by one of the
# Debian amd64 kernel packages that linux-image-amd64 pulls in; the running
# kernel may be a foreign one without the needed cgroup v2 controllers.
newest_kernel() {
	local owners line pkg path best=
	owners=$(dpkg-query -S '/boot/vmlinuz-*' 2>/dev/null) || true
	while IFS= read -r line; do
		pkg=${line%%: *}
		path=${line#*: }
		[[ $pkg == linux-image-*-amd64 || $pkg == linux-image-*-amd64-unsigned ]] || continue
		[[ -f $path ]] || continue
		best+="$path"$'\n'
	done <<<"$owners"
	[[ -n $best ]] || die "no /boot/vmlinuz-* belongs to a linux-image-*-amd64 package"
	sort -V <<<"${best%$'\n'}" | tail -n 1
}

# unpack_kernel writes the ELF image inside the bzImage KERNEL to OUT, for
# qemu to start at its PVH entry point: that skips the in-guest decompressor,
# which takes several seconds under TCG. It fails when the kernel lacks PVH
# support or no payload decompresses to an ELF file.
unpack_kernel() { # KERNEL OUT [CONFIG]
	local kernel=$1 out=$2 config=${3:-/boot/config-${1#/boot/vmlinuz-}} format magic offset
	grep -qx 'CONFIG_PVH=y' "$config" 2>/dev/null || return 1
	for format in 'xz -dc --single-stream:\xfd7zXZ\x00' 'zstd -dcq:\x28\xb5\x2f\xfd' 'gzip -dc:\x1f\x8b\x08\x00'; do
		magic=${format#*:}
		offset=$(LC_ALL=C grep -obUaP -m 1 "$magic" "$kernel" | head -n 1 | cut -d: -f1) || true
		[[ -n $offset ]] || continue
		# shellcheck disable=SC2086 # the tool comes with its arguments.
		tail -c +$((offset + 1)) "$kernel" | ${format%%:*} >"$out" 2>/dev/null || true
		[[ $(head -c 4 "$out") == $'\x7f'ELF ]] && return 0
	done
	return 1
}

# add_elf copies the executable SRC to DST inside the initramfs along with
# every shared object and the dynamic loader ldd names, at the same paths.
add_elf() { # SRC DST
	local src=$1 dst=$2 out a b c lib
	install -D -m 0755 "$src" "$root$dst"
	if ! out=$(LC_ALL=C ldd "$src" 2>&1); then
		[[ $out == *"not a dynamic executable"* ]] && return 0
		die "ldd $src failed: $out"
	fi
	if [[ $out == *"not found"* ]]; then
		die "$src: shared libraries not found: $(grep 'not found' <<<"$out" | tr -s ' \t\n' ' ')"
	fi
	while read -r a b c _; do
		if [[ $b == "=>" ]]; then lib=$c; else lib=$a; fi
		[[ $lib == /* && ! -e $root$lib ]] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done <<<"$out"
}

build_initramfs() {
	local bin i=0 applet name
	root=$tmp/root
	mkdir -p "$root"/{bin,etc,proc,sys,dev,tmp,run,root,vm,tests}
	install -m 0755 /bin/busybox "$root/bin/busybox"
	while IFS= read -r applet; do
		[[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
	done < <("$root/bin/busybox" --list)

	cat >"$root/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$root/etc/group" <<-'EOF'
		root:x:0:
		tty:x:5:
		nogroup:x:65534:
	EOF
	printf 'passwd: files\ngroup: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
	ln -s /proc/self/mounts "$root/etc/mtab"
	# Libraries that ldd found through the cache (outside the loader's default
	# directories) are only found the same way in the VM with the same cache.
	[[ ! -f /etc/ld.so.cache ]] || cp /etc/ld.so.cache "$root/etc/ld.so.cache"

	install -m 0755 "$here/init.sh" "$root/init"
	install -D -m 0755 "$here/test-init.sh" "$root/sbin/test-init"
	install -m 0755 "$here/run-binaries.sh" "$root/sbin/run-binaries"

	[[ -z ${SPROUT_BIN:-} ]] || add_elf "$SPROUT_BIN" /usr/local/bin/sprout
	: >"$root/vm/tests"
	for bin in "${binaries[@]}"; do
		i=$((i + 1))
		name=$(basename "$bin")
		add_elf "$bin" "/tests/$i/$name"
		printf '%s\t%s\t%s\n' "$i" "$name" "/tests/$i/$name" >>"$root/vm/tests"
	done
	printf 'VM_TEST_TIMEOUT=%s\n' "$test_timeout" >"$root/vm/config"
	printf '%s\n' "${VM_TEST_ARGS:-}" >"$root/vm/test-args"

	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null --create --format=newc --owner=0:0 --quiet) | gzip -1 >"$tmp/initrd.gz"
}

# build_payload makes the second disk of the systemd VM: a tar file that
# its sprout-vm.service unpacks at / (the guest has the host's Debian
# release, so the binaries need no libraries copied).
build_payload() {
	local bin i=0 name
	root=$tmp/payload
	mkdir -p "$root/vm" "$root/tests"
	install -m 0755 "$here/systemd-guest.sh" "$root/vm/guest.sh"
	install -m 0755 "$here/run-binaries.sh" "$root/vm/run-binaries.sh"
	# What the scenario scripts share, and Podman's, which the rootless
	# script runs again as the user.
	install -m 0644 "$here/systemd-lib.sh" "$root/vm/systemd-lib.sh"
	install -m 0755 "$here/systemd-podman.sh" "$root/vm/systemd-podman.sh"
	[[ -z ${SPROUT_BIN:-} ]] || install -D -m 0755 "$SPROUT_BIN" "$root/usr/local/bin/sprout"
	: >"$root/vm/tests"
	for bin in "${binaries[@]}"; do
		i=$((i + 1))
		name=$(basename "$bin")
		install -D -m 0755 "$bin" "$root/tests/$i/$name"
		printf '%s\t%s\t%s\n' "$i" "$name" "/tests/$i/$name" >>"$root/vm/tests"
	done
	printf 'VM_TEST_TIMEOUT=%s\nVM_CGROUP=%s\n' "$test_timeout" "$VM_SYSTEMD_CGROUP" >"$root/vm/config"
	printf '%s\n' "${VM_TEST_ARGS:-}" >"$root/vm/test-args"
	local parts=(vm tests)
	[[ -z ${SPROUT_BIN:-} ]] || parts+=(usr)
	tar -C "$root" --owner=0 --group=0 -cf "$tmp/payload.tar" "${parts[@]}"
}

# accel_args picks KVM only when it can work: a /dev/kvm node alone is not
# enough, nested guests often have one without hardware virtualisation.
# TCG runs both vCPUs on one host thread: with a thread per vCPU (qemu's
# default) the guest froze in 2 of 3 tier runs one evening, one vCPU stuck
# in the kernel for minutes (soft lockups and RCU stalls, in an ordinary
# symlinkat on tmpfs), where a run takes two minutes.
accel_args() {
	local accel=${VM_ACCEL:-auto}
	if [[ $accel == auto ]]; then
		accel=tcg
		if [[ -r /dev/kvm && -w /dev/kvm ]] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
			accel=kvm
		fi
	fi
	case $accel in
	kvm) echo "-accel kvm -cpu host" ;;
	tcg) echo "-accel tcg,thread=single" ;;
	*) die "VM_ACCEL=$accel: want auto, kvm or tcg" ;;
	esac
}

# console_tail shows the end of the console log without SeaBIOS' terminal
# escapes, newline-terminated.
console_tail() { # CONSOLE
	[[ -s $1 ]] || {
		echo "(no console output)"
		return
	}
	tail -n 40 "$1" | tr -d '\r' | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' | awk 1
}

now() { echo "${EPOCHREALTIME/[.,]/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# report prints each binary's section of the console log and the VM's
# cgroup and fatal messages. To RESULT it writes the number of binaries that
# exited 0 and whether the log ends inside a section (1) or not (0).
report() { # CONSOLE RESULT
	tr -d '\r' <"$1" | awk -v m="$marker" -v counts="$2" '
		function out(s) {
			if (cur != "") print s
		}
		{
			line = $0
			p = index(line, m)
			if (p == 0) {
				out(line)
				next
			}
			if (p > 1)
				out(substr(line, 1, p - 1))
			rest = substr(line, p + length(m))
			if (rest ~ /^begin /) {
				split(rest, f, " ")
				cur = f[2]
				name[cur] = substr(rest, length("begin " cur " ") + 1)
				print "=== vm: begin " name[cur]
			} else if (rest ~ /^end /) {
				split(rest, f, " ")
				rc = substr(f[3], 4)
				secs = substr(f[4], 6)
				print "=== vm: end " name[f[2]] ": exit " rc " (" secs "s)"
				if (rc == "0")
					passed++
				cur = ""
			} else if (rest ~ /^(controllers|subtree_control|criu|fatal) /) {
				print "vm: " rest
			}
		}
		END {
			if (cur != "")
				print "=== vm: end " name[cur] ": no end marker, the VM went down or was killed while it ran"
			printf "%d %d\n", passed, (cur != "") > counts
		}'
}

main() {
	(($# > 0)) || die "usage: $0 BINARY [BINARY...]"
	binaries=()
	local bin
	for bin in "$@"; do
		[[ -f $bin && -x $bin ]] || die "$bin: not an executable file"
		[[ $(basename "$bin") != *[[:space:]]* ]] || die "$bin: whitespace in the file name is not supported"
		binaries+=("$bin")
	done
	if [[ -n ${SPROUT_BIN:-} ]]; then
		[[ -f $SPROUT_BIN && -x $SPROUT_BIN ]] || die "SPROUT_BIN=$SPROUT_BIN: not an executable file"
	fi
	test_timeout=$(positive_int VM_TEST_TIMEOUT 300)
	local vm_timeout accel
	vm_timeout=$(positive_int VM_TIMEOUT 900)
	accel=$(accel_args)

	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/sprout-vm.XXXXXX")
	local t0
	t0=$(now)

	ensure_packages
	local kernel=${VM_KERNEL:-} config='' initrd=$tmp/initrd.gz disks=() append="console=ttyS0 panic=-1 quiet"
	if [[ $image == systemd ]]; then
		# Built once, kept in tests/vm/out (gitignored): its own kernel and
		# initramfs, which loads virtio and ext4 for the root disk.
		local out=${VM_SYSTEMD_OUT:-$here/out/systemd}
		bash "$here/systemd-image.sh" "$out" || die "building the systemd image failed"
		[[ -n $kernel ]] || kernel=$out/vmlinuz config=$out/config
		initrd=$out/initrd.img
		# snapshot=on: the guest's writes go to a temporary overlay, the
		# cached image stays as built.
		disks=(-drive "file=$out/rootfs.ext4,format=raw,if=virtio,snapshot=on"
			-drive "file=$tmp/payload.tar,format=raw,if=virtio,readonly=on")
		case ${VM_SYSTEMD_CGROUP:=unified} in
		unified) append+=" systemd.unified_cgroup_hierarchy=1" ;;
		hybrid) append+=" systemd.unified_cgroup_hierarchy=0" ;;
		*) die "VM_SYSTEMD_CGROUP=$VM_SYSTEMD_CGROUP: want unified or hybrid" ;;
		esac
		append+=" root=/dev/vda rw systemd.show_status=0"
		build_payload
	fi
	[[ -n $kernel ]] || kernel=$(newest_kernel)
	[[ -r $kernel ]] || die "kernel $kernel: not readable"
	local boot_image=$kernel
	if unpack_kernel "$kernel" "$tmp/vmlinux" ${config:+"$config"}; then
		boot_image=$tmp/vmlinux
	fi
	[[ $image == systemd ]] || build_initramfs
	local accel_name=${accel#-accel }
	log "kernel $kernel (booting $(basename "$boot_image")), accel ${accel_name%% *}, $image image, initramfs $(du -h "$initrd" | cut -f1), ready in $(since "$t0")s"

	local console=$tmp/console.log t_qemu
	t_qemu=$(now)
	# shellcheck disable=SC2086 # accel holds several words on purpose.
	qemu-system-x86_64 $accel -nographic -no-reboot -m 2048 -smp 2 -nic none \
		-kernel "$boot_image" -initrd "$initrd" "${disks[@]}" \
		-append "$append ${VM_KERNEL_ARGS:-}" </dev/null >"$console" 2>&1 &
	qemu_pid=$!
	if [[ ${VM_CONSOLE:-} == 1 ]]; then
		tail -n +1 -f --pid="$qemu_pid" "$console" >&2 &
		console_pid=$!
	fi

	local deadline=$((SECONDS + vm_timeout)) boot_secs='' state=running qemu_rc='' alive
	while :; do
		# Probe qemu before reading the log: once it is gone, the log is
		# complete, so a results marker cannot be missed.
		alive=1
		kill -0 "$qemu_pid" 2>/dev/null || alive=0
		if [[ -z $boot_secs ]] && grep -q "${marker}boot " "$console"; then
			boot_secs=$(since "$t_qemu")
			log "booted: init started ${boot_secs}s after qemu, $(grep -a -o -m 1 "${marker}boot uptime=[0-9.]*" "$console" | sed 's/.*=/guest uptime /')s"
		fi
		if grep -q "${marker}results " "$console"; then
			state=finished
			break
		fi
		if ((!alive)); then
			state=exited
			break
		fi
		if ((SECONDS >= deadline)); then
			state=timeout
			break
		fi
		sleep 0.2
	done
	if [[ $state == finished ]]; then
		# Init powers off right after the results marker.
		for _ in {1..100}; do
			kill -0 "$qemu_pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	if ! kill -0 "$qemu_pid" 2>/dev/null; then
		qemu_rc=0
		wait "$qemu_pid" || qemu_rc=$?
		qemu_pid=
	fi

	report "$console" "$tmp/result"
	local passed cut_short failed ok=1
	read -r passed cut_short <"$tmp/result"
	# Binaries the VM never got to count as failed.
	failed=$((${#binaries[@]} - passed))

	local panic
	panic=$(tr -d '\r' <"$console" | grep -o -m 1 'Kernel panic - not syncing.*') || true
	if [[ -n $panic ]]; then
		ok=0
		log "the kernel panicked: $panic"
	elif grep -q "${marker}fatal " "$console"; then
		ok=0
		log "the VM init gave up, see its fatal message above"
	elif [[ $state == timeout ]]; then
		ok=0
		log "no results marker within VM_TIMEOUT=${vm_timeout}s; killing qemu (pid $qemu_pid)"
	elif [[ $state == exited ]]; then
		ok=0
		if [[ -z $boot_secs ]]; then
			log "the VM did not boot: qemu exited with status $qemu_rc before the test init started"
		else
			log "qemu exited with status $qemu_rc before the results marker"
		fi
	fi
	# A binary's section already shows how the VM ended.
	if ((!ok && !cut_short)); then
		log "console tail:"
		console_tail "$console" >&2
	fi
	log "total run time $(since "$t0")s"
	echo "vm: $passed passed, $failed failed"
	((ok && failed == 0))
}

main "$@"
