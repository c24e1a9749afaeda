# sandbox.sh: run a test on a throw-away copy of this machine (POSIX sh).
#
#   . "$top_srcdir/t/lib/tap.sh"
#   . "$top_srcdir/t/lib/sandbox.sh"
#   sandbox_enter "$0"      returns only inside the copy
#
# Outside, sandbox_enter runs the calling script again, as root, in private
# mount, network (loopback only) and process namespaces, whose root is an
# overlay of this machine's root file system: whatever it changes (/usr,
# /etc, users, /var/lib/mysql) goes to memory (a tmpfs), gone at the end;
# its servers listen on their usual ports (443, 3306) on a loopback of
# their own; every process it starts ends with it. /run is new and empty.
# apt has no package lists there: `apt-get install` of packages already
# installed succeeds, of others fails, and nothing is downloaded. Then it
# exits with the script's status. Inside, the script can do what
# DEPLOYING.md asks of a new machine, as written.
# Needs root, util-linux's unshare and overlayfs; as another user the test
# is skipped.

sandbox_enter() {
	[ -n "${SANDBOX_INSIDE:-}" ] && return 0
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (namespaces, overlayfs)"; exit 0; }
	command -v unshare >/dev/null || bail_out "unshare not found (util-linux)"
	tap_tmpdir
	mkdir "$TAP_TMP/layer" "$TAP_TMP/root" || bail_out "mkdir failed"
	# (--kill-child: the copy's processes die with the test, even killed.)
	unshare --mount --net --pid --fork --kill-child --propagation private sh -c '
		set -e
		r=$1/root
		# The changes in memory: gone with the namespace, and overlayfs
		# takes no upper folder on a root that is itself an overlay.
		mount -t tmpfs -o mode=0700 tmpfs "$1/layer"
		mkdir "$1/layer/upper" "$1/layer/work"
		mount -t overlay overlay -o "lowerdir=/,upperdir=$1/layer/upper,workdir=$1/layer/work" "$r"
		mount -t proc proc "$r/proc"
		mount --rbind /dev "$r/dev"
		mount -t sysfs sysfs "$r/sys" 2>/dev/null || :
		mount -t tmpfs -o mode=0755 tmpfs "$r/run"
		ip link set lo up
		# No package lists: apt-get install finds every package it names
		# installed already (or fails), and downloads nothing.
		find "$r/var/lib/apt/lists" -maxdepth 1 -type f -delete
		exec chroot "$r" /bin/sh -c "cd \"\$1\" && shift && exec \"\$@\"" - "$PWD" \
		    env SANDBOX_INSIDE=1 sh "$2"
	' sandbox "$TAP_TMP" "$1"
	_sandbox_rc=$?
	exit "$_sandbox_rc"
}
