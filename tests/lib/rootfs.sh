# Sourced by the test tiers that give engines an image: a busybox root
# filesystem built from the host's busybox-static, and an OCI image layout
# of it made offline with umoci (the tiers have no registry).

# build_busybox_rootfs DIR fills DIR with busybox, one symlink per applet,
# and the passwd/group entries images usually carry.
build_busybox_rootfs() {
	local r=$1 a
	mkdir -p "$r"/{bin,etc,proc,sys,dev,tmp,root,run,var}
	cp /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] && continue
		ln -s busybox "$r/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
	echo 'nobody:x:65534:65534:nobody:/:/bin/false' >>"$r/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
	chmod 1777 "$r/tmp"
}

# oci_image_tar ROOTFS WORKDIR OUT_TAR TAG[=ENTRYPOINT...] ... writes an
# OCI layout tar holding one image per TAG, all of the single layer
# ROOTFS. A bare TAG gets /bin/sh as its command; TAG=a,b,c gets the
# entrypoint [a, b, c] (for a pod's sandbox image, which must never exit).
oci_image_tar() {
	local rootfs=$1 work=$2 out=$3 spec tag ep a x
	shift 3
	local oci=$work/oci
	timeout 120 umoci init --layout "$oci" || return 1
	tar -C "$rootfs" -cf "$work/layer.tar" . || return 1
	for spec in "$@"; do
		tag=${spec%%=*}
		timeout 120 umoci new --image "$oci:$tag" &&
			timeout 120 umoci raw add-layer --image "$oci:$tag" "$work/layer.tar" || return 1
		if [ "$tag" = "$spec" ]; then
			timeout 120 umoci config --image "$oci:$tag" --config.cmd /bin/sh || return 1
		else
			ep=()
			IFS=, read -ra a <<<"${spec#*=}"
			for x in "${a[@]}"; do ep+=(--config.entrypoint "$x"); done
			timeout 120 umoci config --image "$oci:$tag" "${ep[@]}" || return 1
		fi
	done
	timeout 120 umoci gc --layout "$oci" && tar -C "$oci" -cf "$out" .
}
