// emu.h: host definitions of the CUDA pieces common.cuh uses, so that the
// kernels in src/ compile as ordinary C++ (clang -DLINGSHU_EMU) and run on
// the CPU, one coroutine per CUDA thread, under the fake driver library
// of emu.cpp. Warp shuffles and mma.sync are emulated collectively per
// warp; the mma fragment layouts here are the ones matmul.cuh assumes
// (PTX ISA, "Matrix Fragments for mma.m16n8k32 / m16n8k16"), so this
// checks the kernels' indexing, reductions and numerics, not the hardware.
#pragma once
#include <math.h>

#define __global__
#define __device__
#define __shared__ static
#define DEV static inline
#define DEVT inline
#define KERNEL extern "C" void

struct EmuThread {
	int tid, ntid, bx, by, nbx;
};
extern EmuThread emu_t;
void emu_sync();
float emu_shfl_f(float v, int o);
int emu_shfl_i(int v, int o);
void emu_mma_s8(int* d, const int a[4], const int b[2]);
void emu_mma_f16(float* d, const int a[4], const int b[2]);

DEV int tid() { return emu_t.tid; }
DEV int ntid() { return emu_t.ntid; }
DEV int bidx() { return emu_t.bx; }
DEV int bidy() { return emu_t.by; }
DEV int nbx() { return emu_t.nbx; }
DEV void sync() { emu_sync(); }
DEV float ex2(float x) { return exp2f(x); }
DEV int f2i_rn(float x) { return (int)nearbyintf(x); }
DEV float sqrt_rn(float x) { return sqrtf(x); }
DEV float shfl_f(float v, int o) { return emu_shfl_f(v, o); }
DEV int shfl_i(int v, int o) { return emu_shfl_i(v, o); }

DEV float h2f(u16 h) {
	float s = (h & 0x8000) ? -1.0f : 1.0f;
	int e = (h >> 10) & 31, m = h & 1023;
	if (e == 0) return s * ldexpf((float)m, -24);
	if (e == 31) return m ? NAN : s * INFINITY;
	return s * ldexpf(1.0f + m / 1024.0f, e - 15);
}
DEV u16 f2h(float f) {
	u32 x = __builtin_bit_cast(u32, f);
	u16 sign = (x >> 16) & 0x8000;
	float a = fabsf(f);
	if (a != a) return sign | 0x7e00;
	if (a >= 65520.0f) return sign | 0x7c00;
	if (a < 6.103515625e-05f) return sign | (u16)nearbyintf(a * 16777216.0f);
	u32 ab = __builtin_bit_cast(u32, a);
	u32 e = (ab >> 23) - 127 + 15, m = ab & 0x7fffff;
	u32 r = m >> 13, rem = m & 0x1fff;
	if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;
	return sign | (u16)((e << 10) + r);
}
DEV int dp4a(int a, int b, int c) {
	for (int i = 0; i < 4; i++) c += (int)(i8)(a >> (8 * i)) * (int)(i8)(b >> (8 * i));
	return c;
}
DEV void mma_s8(int* d, int a0, int a1, int a2, int a3, int b0, int b1) {
	int a[4] = {a0, a1, a2, a3}, b[2] = {b0, b1};
	emu_mma_s8(d, a, b);
}
DEV void mma_f16(float* d, int a0, int a1, int a2, int a3, int b0, int b1) {
	int a[4] = {a0, a1, a2, a3}, b[2] = {b0, b1};
	emu_mma_f16(d, a, b);
}
