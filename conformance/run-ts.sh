#!/bin/sh
# Compile the TypeScript scenarios (conformance/tsconfig.json) against the
# built package (npm run build must have produced ../dist) and diff each
# scenario's output with expected/<scenario>.trace.
#   ./run-ts.sh              all scenarios
#   ./run-ts.sh talloc req   only these
# Exit status 1 if anything fails to compile, crashes or differs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
if [ ! -f "$root/dist/index.js" ]; then
	echo "no $root/dist/index.js: run 'npm run build' in $root first" >&2
	exit 2
fi
tsc="$root/node_modules/.bin/tsc"
[ -x "$tsc" ] || tsc="npx tsc"
if ! (cd "$root" && $tsc -p "$here/tsconfig.json"); then
	echo "WARNING: TypeScript errors above; running whatever was emitted" >&2
	compile_failed=1
else
	compile_failed=0
fi
out=${OUT_DIR:-$(mktemp -d /tmp/conformance-ts.XXXXXX)}
mkdir -p "$out"
scenarios=${*:-$(cd "$here/expected" && ls *.trace | sed 's/\.trace$//')}
fail=$compile_failed
for s in $scenarios; do
	js="$here/dist/$s.js"
	if [ ! -f "$js" ]; then
		echo "FAIL $s (not compiled)"; fail=1; continue
	fi
	(cd "$root" && timeout 120 node "$js" > "$out/$s.trace" 2> "$out/$s.stderr")
	rc=$?
	if diff -u "$here/expected/$s.trace" "$out/$s.trace" > "$out/$s.diff"; then
		if [ $rc = 0 ]; then
			echo "ok   $s ($(wc -l < "$out/$s.trace") lines)"
		else
			echo "FAIL $s (exit status $rc, output matched)"; fail=1
		fi
	else
		n=$(grep -c '' "$out/$s.trace")
		first=$(grep -m1 '^[-+][^-+]' "$out/$s.diff")
		echo "FAIL $s (exit $rc, $n lines): first difference: $first"
		[ -s "$out/$s.stderr" ] && sed -n '1,3s/^/     stderr: /p' "$out/$s.stderr"
		fail=1
	fi
done
echo "outputs, diffs and stderr in $out"
exit $fail
