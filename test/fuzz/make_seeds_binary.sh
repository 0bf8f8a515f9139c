#!/usr/bin/env bash
# Writes the seed corpus of fuzz_embedding_binary (test/fuzz/seeds_binary/): valid messages and
# one of each kind of bad message, as printf octal escapes. Usage: test/fuzz/make_seeds_binary.sh
set -euo pipefail
dir="$(dirname "${BASH_SOURCE[0]}")/seeds_binary"
mkdir -p "$dir"

# Writes one seed: seed NAME PRINTF_FORMAT (int2 dim, int2 reserved, float4s, big-endian).
seed() {
	printf "$2" >"$dir/$1"
}

# [1,2], and [-0, smallest denormal, largest float, lowest float]
seed valid_1_2 '\000\002\000\000\077\200\000\000\100\000\000\000'
seed valid_awkward '\000\004\000\000\200\000\000\000\000\000\000\001\177\177\377\377\377\177\377\377'
seed dim_zero '\000\000\000\000'
seed dim_too_large '\076\201\000\000' # 16001
seed dim_negative '\377\377\000\000\077\200\000\000'
seed reserved_nonzero '\000\001\000\007\077\200\000\000'
seed nan '\000\001\000\000\177\300\000\000'
seed infinite '\000\002\000\000\077\200\000\000\377\200\000\000'
seed short_element '\000\002\000\000\077\200\000\000'
seed short_header '\000\001\000'
seed trailing '\000\001\000\000\077\200\000\000\000'
