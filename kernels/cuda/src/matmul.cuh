// matmul.cuh: y (T, N) = x (T, K) · wᵀ + bias for w (N, K) in every weight
// dtype. Decode-sized T (≤ 8) uses warp-per-row matrix-vector kernels
// (dp4a for Q8_0); larger T uses tensor-core mma.sync tiles (int8 for Q8_0,
// f16 for F16) or an f32 tiled kernel (F32, BF16 and odd shapes).
#pragma once
#include "common.cuh"

// quantize_q8: x (rows, K) f32 → q (rows, K) int8 and d (rows, K/32) f32,
// one scale per 32 values (amax/127), as Q8_0 blocks. One warp per block.
KERNEL quantize_q8(const float* x, i8* q, float* d, int nblocks) {
	int b = bidx() * (ntid() >> 5) + warp();
	if (b >= nblocks) return;
	float v = x[(i64)b * 32 + lane()];
	float amax = warp_max(__builtin_fabsf(v));
	float s = amax / 127.0f;
	float is = amax > 0 ? 127.0f / amax : 0.0f;
	q[(i64)b * 32 + lane()] = (i8)f2i_rn(v * is);
	if (lane() == 0) d[b] = s;
}

// mv_q8: decode (T ≤ 8). One warp per output row; each lane takes whole
// 32-value blocks (32 weight bytes, 8 dp4a per x row).
KERNEL mv_q8(const i8* wq, const u16* wd, const i8* xq, const float* xd, const float* bias,
             float* y, int T, int K, int N) {
	int n = bidx() * (ntid() >> 5) + warp();
	if (n >= N) return;
	int nb = K >> 5;
	float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
	const i8* wr = wq + (i64)n * K;
	for (int b = lane(); b < nb; b += 32) {
		v4i w0 = *(const v4i*)(wr + b * 32);
		v4i w1 = *(const v4i*)(wr + b * 32 + 16);
		float dw = h2f(wd[(i64)n * nb + b]);
#pragma unroll
		for (int t = 0; t < 8; t++) {
			if (t < T) {
				const i8* xr = xq + (i64)t * K + b * 32;
				v4i x0 = *(const v4i*)xr, x1 = *(const v4i*)(xr + 16);
				int s = dp4a(w0.x, x0.x, 0);
				s = dp4a(w0.y, x0.y, s);
				s = dp4a(w0.z, x0.z, s);
				s = dp4a(w0.w, x0.w, s);
				s = dp4a(w1.x, x1.x, s);
				s = dp4a(w1.y, x1.y, s);
				s = dp4a(w1.z, x1.z, s);
				s = dp4a(w1.w, x1.w, s);
				acc[t] += dw * xd[(i64)t * nb + b] * (float)s;
			}
		}
	}
	float bv = bias ? bias[n] : 0.0f;
#pragma unroll
	for (int t = 0; t < 8; t++) {
		if (t < T) {
			float s = warp_sum(acc[t]);
			if (lane() == 0) y[(i64)t * N + n] = s + bv;
		}
	}
}

// Tensor-core tiles: a block of 4 warps computes 64 rows (T) × 64 columns
// (N); warp w owns rows 16w..16w+15 and all 64 columns as 8 mma n-tiles.
// Each k-step stages the block's 64 weight rows × 32 bytes in shared
// memory with a 48-byte row stride, which makes the fragment reads free of
// bank conflicts. Fragment layouts follow the PTX ISA for
// mma.m16n8k32 (s8) and mma.m16n8k16 (f16): with g = lane/4, c = lane%4,
// A regs are (row g, bytes 4c), (row g+8, 4c), (g, 16+4c), (g+8, 16+4c);
// B regs are (col g, bytes 4c) and (col g, 16+4c); C is (g, 2c..2c+1),
// (g+8, 2c..2c+1).
#define BT_STRIDE 48

DEV void stage_b(unsigned char* bt, const unsigned char* w, i64 rowBytes, i64 off, int n0, int N) {
	int sr = tid() >> 1, sh = (tid() & 1) * 16;
	v4i v = {0, 0, 0, 0};
	if (n0 + sr < N) v = *(const v4i*)(w + (i64)(n0 + sr) * rowBytes + off + sh);
	*(v4i*)(bt + sr * BT_STRIDE + sh) = v;
}

