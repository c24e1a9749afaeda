# docblocks.sh: the command blocks of contrib/DEPLOYING.md, as the tests run
# them (POSIX sh; see "The command blocks, and the tests that run them" there).
#
#   . "$top_srcdir/t/lib/docblocks.sh"
#   docblocks_list FILE WAY       the line numbers of WAY's blocks, in order
#   docblocks_get FILE LINE       the commands of the block that opens at LINE
#   docblocks_run FILE WAY [FROM [TO]] [-- SED-SCRIPT]
#       run WAY's blocks (the FROMth to the TOth, from 1), each in a new
#       `sh -eu`, in the current folder, after SED-SCRIPT (the documented
#       placeholders only); one TAP line per block, its output in
#       $TAP_TMP/block-LINE.out; bail out at the first that fails (the
#       next ones need it). $DOCBLOCKS_AS, when set, is a command prefix
#       to run them with (another user's shell). $DOCBLOCKS_OUT names the
#       output file of the last block run.
#
# A block is fenced with ``` and its info string is "sh" followed by the
# ways it belongs to: ```sh deploy-spawn-fcgi deploy-package

docblocks_list() {
	awk -v way="$2" '
	    !open && /^```/ {
		open = 1
		n = split(substr($0, 4), w, /[ \t]+/)
		if (w[1] != "sh") next
		for (i = 2; i <= n; i++) if (w[i] == way) { print NR; next }
		next
	    }
	    open && /^```[ \t]*$/ { open = 0 }' "$1"
}

docblocks_get() {
	awk -v from="$2" '
	    NR == from { inside = 1; next }
	    inside && /^```[ \t]*$/ { exit }
	    inside { print }' "$1"
}

docblocks_run() {
	_db_file=$1 _db_way=$2
	shift 2
	_db_from=1 _db_to=999 _db_sed=
	[ $# -gt 0 ] && [ "$1" != -- ] && { _db_from=$1; shift; }
	[ $# -gt 0 ] && [ "$1" != -- ] && { _db_to=$1; shift; }
	[ $# -gt 0 ] && [ "$1" = -- ] && { _db_sed=$2; shift 2; }
	# One copy read throughout: the line numbers stay those of the text run.
	cp "$_db_file" "$TAP_TMP/docblocks.md" || bail_out "cannot read $_db_file"
	_db_file=$TAP_TMP/docblocks.md
	_db_i=0
	for _db_line in $(docblocks_list "$_db_file" "$_db_way"); do
		_db_i=$((_db_i + 1))
		[ "$_db_i" -lt "$_db_from" ] && continue
		[ "$_db_i" -gt "$_db_to" ] && break
		_db_script=$TAP_TMP/block-$_db_line.sh
		docblocks_get "$_db_file" "$_db_line" | sed -e "${_db_sed:-b}" >"$_db_script"
		chmod 0644 "$_db_script"
		_db_name="$_db_way block $_db_i (DEPLOYING.md:$_db_line): $(head -n 1 "$_db_script" | cut -c 1-60)"
		_db_t0=$(date +%s)
		${DOCBLOCKS_AS:-} sh -eu "$_db_script" >"$TAP_TMP/block-$_db_line.out" 2>&1
		_db_rc=$?
		diag "DEPLOYING.md:$_db_line ran in $(($(date +%s) - _db_t0)) s"
		DOCBLOCKS_OUT=$TAP_TMP/block-$_db_line.out
		ok "$_db_rc" "$_db_name"
		if [ "$_db_rc" -ne 0 ]; then
			sed 's/^/#   /' "$_db_script"
			echo "# exit $_db_rc, output:"
			tail -n 40 "$TAP_TMP/block-$_db_line.out" | sed 's/^/# /'
			bail_out "a block of DEPLOYING.md failed; the next ones need it"
		fi
	done
	[ "$_db_i" -gt 0 ] || bail_out "no block marked $_db_way in $_db_file"
}
