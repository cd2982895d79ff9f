// ops.cuh: row-wise and elementwise kernels (norms, RoPE, activations,
// softmax, gather, argmax) and attention.
#pragma once
#include "common.cuh"

// rmsnorm: one block per row; dst may alias x.
KERNEL rmsnorm(const float* x, const float* w, float* dst, int n, float eps) {
	__shared__ float red[32];
	const float* xr = x + (i64)bidx() * n;
	float* dr = dst + (i64)bidx() * n;
	float s = 0.0f;
	for (int i = tid(); i < n; i += ntid()) s += xr[i] * xr[i];
	s = block_sum(s, red);
	float sc = 1.0f / sqrt_rn(s / (float)n + eps);
	for (int i = tid(); i < n; i += ntid()) dr[i] = xr[i] * sc * w[i];
}

// rope: x (T, cols) in place; cs holds (cos, sin) per row and pair, worked
// out on the host in float64 from the position ids (as the CPU does).
KERNEL rope(float* x, const float* cs, int heads, int headDim, int half, int cols) {
	int t = bidx();
	float* row = x + (i64)t * cols;
	const float* c = cs + (i64)t * half * 2;
	for (int e = tid(); e < heads * half; e += ntid()) {
		int h = e / half, i = e - h * half;
		float* v = row + h * headDim;
		float co = c[2 * i], si = c[2 * i + 1];
		float a = v[i], b = v[i + half];
		v[i] = a * co - b * si;
		v[i + half] = b * co + a * si;
	}
}

// Embedding gathers: one block per id.
template <int DT>
DEV void embed(const void* tab, const int* ids, float* dst, int dim) {
	int t = bidx();
	i64 base = (i64)ids[t] * dim;
	for (int c = tid(); c < dim; c += ntid()) dst[(i64)t * dim + c] = wval<DT>(tab, base + c);
}
KERNEL embed_f32(const void* tab, const int* ids, float* dst, int dim) { embed<DT_F32>(tab, ids, dst, dim); }
KERNEL embed_f16(const void* tab, const int* ids, float* dst, int dim) { embed<DT_F16>(tab, ids, dst, dim); }
KERNEL embed_bf16(const void* tab, const int* ids, float* dst, int dim) { embed<DT_BF16>(tab, ids, dst, dim); }
KERNEL embed_q8(const i8* q, const u16* d, const int* ids, float* dst, int dim) {
	int t = bidx();
	i64 base = (i64)ids[t] * dim;
	for (int c = tid(); c < dim; c += ntid())
		dst[(i64)t * dim + c] = h2f(d[(base + c) >> 5]) * (float)q[base + c];
}

// Elementwise ops over n values, grid-stride.
#define ELEMENTWISE for (int i = bidx() * ntid() + tid(); i < n; i += nbx() * ntid())
KERNEL add_f32(float* d, const float* a, const float* b, int n) {
	ELEMENTWISE d[i] = a[i] + b[i];
}
KERNEL swiglu(float* d, const float* g, const float* u, int n) {
	ELEMENTWISE {
		float gv = g[i];
		d[i] = gv / (1.0f + expf_(-gv)) * u[i];
	}
}
KERNEL gelu(float* d, const float* x, int n) {
	ELEMENTWISE {
		float v = x[i];
		d[i] = 0.5f * v * (1.0f + erff_(v * 0.70710678118654752f));
	}
}

// softmax: one block per row; dst may alias x.
KERNEL softmax(const float* x, float* dst, int n) {
	__shared__ float red[32];
	const float* xr = x + (i64)bidx() * n;
	float* dr = dst + (i64)bidx() * n;
	float m = -__builtin_inff();
	for (int i = tid(); i < n; i += ntid()) m = __builtin_fmaxf(m, xr[i]);
	m = block_max(m, red);
	float s = 0.0f;
	for (int i = tid(); i < n; i += ntid()) s += expf_(xr[i] - m);
	s = block_sum(s, red);
	float inv = 1.0f / s;
	for (int i = tid(); i < n; i += ntid()) dr[i] = expf_(xr[i] - m) * inv;
}

// better reports whether (v, i) ranks before (bv, bi): larger value, lower
// index on ties; bi < 0 is empty. NaN never ranks.
DEV bool better(float v, int i, float bv, int bi) {
	if (i < 0 || v != v) return false;
	return bi < 0 || v > bv || (v == bv && i < bi);
}

