#!/usr/bin/env bash
# The installed pgrec.so runs on any x86-64: every function holding an AVX, AVX2 or AVX-512
# instruction (a VEX- or EVEX-encoded one) belongs to a build for that set alone, reached only
# through the run-time dispatch (src/core/instruction_set.h): it has internal linkage (an
# anonymous namespace of a *_avx2.cpp or *_avx512.cpp file) or lives in a renamed Eigen
# namespace. A function with external linkage built with those sets could be picked by the
# linker for generic callers and stop an older CPU with an illegal instruction.
set -uo pipefail
[ "$(uname -m)" = x86_64 ] || { echo "SKIP: not an x86-64 build"; exit 77; }
LIB=$(pg_config --pkglibdir)/pgrec.so
[ -f "$LIB" ] || { echo "FAIL: $LIB not found"; exit 1; }

# Functions (demangled) with a v-prefixed instruction or a ymm/zmm register.
simd=$(objdump -d --no-show-raw-insn -C "$LIB" |
	awk '/^[0-9a-f]+ <.*>:$/ { name = $0; next }
		/\t(v[a-z0-9]+ |.*%[yz]mm)/ { if (!(name in seen)) { seen[name] = 1; print name } }')
total=$(printf '%s\n' "$simd" | grep -c . || true)
# Names from a renamed Eigen (parameters included) exist in one build only.
unsafe=$(printf '%s\n' "$simd" | grep -v -e '(anonymous namespace)' -e 'EigenAvx2::' \
	-e 'EigenAvx512::' | grep . || true)
# The dispatch must have something to dispatch to: the kernels and row solvers of both sets.
for kernel in simd_dot_product solve_explicit_row; do
	# grep reads the whole list (grep -q would stop early, and pipefail fail on printf's SIGPIPE).
	if [ "$(printf '%s\n' "$simd" | grep -c "$kernel")" -eq 0 ]; then
		echo "FAIL: no SIMD build of $kernel in $LIB"
		exit 1
	fi
done
if [ -n "$unsafe" ]; then
	echo "FAIL: functions with external linkage hold SIMD instructions:"
	printf '%s\n' "$unsafe" | cut -c1-200 | head -n 20
	exit 1
fi
echo "ok: $total functions hold AVX, AVX2 or AVX-512 instructions, all behind the dispatch"
