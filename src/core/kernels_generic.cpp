// Kernels for any CPU: 4-wide vectors, which every x86-64 (SSE2) and ARMv8 (NEON) has.
// The fallback when neither AVX2 nor AVX-512 is available.
#define KERNEL_WIDTH 4
#include "kernels_simd.h"

PGREC_DEFINE_KERNEL_TABLE(generic_kernels, "generic")
