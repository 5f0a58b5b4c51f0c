#!/bin/bash
# Downloads a Debian source package into DIR without touching the host's
# apt configuration: the source index goes to a private state directory
# (DIR/.apt), signed by the same archive keys as the binary packages.
#
#   apt-source.sh [--suite SUITE] [--tar-only] DIR PACKAGE[=VERSION]
#
# --suite adds deb-src for SUITE of the host's main Debian archive (for a
# package of a newer release); --tar-only takes the upstream tarball alone.
set -euo pipefail

suite="" tar_only=()
while [[ $# -gt 2 ]]; do
	case $1 in
	--suite) suite=$2; shift 2 ;;
	--tar-only) tar_only=(--tar-only); shift ;;
	*) echo "apt-source: unknown option $1" >&2; exit 2 ;;
	esac
done
dir=$1 pkg=$2
state=$dir/.apt
mkdir -p "$state/parts" "$state/lists/partial" "$state/cache"
for f in /etc/apt/sources.list.d/*.sources; do
	[[ -e $f ]] || continue
	sed -n 's/^Types:.*\bdeb\b.*/Types: deb-src/p; /^Types:/!p' "$f" >"$state/parts/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[[ -e $f ]] || continue
	sed -n 's/^deb[[:space:]]/deb-src /p' "$f" >"$state/parts/$(basename "$f")"
done
if [[ -n $suite ]]; then
	# The archive that carries this release's own suite carries the others.
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	uri=$(grep -h -B3 -A3 "^Suites:.*\b$codename\b" /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's/^URIs:[[:space:]]*//p' | head -1)
	cat >"$state/parts/extra-$suite.sources" <<EOT
Types: deb-src
URIs: ${uri:-http://deb.debian.org/debian}
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
fi
apt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$state/parts"
	-o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o APT::Sandbox::User=root)
apt-get "${apt[@]}" update -qq || echo "apt-source: apt-get update of the source index failed; trying what it fetched" >&2
# apt checks each file against the archive's signed index.
(cd "$dir" && apt-get "${apt[@]}" source -qq --download-only "${tar_only[@]}" "$pkg")
