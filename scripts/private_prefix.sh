# Installs pgrec into a private copy of the PostgreSQL server (sourced, not run), so that the
# sanitizer and SQLsmith runs test their own build without touching the system's installation.

declare -F as_postgres >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Copies the server's lib and share directories (with pg_cron and every other installed
# extension) under the prefix $1, then runs `make install DESTDIR=$1` with the other arguments
# (e.g. -C BUILD_DIR and the build's flags). The copy's binaries are $1$PG_BINDIR: PostgreSQL
# finds its share and lib directories relative to its own binary, so they use the copy's.
install_private_prefix() {
	local prefix=$1
	shift
	local pkgdir sharedir
	pkgdir=$(dirname "$PG_BINDIR")
	sharedir=$("$PG_BINDIR/pg_config" --sharedir) || return 1
	mkdir -p "$prefix$(dirname "$pkgdir")" "$prefix$(dirname "$sharedir")" &&
		cp -a "$pkgdir" "$prefix$(dirname "$pkgdir")/" &&
		cp -a "$sharedir" "$prefix$(dirname "$sharedir")/" || return 1
	# Whatever pgrec someone last installed into the system is not the build under test.
	rm -f "$prefix$pkgdir"/lib/pgrec.so "$prefix$sharedir"/extension/pgrec.control \
		"$prefix$sharedir"/extension/pgrec--*.sql
	rm -rf "$prefix$pkgdir"/lib/bitcode/pgrec "$prefix$pkgdir"/lib/bitcode/pgrec.index.bc
	if [ "$("$prefix$PG_BINDIR/pg_config" --sharedir)" != "$prefix$sharedir" ]; then
		echo "the copied server does not find its files under $prefix (not relocatable?)" >&2
		return 1
	fi
	make -s install DESTDIR="$prefix" PG_CONFIG="$PG_BINDIR/pg_config" "$@" >/dev/null || return 1
	grant_postgres_traversal "$prefix"
}
