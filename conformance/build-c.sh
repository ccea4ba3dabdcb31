#!/bin/sh
# Build every C scenario against the installed Samba libraries and compare
# its output with expected/<scenario>.trace.
#   ./build-c.sh            compare (exit 1 on any difference)
#   ./build-c.sh --update   (re)write expected/*.trace from the C programs
#   ./build-c.sh talloc req only the named scenarios
set -u
here=$(cd "$(dirname "$0")" && pwd)
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
build=${BUILD_DIR:-$(mktemp -d /tmp/conformance-c.XXXXXX)}
mkdir -p "$build"
scenarios=${*:-$(cd "$here/c" && ls *.c | sed 's/\.c$//')}
cflags="-O1 -g -Wall -I/usr/include/samba-4.0 $(pkg-config --cflags talloc tevent)"
libs="$(pkg-config --libs talloc tevent) -ltevent-util -L/usr/lib/x86_64-linux-gnu/samba -l:libsamba-sockets-samba4.so.0 -Wl,-rpath,/usr/lib/x86_64-linux-gnu/samba"
fail=0
for s in $scenarios; do
	if ! gcc $cflags -o "$build/$s" "$here/c/$s.c" $libs; then
		echo "FAIL $s (compile)"; fail=1; continue
	fi
	if ! (cd "$build" && timeout 120 "./$s" > "$build/$s.trace"); then
		echo "FAIL $s (exit status)"; fail=1; continue
	fi
	if [ $update = 1 ]; then
		cp "$build/$s.trace" "$here/expected/$s.trace"
		echo "wrote expected/$s.trace ($(wc -l < "$build/$s.trace") lines)"
	elif diff -u "$here/expected/$s.trace" "$build/$s.trace" > "$build/$s.diff"; then
		echo "ok   $s ($(wc -l < "$build/$s.trace") lines)"
	else
		echo "FAIL $s: first difference: $(grep -m1 "^[-+][^-+]" "$build/$s.diff")"; fail=1
	fi
done
[ -z "${BUILD_DIR:-}" ] && rm -rf "$build"
exit $fail
