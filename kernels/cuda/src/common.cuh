// common.cuh: the few CUDA language pieces the kernels need, defined by hand
// so that clang compiles them with -nocudainc (no CUDA toolkit headers) and
// -nocudalib (no libdevice): every intrinsic is a __nvvm_* builtin or inline
// PTX, so the PTX has no external functions.
#pragma once

typedef unsigned int u32;
typedef unsigned short u16;
typedef signed char i8;
typedef long long i64;
typedef int v4i __attribute__((ext_vector_type(4)));
typedef float v4f __attribute__((ext_vector_type(4)));

#ifdef LINGSHU_EMU
// Host emulation (emu/): the same kernels as plain C++ functions run by a
// thread per CUDA thread; see emu/emu.h.
#include "../emu/emu.h"
#else
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define DEV static __device__ __attribute__((always_inline)) inline
#define DEVT __device__ __attribute__((always_inline)) inline
#define KERNEL extern "C" __global__ void

DEV int tid() { return __nvvm_read_ptx_sreg_tid_x(); }
DEV int ntid() { return __nvvm_read_ptx_sreg_ntid_x(); }
DEV int bidx() { return __nvvm_read_ptx_sreg_ctaid_x(); }
DEV int bidy() { return __nvvm_read_ptx_sreg_ctaid_y(); }
DEV int nbx() { return __nvvm_read_ptx_sreg_nctaid_x(); }
DEV void sync() { __nvvm_bar_sync(0); }
DEV float ex2(float x) { return __nvvm_ex2_approx_f(x); }
DEV int f2i_rn(float x) { return __nvvm_f2i_rn(x); }
DEV float sqrt_rn(float x) { return __nvvm_sqrt_rn_f(x); }
DEV float shfl_f(float v, int o) { return __nvvm_shfl_sync_bfly_f32(0xffffffffu, v, o, 31); }
DEV int shfl_i(int v, int o) { return __nvvm_shfl_sync_bfly_i32(0xffffffffu, v, o, 31); }

DEV float h2f(u16 h) {
	float f;
	asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
	return f;
}
DEV u16 f2h(float f) {
	u16 h;
	asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
	return h;
}
DEV int dp4a(int a, int b, int c) {
	int d;
	asm("dp4a.s32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
	return d;
}
// d += A·B for one m16n8k32 int8 tile (fragment layout: matmul.cuh).
DEV void mma_s8(int* d, int a0, int a1, int a2, int a3, int b0, int b1) {
	asm("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
	    : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
	    : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}
// d += A·B for one m16n8k16 f16 tile with f32 accumulators.
DEV void mma_f16(float* d, int a0, int a1, int a2, int a3, int b0, int b1) {
	asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
	    : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
	    : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}
#endif

DEV int lane() { return tid() & 31; }
DEV int warp() { return tid() >> 5; }
DEV float bf2f(u16 h) { return __builtin_bit_cast(float, (u32)h << 16); }
DEV float u2f(u32 u) { return __builtin_bit_cast(float, u); }
DEV u32 f2u(float f) { return __builtin_bit_cast(u32, f); }

// expf: 2^(x·log2 e) with the rounding error of the product folded back
// in, so the result is within a few ulp (ex2.approx is good to 2^-22);
// exp(-inf) = 0, exp(+inf) = inf, NaN stays NaN.
DEV float expf_(float x) {
	const float L = 1.44269504088896341f, Llo = 1.925963e-8f;
	float t = x * L;
	float e = __builtin_fmaf(x, L, -t) + x * Llo;
	float r = ex2(t);
	// Far out (0, inf, or ±inf/NaN in) the correction would only turn an
	// exact 0 or inf into NaN.
	if (!(__builtin_fabsf(t) < 126.0f)) return r;
	return __builtin_fmaf(r, e * 0.69314718055994531f, r);
}

// erff: Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), odd extension.
DEV float erff_(float x) {
	float a = __builtin_fabsf(x);
	float t = 1.0f / __builtin_fmaf(0.3275911f, a, 1.0f);
	float p = 1.061405429f;
	p = __builtin_fmaf(p, t, -1.453152027f);
	p = __builtin_fmaf(p, t, 1.421413741f);
	p = __builtin_fmaf(p, t, -0.284496736f);
	p = __builtin_fmaf(p, t, 0.254829592f);
	float y = 1.0f - p * t * expf_(-a * a);
	return x < 0 ? -y : y;
}

DEV float warp_sum(float v) {
	for (int o = 16; o > 0; o >>= 1) v += shfl_f(v, o);
	return v;
}
DEV float warp_max(float v) {
	for (int o = 16; o > 0; o >>= 1) v = __builtin_fmaxf(v, shfl_f(v, o));
	return v;
}

// block_sum reduces over a block of up to 1024 threads; every thread gets
// the total. red holds 32 floats of shared memory.
DEV float block_sum(float v, float* red) {
	v = warp_sum(v);
	sync();
	if (lane() == 0) red[warp()] = v;
	sync();
	int nw = (ntid() + 31) >> 5;
	v = lane() < nw ? red[lane()] : 0.0f;
	return warp_sum(v);
}
DEV float block_max(float v, float* red) {
	v = warp_max(v);
	sync();
	if (lane() == 0) red[warp()] = v;
	sync();
	int nw = (ntid() + 31) >> 5;
	v = lane() < nw ? red[lane()] : -__builtin_inff();
	return warp_max(v);
}

// Weight element readers by dtype (the Go side's DType numbers).
enum { DT_F32 = 1, DT_F16 = 2, DT_BF16 = 3 };
template <int DT> DEV float wval(const void* w, i64 i);
template <> DEVT float wval<DT_F32>(const void* w, i64 i) { return ((const float*)w)[i]; }
template <> DEVT float wval<DT_F16>(const void* w, i64 i) { return h2f(((const u16*)w)[i]); }
template <> DEVT float wval<DT_BF16>(const void* w, i64 i) { return bf2f(((const u16*)w)[i]); }
