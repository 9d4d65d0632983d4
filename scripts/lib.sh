# Shared by the scripts/ helpers: paths, pins and one-line messages.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
KERNEL_PIN=${KERNEL_PIN:-6.12.117}
RDMA_VERSION=${RDMA_VERSION:-56.1}
# fcntl(2) of Debian's manpages-dev (bookworm), base of the man-pages patch
MANPAGES_VERSION=${MANPAGES_VERSION:-6.03-2}
LOGS=$BUILD/logs
mkdir -p "$LOGS"

step() { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 1
}

# run LOGNAME CMD...: run a command with its output in build/logs/LOGNAME.log;
# on failure print the log's tail and one line saying what failed.
run() {
	local log=$LOGS/$1.log
	shift
	if ! "$@" >"$log" 2>&1; then
		tail -n 25 "$log" >&2
		die "$1 failed; full log: $log"
	fi
}

# A command that fails under set -e says where instead of exiting silently.
if [[ $- == *e* ]]; then
	set -o errtrace
	trap 'die "${BASH_SOURCE[0]##*/}: unexpected failure at line $LINENO: $BASH_COMMAND"' ERR
fi

apt_get() {
	DEBIAN_FRONTEND=noninteractive apt-get -o Dpkg::Use-Pty=0 "$@" \
		>>"$LOGS/apt.log" 2>&1
}

# The rdma-core base comes from trixie's deb-src entry (source only: no
# trixie binary package can be pulled in by it).
ensure_trixie_src() {
	local f=/etc/apt/sources.list.d/fsdax-rdma-trixie-src.sources
	if ! grep -rqs 'trixie' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null ||
		! apt-cache showsrc rdma-core 2>/dev/null | grep -q "^Version: $RDMA_VERSION-1"; then
		step "adding a deb-src entry for trixie"
		cat >"$f" <<-EOF
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: trixie
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		apt_get update || die "apt-get update failed (see $LOGS/apt.log)"
	fi
}
