#!/bin/bash
# make demo: a busybox bundle in a temporary directory, one container that
# shows its hostname, identity, PID and mounts, then everything removed.
set -euo pipefail
sprout=$(realpath "$1")
work=$(mktemp -d /tmp/sprout-demo.XXXXXX)
root=$work/state
trap '"$sprout" --root "$root" delete --force demo >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ "$applet" = busybox ] || ln -s busybox "$work/bundle/rootfs/bin/$applet"
done
cd "$work/bundle"
"$sprout" spec
# A demo prints and exits: no terminal, and a command instead of sh.
sed -i -e 's/"terminal": true/"terminal": false/' \
	-e 's|"sh"$|"sh", "-c", "echo hostname: $(hostname); id; echo pid: $$; mount"|' config.json
echo "--- sprout run demo"
"$sprout" --root "$root" run demo
echo "--- exit status $?"
