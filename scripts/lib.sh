# Shared by the scripts/ helpers: paths, pins and one-line messages.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# BASE selects the bases and the series: 6.12 (the default until the port
# is done; the series in include/ fs/ mm/ drivers-infiniband/ and
# *-patches/ at the top) or 7.3 (the port in progress: the same
# directories under port-7.3/, built in build/7.3).
BASE=${BASE:-6.12}
case $BASE in
6.12)
	SERIES_DIR=$TOP
	BUILD=${BUILD:-$TOP/build}
	KERNEL_PKG=linux-source-6.12
	KERNEL_PIN=${KERNEL_PIN:-6.12.117}
	KERNEL_DEB=$KERNEL_PIN-1~deb12u1
	KERNEL_SUITE=
	RDMA_VERSION=${RDMA_VERSION:-56.1}
	RDMA_DEB=$RDMA_VERSION-1
	RDMA_SUITE=trixie
	COVER_DIR=$TOP/scripts/cover
	# fcntl(2) of Debian's manpages-dev (bookworm), base of the man-pages patch
	MANPAGES_VERSION=${MANPAGES_VERSION:-6.03-2}
	MANPAGES_FROM=manpages-dev
	;;
7.3)
	SERIES_DIR=$TOP/port-7.3
	BUILD=${BUILD:-$TOP/build/7.3}
	KERNEL_PKG=linux-source-7.3
	KERNEL_PIN=${KERNEL_PIN:-7.3.4}
	KERNEL_DEB=$KERNEL_PIN-1~bpo13+1
	KERNEL_SUITE=trixie-backports
	RDMA_VERSION=${RDMA_VERSION:-65.0}
	RDMA_DEB=$RDMA_VERSION-1.1
	RDMA_SUITE=sid
	COVER_DIR=$SERIES_DIR/cover
	# Upstream man-pages (man/man2/, man/man2const/) from the tarball of
	# Debian's "manpages" source package, checked against the SHA-256 that
	# apt-cache showsrc prints. sid's 6.20-2 is listed, but the archive
	# answers 404 for its files; trixie's 6.9.1 is served.
	MANPAGES_VERSION=${MANPAGES_VERSION:-6.9.1-1}
	MANPAGES_SUITE=${MANPAGES_SUITE:-trixie}
	MANPAGES_FROM=source
	;;
*)
	echo "ERROR: unknown BASE=$BASE (6.12 or 7.3)" >&2
	exit 1
	;;
esac
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

# The rdma-core base comes from a deb-src entry of $RDMA_SUITE (trixie
# for 56.1, sid for 65.0; source only: no binary package of that suite can
# be pulled in by it), and so does 7.3's man-pages base ($MANPAGES_SUITE).
ensure_rdma_src() {
	ensure_deb_src rdma-core "$RDMA_DEB" "$RDMA_SUITE"
}

# ensure_deb_src PACKAGE VERSION SUITE: a deb-src entry of SUITE (source
# only) when apt-cache showsrc does not know PACKAGE VERSION yet. (grep
# reads all of it: with -q it would stop at the match, apt-cache would die
# of SIGPIPE and pipefail would call the version unknown.)
ensure_deb_src() {
	local pkg=$1 ver=$2 suite=$3
	local f=/etc/apt/sources.list.d/fsdax-rdma-$suite-src.sources
	if ! apt-cache showsrc "$pkg" 2>/dev/null | grep "^Version: $ver\$" >/dev/null; then
		step "adding a deb-src entry for $suite"
		cat >"$f" <<-EOF
			Types: deb-src
			URIs: http://deb.debian.org/debian
			Suites: $suite
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		apt_get update || die "apt-get update failed (see $LOGS/apt.log)"
	fi
}

# The 7.3 kernel source is a binary package of trixie-backports (it is
# architecture independent: a tarball in /usr/src). The entry is pinned low
# so that nothing else is ever taken from it.
ensure_kernel_suite() {
	[ -n "$KERNEL_SUITE" ] || return 0
	apt-cache policy "$KERNEL_PKG" 2>/dev/null | grep -q "$KERNEL_SUITE" && return 0
	step "adding a deb entry for $KERNEL_SUITE (pinned to priority 100)"
	cat >"/etc/apt/sources.list.d/fsdax-rdma-$KERNEL_SUITE.sources" <<-EOF
		Types: deb
		URIs: http://deb.debian.org/debian
		Suites: $KERNEL_SUITE
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	cat >"/etc/apt/preferences.d/fsdax-rdma-$KERNEL_SUITE" <<-EOF
		Package: *
		Pin: release n=$KERNEL_SUITE
		Pin-Priority: 100
	EOF
	apt_get update || die "apt-get update failed (see $LOGS/apt.log)"
}
