# Shared by the scripts/ helpers: paths, pins and one-line messages.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The bases (Linux 7.3 and rdma-core 65 since issue 24; the last state of
# the 6.12 series is the git tag series-linux-6.12). The series lives in
# include/ fs/ mm/ drivers-infiniband/ drivers-md/ and *-patches/ at the top.
BUILD=${BUILD:-$TOP/build}
# Debian's linux-source-7.3, a binary package of trixie-backports.
KERNEL_PKG=linux-source-7.3
KERNEL_PIN=${KERNEL_PIN:-7.3.4}
KERNEL_DEB=$KERNEL_PIN-1~bpo13+1
KERNEL_SUITE=trixie-backports
# rdma-core from sid's deb-src entry.
RDMA_VERSION=${RDMA_VERSION:-65.0}
RDMA_DEB=$RDMA_VERSION-1.1
RDMA_SUITE=sid
# Upstream man-pages (man/man2/, man/man2const/) from the tarball of
# Debian's "manpages" source package, checked against the SHA-256 that
# apt-cache showsrc prints. sid's 6.20-2 is listed, but the archive
# answers 404 for its files; trixie's 6.9.1 is served.
MANPAGES_VERSION=${MANPAGES_VERSION:-6.9.1-1}
MANPAGES_SUITE=${MANPAGES_SUITE:-trixie}
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

# ensure_deb_src PACKAGE VERSION SUITE: a deb-src entry of SUITE (source
# only: no binary package of that suite can be pulled in by it; the bases
# of rdma-core and man-pages come from there) when apt-cache showsrc does not know PACKAGE VERSION yet. (grep
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

# The kernel source is a binary package of trixie-backports (it is
# architecture independent: a tarball in /usr/src). The entry is pinned low
# so that nothing else is ever taken from it.
ensure_kernel_suite() {
	# (grep reads all: see ensure_deb_src)
	apt-cache policy "$KERNEL_PKG" 2>/dev/null | grep "$KERNEL_SUITE" >/dev/null && return 0
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