DEV void store_tile(float acc[8][4], float* y, const float* bias, int r0, int n0, int T, int N,
                    float sc0, float sc1) {
	int g = lane() >> 2, c = lane() & 3;
	int r1 = r0 + 8;
#pragma unroll
	for (int j = 0; j < 8; j++) {
		int n = n0 + j * 8 + c * 2;
#pragma unroll
		for (int e = 0; e < 2; e++) {
			if (n + e >= N) continue;
			float bv = bias ? bias[n + e] : 0.0f;
			if (r0 < T) y[(i64)r0 * N + n + e] = acc[j][e] * sc0 + bv;
			if (r1 < T) y[(i64)r1 * N + n + e] = acc[j][2 + e] * sc1 + bv;
		}
	}
	(void)g;
}

// mm_q8: prefill for Q8_0 weights against int8-quantized activations;
// each mma k-step of 32 is exactly one Q8_0 block, so the int32 block sums
// are scaled by (x scale × w scale) into f32 accumulators.
KERNEL mm_q8(const i8* wq, const u16* wd, const i8* xq, const float* xd, const float* bias,
             float* y, int T, int K, int N) {
	__shared__ __attribute__((aligned(16))) unsigned char bt[64 * BT_STRIDE];
	__shared__ float bs[64];
	int nb = K >> 5;
	int g = lane() >> 2, c = lane() & 3;
	int n0 = bidx() * 64;
	int r0 = bidy() * 64 + warp() * 16 + g, r1 = r0 + 8;
	bool ok0 = r0 < T, ok1 = r1 < T;
	const i8* x0 = xq + (i64)r0 * K + c * 4;
	const i8* x1 = xq + (i64)r1 * K + c * 4;
	float acc[8][4];
#pragma unroll
	for (int j = 0; j < 8; j++) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.0f;
	for (int b = 0; b < nb; b++) {
		stage_b(bt, (const unsigned char*)wq, K, (i64)b * 32, n0, N);
		if (tid() < 64) bs[tid()] = n0 + tid() < N ? h2f(wd[(i64)(n0 + tid()) * nb + b]) : 0.0f;
		sync();
		int a0 = ok0 ? *(const int*)(x0 + b * 32) : 0;
		int a1 = ok1 ? *(const int*)(x1 + b * 32) : 0;
		int a2 = ok0 ? *(const int*)(x0 + b * 32 + 16) : 0;
		int a3 = ok1 ? *(const int*)(x1 + b * 32 + 16) : 0;
		float s0 = ok0 ? xd[(i64)r0 * nb + b] : 0.0f;
		float s1 = ok1 ? xd[(i64)r1 * nb + b] : 0.0f;
#pragma unroll
		for (int j = 0; j < 8; j++) {
			const unsigned char* br = bt + (j * 8 + g) * BT_STRIDE + c * 4;
			int b0 = *(const int*)br, b1 = *(const int*)(br + 16);
			int cs[4] = {0, 0, 0, 0};
			mma_s8(cs, a0, a1, a2, a3, b0, b1);
			int c0 = cs[0], c1 = cs[1], c2 = cs[2], c3 = cs[3];
			float w0 = bs[j * 8 + c * 2], w1 = bs[j * 8 + c * 2 + 1];
			acc[j][0] += (float)c0 * (s0 * w0);
			acc[j][1] += (float)c1 * (s0 * w1);
			acc[j][2] += (float)c2 * (s1 * w0);
			acc[j][3] += (float)c3 * (s1 * w1);
		}
		sync();
	}
	store_tile(acc, y, bias, r0, n0, T, N, 1.0f, 1.0f);
}

// split_f16: x (rows, K) f32 → hi + lo f16 pairs of x·s, with s a power of
// two per row that puts the row's largest magnitude in [2^14, 2^15) (so
// nothing overflows and lo keeps 11 more bits); inv gets 1/s. hi·w + lo·w
// in f32 tensor-core accumulators matches an f32 product to about 2^-22.
KERNEL split_f16(const float* x, u16* xh, u16* xl, float* inv, int K) {
	__shared__ float red[32];
	int r = bidx();
	const float* xr = x + (i64)r * K;
	float m = 0.0f;
	for (int k = tid(); k < K; k += ntid()) m = __builtin_fmaxf(m, __builtin_fabsf(xr[k]));
	m = block_max(m, red);
	int e = (int)((f2u(m) >> 23) & 0xff) - 127;
	int sh = m > 0.0f ? 14 - e : 0;
	sh = sh < -120 ? -120 : (sh > 120 ? 120 : sh);
	float s = u2f((u32)(127 + sh) << 23);
	for (int k = tid(); k < K; k += ntid()) {
		float v = xr[k] * s;
		u16 h = f2h(v);
		xh[(i64)r * K + k] = h;
		xl[(i64)r * K + k] = f2h(v - h2f(h));
	}
	if (tid() == 0) inv[r] = u2f((u32)(127 - sh) << 23);
}


