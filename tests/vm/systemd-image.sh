#!/usr/bin/env bash
# Builds the root filesystem of the systemd VM tier (see README.md) into
# OUT: rootfs.ext4, vmlinuz, initrd.img and the kernel's config, a Debian system whose PID 1 is
# systemd, made with mmdebstrap from the apt sources of this host. The
# image is rebuilt only when this script or the files it installs change.
#
# Usage: tests/vm/systemd-image.sh OUT
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:?usage: $0 OUT}
# What the tests need besides systemd: runc, Podman and containerd for
# side-by-side checks, a static busybox for the bundles, the kernel whose
# modules (overlay, autofs4) and initramfs (virtio, ext4) the VM boots with.
# For the rootless checks: the user's session bus (dbus-user-session) and
# newuidmap for rootless Podman (uidmap). The release's own criu for the
# checkpoint tests: its kernel tracks dirty pages (soft-dirty), which
# pre-dump needs and this host's kernel may lack.
packages=systemd,systemd-sysv,dbus,dbus-user-session,uidmap,udev,busybox-static,runc,podman,containerd,kmod,iproute2,procps,linux-image-amd64,tar,e2fsprogs,criu

log() { echo "vm-image: $*" >&2; }

key=$( (
	cat "${BASH_SOURCE[0]}" "$here/systemd-guest.service"
	echo "$packages"
) | sha256sum | cut -d' ' -f1)
if [[ -f $out/key && $(cat "$out/key") == "$key" && -f $out/rootfs.ext4 && -f $out/vmlinuz && -f $out/initrd.img && -f $out/config ]]; then
	exit 0
fi

# shellcheck source=/dev/null
. /etc/os-release
suite=${VERSION_CODENAME:?/etc/os-release names no VERSION_CODENAME}
# The archive is the one this host's apt uses: its source files are passed
# as they are (deb822 or one-line), so no mirror name is written here.
mirrors=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[[ -s $f ]] && grep -qE '^[[:space:]]*(deb[[:space:]]|Types:.*\bdeb\b)' "$f" && mirrors+=("$f")
done
((${#mirrors[@]})) || {
	log "no apt sources found on this host"
	exit 1
}

t0=$SECONDS
mkdir -p "$out"
rm -f "$out/key"
work=$(mktemp -d "$out/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
log "building a $suite root filesystem (first run only)"
mmdebstrap --mode=root --variant=minbase --include="$packages" \
	--customize-hook="install -D -m 0644 '$here/systemd-guest.service' \"\$1/etc/systemd/system/sprout-vm.service\"" \
	--customize-hook='chroot "$1" systemctl enable sprout-vm.service' \
	--customize-hook='chroot "$1" useradd -m -u 1000 -s /bin/sh tester' \
	"$suite" "$root" "${mirrors[@]}" >"$work/mmdebstrap.log" 2>&1 || {
	tail -n 40 "$work/mmdebstrap.log" >&2
	log "mmdebstrap failed"
	exit 1
}
echo sprout-vm >"$root/etc/hostname"
# The unprivileged user of the rootless checks: subordinate ids for its
# user namespaces, and lingering, so that logind starts its systemd --user
# (user@1000.service, which systemd delegates memory, pids and cpu to) and
# its session bus at boot, without a login.
echo tester:100000:65536 >"$root/etc/subuid"
echo tester:100000:65536 >"$root/etc/subgid"
mkdir -p "$root/var/lib/systemd/linger"
: >"$root/var/lib/systemd/linger/tester"
# Units that only slow the boot of a VM that lives for one test run.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
	systemd-timesyncd.service getty@tty1.service serial-getty@ttyS0.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
cp -L "$root/vmlinuz" "$work/vmlinuz"
cp -L "$root/initrd.img" "$work/initrd.img"
cp "$root"/boot/config-* "$work/config"
rm -rf "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/*_Packages
mkfs.ext4 -q -F -L sprout-vm -d "$root" "$work/rootfs.ext4" 3G
mv "$work/rootfs.ext4" "$work/vmlinuz" "$work/initrd.img" "$work/config" "$out/"
echo "$key" >"$out/key"
log "built in $((SECONDS - t0))s: $(du -h --apparent-size "$out/rootfs.ext4" | cut -f1) image, $(du -h "$out/rootfs.ext4" | cut -f1) used"