// argmax: one block over one row of n values → out[0] = index (-1 when
// every value is NaN), out[1] = the value's bits.
KERNEL argmax(const float* x, int n, int* out) {
	__shared__ float sv[32];
	__shared__ int si[32];
	float bv = 0.0f;
	int bi = -1;
	for (int i = tid(); i < n; i += ntid())
		if (better(x[i], i, bv, bi)) bv = x[i], bi = i;
	for (int o = 16; o > 0; o >>= 1) {
		float ov = shfl_f(bv, o);
		int oi = shfl_i(bi, o);
		if (better(ov, oi, bv, bi)) bv = ov, bi = oi;
	}
	if (lane() == 0) sv[warp()] = bv, si[warp()] = bi;
	sync();
	if (warp() == 0) {
		int nw = (ntid() + 31) >> 5;
		bv = lane() < nw ? sv[lane()] : 0.0f;
		bi = lane() < nw ? si[lane()] : -1;
		for (int o = 16; o > 0; o >>= 1) {
			float ov = shfl_f(bv, o);
			int oi = shfl_i(bi, o);
			if (better(ov, oi, bv, bi)) bv = ov, bi = oi;
		}
		if (lane() == 0) out[0] = bi, out[1] = (int)f2u(bv);
	}
}

// attention: one block of 4 warps per (query row, head), grid (T, heads).
// Each warp streams every 4th visible key with an online softmax (running
// max m, sum l, output acc; one key per step, the dot product split over
// the lanes), then the warps' partial states are merged. head_dim ≤ 256.
KERNEL attention(const float* q, const float* k, const float* v, float* dst, int T, int heads,
                 int kvHeads, int D, int start, int causal, float scale, int qw, int kw) {
	__shared__ float sm[4], sl[4];
	__shared__ float sacc[4][256];
	int t = bidx(), h = bidy();
	int grp = h / (heads / kvHeads);
	int n = causal ? start + t + 1 : start + T;
	const float* qr = q + (i64)t * qw + h * D;
	float qv[8], acc[8];
#pragma unroll
	for (int c = 0; c < 8; c++) {
		int i = lane() + 32 * c;
		qv[c] = i < D ? qr[i] : 0.0f;
		acc[c] = 0.0f;
	}
	float m = -__builtin_inff(), l = 0.0f;
	for (int j = warp(); j < n; j += 4) {
		const float* kr = k + (i64)j * kw + grp * D;
		float s = 0.0f;
#pragma unroll
		for (int c = 0; c < 8; c++) {
			int i = lane() + 32 * c;
			if (i < D) s += qv[c] * kr[i];
		}
		s = warp_sum(s) * scale;
		float mn = __builtin_fmaxf(m, s);
		float corr = m == -__builtin_inff() ? 0.0f : expf_(m - mn);
		float p = expf_(s - mn);
		l = l * corr + p;
		const float* vr = v + (i64)j * kw + grp * D;
#pragma unroll
		for (int c = 0; c < 8; c++) {
			int i = lane() + 32 * c;
			if (i < D) acc[c] = acc[c] * corr + p * vr[i];
		}
		m = mn;
	}
	if (lane() == 0) sm[warp()] = m, sl[warp()] = l;
#pragma unroll
	for (int c = 0; c < 8; c++) {
		int i = lane() + 32 * c;
		if (i < D) sacc[warp()][i] = acc[c];
	}
	sync();
	float M = __builtin_fmaxf(__builtin_fmaxf(sm[0], sm[1]), __builtin_fmaxf(sm[2], sm[3]));
	float f[4], L = 0.0f;
#pragma unroll
	for (int w = 0; w < 4; w++) {
		f[w] = sm[w] == -__builtin_inff() ? 0.0f : expf_(sm[w] - M);
		L += sl[w] * f[w];
	}
	float invL = 1.0f / L;
	float* out = dst + (i64)t * qw + h * D;
	for (int i = tid(); i < D; i += ntid())
		out[i] = (sacc[0][i] * f[0] + sacc[1][i] * f[1] + sacc[2][i] * f[2] + sacc[3][i] * f[3]) * invL;
}