// mm_f16: prefill for F16 weights (K a multiple of 16) on f16 tensor cores,
// two mma per tile (hi and lo halves of x) into f32 accumulators.
KERNEL mm_f16(const u16* w, const u16* xh, const u16* xl, const float* inv, const float* bias,
              float* y, int T, int K, int N) {
	__shared__ __attribute__((aligned(16))) unsigned char bt[64 * BT_STRIDE];
	int g = lane() >> 2, c = lane() & 3;
	int n0 = bidx() * 64;
	int r0 = bidy() * 64 + warp() * 16 + g, r1 = r0 + 8;
	bool ok0 = r0 < T, ok1 = r1 < T;
	const u16* h0 = xh + (i64)r0 * K + c * 2;
	const u16* h1 = xh + (i64)r1 * K + c * 2;
	const u16* l0 = xl + (i64)r0 * K + c * 2;
	const u16* l1 = xl + (i64)r1 * K + c * 2;
	float acc[8][4];
#pragma unroll
	for (int j = 0; j < 8; j++) acc[j][0] = acc[j][1] = acc[j][2] = acc[j][3] = 0.0f;
	for (int k0 = 0; k0 < K; k0 += 16) {
		stage_b(bt, (const unsigned char*)w, (i64)K * 2, (i64)k0 * 2, n0, N);
		sync();
		int ha0 = ok0 ? *(const int*)(h0 + k0) : 0, ha1 = ok1 ? *(const int*)(h1 + k0) : 0;
		int ha2 = ok0 ? *(const int*)(h0 + k0 + 8) : 0, ha3 = ok1 ? *(const int*)(h1 + k0 + 8) : 0;
		int la0 = ok0 ? *(const int*)(l0 + k0) : 0, la1 = ok1 ? *(const int*)(l1 + k0) : 0;
		int la2 = ok0 ? *(const int*)(l0 + k0 + 8) : 0, la3 = ok1 ? *(const int*)(l1 + k0 + 8) : 0;
#pragma unroll
		for (int j = 0; j < 8; j++) {
			const unsigned char* br = bt + (j * 8 + g) * BT_STRIDE + c * 4;
			int b0 = *(const int*)br, b1 = *(const int*)(br + 16);
			// Tensor cores add into f32 with truncation, so each k-step
			// sums into fresh registers and the running total is kept by
			// round-to-nearest adds: the error stays per step, not per K.
			float d[4] = {0.0f, 0.0f, 0.0f, 0.0f};
			mma_f16(d, la0, la1, la2, la3, b0, b1);
			mma_f16(d, ha0, ha1, ha2, ha3, b0, b1);
			acc[j][0] += d[0];
			acc[j][1] += d[1];
			acc[j][2] += d[2];
			acc[j][3] += d[3];
		}
		sync();
	}
	float s0 = ok0 ? inv[r0] : 0.0f, s1 = ok1 ? inv[r1] : 0.0f;
	store_tile(acc, y, bias, r0, n0, T, N, s0, s1);
}

// mv_f: decode (T ≤ 8) for F32/F16/BF16 weights, one warp per output row.
template <int DT>
DEV void mv_f(const void* w, const float* x, const float* bias, float* y, int T, int K, int N) {
	int n = bidx() * (ntid() >> 5) + warp();
	if (n >= N) return;
	float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
	i64 base = (i64)n * K;
	for (int k = lane(); k < K; k += 32) {
		float wv = wval<DT>(w, base + k);
#pragma unroll
		for (int t = 0; t < 8; t++)
			if (t < T) acc[t] += wv * x[(i64)t * K + k];
	}
	float bv = bias ? bias[n] : 0.0f;
#pragma unroll
	for (int t = 0; t < 8; t++) {
		if (t < T) {
			float s = warp_sum(acc[t]);
			if (lane() == 0) y[(i64)t * N + n] = s + bv;
		}
	}
}
KERNEL mv_f32(const void* w, const float* x, const float* b, float* y, int T, int K, int N) { mv_f<DT_F32>(w, x, b, y, T, K, N); }
KERNEL mv_f16(const void* w, const float* x, const float* b, float* y, int T, int K, int N) { mv_f<DT_F16>(w, x, b, y, T, K, N); }
KERNEL mv_bf16(const void* w, const float* x, const float* b, float* y, int T, int K, int N) { mv_f<DT_BF16>(w, x, b, y, T, K, N); }

// mv_h8: mv_f for F16/BF16 weights with K a multiple of 8 and 16-byte
// aligned rows: each lane reads 8 weights (16 bytes) per step.
template <int DT>
DEV void mv_h8(const u16* w, const float* x, const float* bias, float* y, int T, int K, int N) {
	int n = bidx() * (ntid() >> 5) + warp();
	if (n >= N) return;
	float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
	const u16* wr = w + (i64)n * K;
	for (int k = lane() * 8; k < K; k += 256) {
		v4i p = *(const v4i*)(wr + k);
		float wv[8];
		u32 u[4] = {(u32)p.x, (u32)p.y, (u32)p.z, (u32)p.w};
#pragma unroll
		for (int i = 0; i < 4; i++) {
			if (DT == DT_F16) {
				wv[2 * i] = h2f((u16)(u[i] & 0xffff));
				wv[2 * i + 1] = h2f((u16)(u[i] >> 16));
			} else {
				wv[2 * i] = u2f(u[i] << 16);
				wv[2 * i + 1] = u2f(u[i] & 0xffff0000u);
			}
		}
#pragma unroll
		for (int t = 0; t < 8; t++) {
			if (t < T) {
				const float* xr = x + (i64)t * K + k;
				v4f x0 = *(const v4f*)xr, x1 = *(const v4f*)(xr + 4);
				acc[t] += wv[0] * x0.x + wv[1] * x0.y + wv[2] * x0.z + wv[3] * x0.w +
				          wv[4] * x1.x + wv[5] * x1.y + wv[6] * x1.z + wv[7] * x1.w;
			}
		}
	}
	float bv = bias ? bias[n] : 0.0f;
#pragma unroll
	for (int t = 0; t < 8; t++) {
		if (t < T) {
			float s = warp_sum(acc[t]);
			if (lane() == 0) y[(i64)t * N + n] = s + bv;
		}
	}
}
KERNEL mv_f16x8(const u16* w, const float* x, const float* b, float* y, int T, int K, int N) { mv_h8<DT_F16>(w, x, b, y, T, K, N); }
KERNEL mv_bf16x8(const u16* w, const float* x, const float* b, float* y, int T, int K, int N) { mv_h8<DT_BF16>(w, x, b, y, T, K, N); }

// mm_f: f32 tiled matmul for any shape and float weight dtype: 64×64
// output tiles, 256 threads of 4×4 outputs, k-steps of 16 through shared
// memory (weights widened to f32 on the way in).
template <int DT>
DEV void mm_f(const void* w, const float* x, const float* bias, float* y, int T, int K, int N) {
	__shared__ float xs[16][68];
	__shared__ float ws[16][68];
	int tx = tid() & 15, ty = tid() >> 4;
	int n0 = bidx() * 64, m0 = bidy() * 64;
	float acc[4][4];
#pragma unroll
	for (int i = 0; i < 4; i++) acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.0f;
	for (int k0 = 0; k0 < K; k0 += 16) {
#pragma unroll
		for (int i = 0; i < 4; i++) {
			int e = tid() + i * 256, r = e >> 4, c = e & 15, k = k0 + c;
			xs[c][r] = (m0 + r < T && k < K) ? x[(i64)(m0 + r) * K + k] : 0.0f;
			ws[c][r] = (n0 + r < N && k < K) ? wval<DT>(w, (i64)(n0 + r) * K + k) : 0.0f;
		}
		sync();
#pragma unroll
		for (int kk = 0; kk < 16; kk++) {
			float a[4], b[4];
#pragma unroll
			for (int i = 0; i < 4; i++) {
				a[i] = xs[kk][ty * 4 + i];
				b[i] = ws[kk][tx * 4 + i];
			}
#pragma unroll
			for (int i = 0; i < 4; i++)
#pragma unroll
				for (int j = 0; j < 4; j++) acc[i][j] += a[i] * b[j];
		}
		sync();
	}
#pragma unroll
	for (int i = 0; i < 4; i++) {
		int m = m0 + ty * 4 + i;
		if (m >= T) continue;
#pragma unroll
		for (int j = 0; j < 4; j++) {
			int n = n0 + tx * 4 + j;
			if (n < N) y[(i64)m * N + n] = acc[i][j] + (bias ? bias[n] : 0.0f);
		}
	}
}
KERNEL mm_f32(const void* w, const float* x, const float* b, float* y, int T, int K, int N) { mm_f<DT_F32>(w, x, b, y, T, K, N); }
KERNEL mm_f16w(const void* w, const float* x, const float* b, float* y, int T, int K, int N) { mm_f<DT_F16>(w, x, b, y, T, K, N); }
KERNEL mm_bf16(const void* w, const float* x, const float* b, float* y, int T, int K, int N) { mm_f<DT_BF16>(w, x, b, y, T, K, N); }
