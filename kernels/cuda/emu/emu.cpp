// emu.cpp: a stand-in for libcuda.so.1 that runs the kernels of src/ on
// the CPU, for testing the CUDA backend where there is no GPU. Device
// pointers are host pointers; streams are synchronous; one block runs at a
// time, its CUDA threads as coroutines (ucontext) on the calling thread that
// switch only at barriers, shuffles and mma. Build (see emu_test.go):
//   clang-14 -x c++ -std=c++17 -O1 -fPIC -shared -DLINGSHU_EMU
//       emu/emu.cpp -o libcudaemu.so -lstdc++
#include "../src/kernels.cu"

#include <setjmp.h>
#include <ucontext.h>
#include <stdlib.h>
#include <string.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

EmuThread emu_t;

namespace {

// One block's coroutines and the state of its barriers.
struct Coro {
	ucontext_t ctx;  // first entry
	jmp_buf jb;      // later resumptions
	EmuThread t;
	bool started, done;
};
struct BlockState {
	ucontext_t sched;
	jmp_buf schedJb;
	std::vector<Coro> th;
	std::vector<char> stacks;
	int cur, live;
	int arrived, gen;              // block barrier
	int warpArrived[32], warpGen[32];
	float wf[32][32];
	int wi[32][32];
	int ma[32][32][4], mb[32][32][2];
	std::function<void(void**)>* fn;
	void** params;
} st;
const size_t stackSize = 256 << 10;

// yield returns to the scheduler. Switches use _setjmp/_longjmp (no
// signal-mask system calls); ucontext only starts each coroutine.
void yield() {
	if (!_setjmp(st.th[st.cur].jb)) _longjmp(st.schedJb, 1);
}

void warpSync(int w) {
	int g = st.warpGen[w];
	if (++st.warpArrived[w] == 32) {
		st.warpArrived[w] = 0;
		st.warpGen[w]++;
		return;
	}
	while (st.warpGen[w] == g) yield();
}

template <class... A, size_t... I>
void callKernel(void (*f)(A...), void** p, std::index_sequence<I...>) {
	f(*(A*)p[I]...);
}
template <class... A>
std::function<void(void**)> wrap(void (*f)(A...)) {
	return [f](void** p) { callKernel(f, p, std::index_sequence_for<A...>{}); };
}

struct Entry {
	std::string name;
	std::function<void(void**)> call;
};
#define K(n) Entry{#n, wrap(n)}
std::vector<Entry> table = {
	K(quantize_q8), K(mv_q8), K(mm_q8), K(split_f16), K(mm_f16), K(mv_f32), K(mv_f16), K(mv_bf16),
	K(mv_f16x8), K(mv_bf16x8), K(mm_f32), K(mm_f16w), K(mm_bf16), K(rmsnorm), K(rope), K(embed_f32),
	K(embed_f16), K(embed_bf16), K(embed_q8), K(add_f32), K(swiglu), K(gelu), K(softmax), K(argmax),
	K(attention),
};

void coroMain(int i) {
	(*st.fn)(st.params);
	st.th[i].done = true;
	st.live--;
	_longjmp(st.schedJb, 1);
}

// runBlock runs every thread of one block to completion.
void runBlock(int n, int bx, int by, int gx) {
	if (st.stacks.size() < n * stackSize) st.stacks.resize(n * stackSize);
	st.th.assign(n, Coro{});
	st.live = n;
	st.arrived = 0;
	for (int w = 0; w < 32; w++) st.warpArrived[w] = 0;
	for (int i = 0; i < n; i++) {
		Coro& c = st.th[i];
		c.t = EmuThread{i, n, bx, by, gx};
		getcontext(&c.ctx);
		c.ctx.uc_stack.ss_sp = &st.stacks[i * stackSize];
		c.ctx.uc_stack.ss_size = stackSize;
		c.ctx.uc_link = &st.sched;
		makecontext(&c.ctx, (void (*)())coroMain, 1, i);
	}
	while (st.live > 0)
		for (int i = 0; i < n; i++) {
			if (st.th[i].done) continue;
			st.cur = i;
			emu_t = st.th[i].t;
			if (_setjmp(st.schedJb)) continue;
			if (!st.th[i].started) {
				st.th[i].started = true;
				swapcontext(&st.sched, &st.th[i].ctx);
			} else {
				_longjmp(st.th[i].jb, 1);
			}
		}
}

// Fragment element readers for the layouts matmul.cuh uses.
int s8Of(int reg, int byte) { return (int)(signed char)(reg >> (8 * byte)); }
float f16Of(int reg, int half) { return h2f((u16)((u32)reg >> (16 * half))); }

}  // namespace

void emu_sync() {
	int g = st.gen;
	if (++st.arrived == emu_t.ntid) {
		st.arrived = 0;
		st.gen++;
		return;
	}
	while (st.gen == g) yield();
}

float emu_shfl_f(float v, int o) {
	int w = warp(), l = lane();
	st.wf[w][l] = v;
	warpSync(w);
	float r = st.wf[w][l ^ o];
	warpSync(w);
	return r;
}

int emu_shfl_i(int v, int o) {
	int w = warp(), l = lane();
	st.wi[w][l] = v;
	warpSync(w);
	int r = st.wi[w][l ^ o];
	warpSync(w);
	return r;
}

// m16n8k32 s8: A(row, k) is in lane (row%8)*4 + (k%16)/4, register
// (row ≥ 8) + 2·(k ≥ 16), byte k%4; B(k, col) in lane col*4 + (k%16)/4,
// register (k ≥ 16), byte k%4; D(row, col) in lane (row%8)*4 + col/2,
// register 2·(row ≥ 8) + col%2.
void emu_mma_s8(int* d, const int a[4], const int b[2]) {
	int w = warp(), l = lane();
	memcpy(st.ma[w][l], a, sizeof st.ma[w][l]);
	memcpy(st.mb[w][l], b, sizeof st.mb[w][l]);
	warpSync(w);
	int g = l >> 2, c = l & 3;
	for (int r = 0; r < 4; r++) {
		int row = g + 8 * (r >> 1), col = 2 * c + (r & 1);
		int s = 0;
		for (int k = 0; k < 32; k++) {
			int av = s8Of(st.ma[w][(row & 7) * 4 + ((k & 15) >> 2)][(row >= 8) + 2 * (k >= 16)], k & 3);
			int bv = s8Of(st.mb[w][col * 4 + ((k & 15) >> 2)][k >= 16], k & 3);
			s += av * bv;
		}
		d[r] += s;
	}
	warpSync(w);
}

// m16n8k16 f16: A(row, k) in lane (row%8)*4 + (k%8)/2, register
// (row ≥ 8) + 2·(k ≥ 8), half k%2; B(k, col) in lane col*4 + (k%8)/2,
// register (k ≥ 8), half k%2; D as for s8.
void emu_mma_f16(float* d, const int a[4], const int b[2]) {
	int w = warp(), l = lane();
	memcpy(st.ma[w][l], a, sizeof st.ma[w][l]);
	memcpy(st.mb[w][l], b, sizeof st.mb[w][l]);
	warpSync(w);
	int g = l >> 2, c = l & 3;
	for (int r = 0; r < 4; r++) {
		int row = g + 8 * (r >> 1), col = 2 * c + (r & 1);
		float s = 0;
		for (int k = 0; k < 16; k++) {
			float av = f16Of(st.ma[w][(row & 7) * 4 + ((k & 7) >> 1)][(row >= 8) + 2 * (k >= 8)], k & 1);
			float bv = f16Of(st.mb[w][col * 4 + ((k & 7) >> 1)][k >= 8], k & 1);
			s += av * bv;
		}
		d[r] += s;
	}
	warpSync(w);
}

// The driver API subset kernels/cuda binds (cuda.h signatures).
typedef int CUresult;
typedef unsigned long long CUdeviceptr;

extern "C" {
CUresult cuInit(unsigned) { return 0; }
CUresult cuDriverGetVersion(int* v) { *v = 12000; return 0; }
CUresult cuDeviceGetCount(int* n) { *n = 1; return 0; }
CUresult cuDeviceGet(int* d, int i) { if (i != 0) return 101; *d = 0; return 0; }
CUresult cuDeviceGetName(char* s, int n, int) { strncpy(s, "Lingshu CPU emulator", n); return 0; }
CUresult cuDeviceTotalMem_v2(size_t* b, int) { *b = (size_t)8 << 30; return 0; }
CUresult cuDeviceGetAttribute(int* v, int attr, int) {
	*v = attr == 75 ? 8 : attr == 16 ? 1 : 0;
	return 0;
}
CUresult cuCtxCreate_v2(void** c, unsigned, int) { *c = (void*)1; return 0; }
CUresult cuCtxDestroy_v2(void*) { return 0; }
CUresult cuCtxSetCurrent(void*) { return 0; }
CUresult cuMemGetInfo_v2(size_t* f, size_t* t) { *f = *t = (size_t)8 << 30; return 0; }
CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t n) {
	void* m = aligned_alloc(256, (n + 255) / 256 * 256);
	if (!m) return 2;
	*p = (CUdeviceptr)m;
	return 0;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free((void*)p); return 0; }
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void* s, size_t n, void*) { memcpy((void*)d, s, n); return 0; }
CUresult cuMemcpyDtoHAsync_v2(void* d, CUdeviceptr s, size_t n, void*) { memcpy(d, (void*)s, n); return 0; }
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, void*) { memmove((void*)d, (void*)s, n); return 0; }
CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, void*) { memset((void*)d, v, n); return 0; }
CUresult cuModuleLoadDataEx(void** m, const void*, unsigned, void*, void**) { *m = (void*)1; return 0; }
CUresult cuModuleUnload(void*) { return 0; }
CUresult cuModuleGetFunction(void** f, void*, const char* name) {
	for (size_t i = 0; i < table.size(); i++)
		if (table[i].name == name) {
			*f = (void*)(i + 1);
			return 0;
		}
	return 500;
}
CUresult cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned, void*, void** params, void**) {
	size_t k = (size_t)f;
	if (k == 0 || k > table.size() || gz != 1 || by != 1 || bz != 1 || bx == 0 || bx > 1024 || bx % 32) return 1;
	st.fn = &table[k - 1].call;
	st.params = params;
	for (unsigned y = 0; y < gy; y++)
		for (unsigned x = 0; x < gx; x++) runBlock((int)bx, (int)x, (int)y, (int)gx);
	return 0;
}
CUresult cuStreamCreate(void** s, unsigned) { *s = (void*)1; return 0; }
CUresult cuStreamDestroy_v2(void*) { return 0; }
CUresult cuStreamSynchronize(void*) { return 0; }
CUresult cuEventCreate(void** e, unsigned) { *e = (void*)1; return 0; }
CUresult cuEventRecord(void*, void*) { return 0; }
CUresult cuEventSynchronize(void*) { return 0; }
CUresult cuEventElapsedTime(float* ms, void*, void*) { *ms = 0; return 0; }
CUresult cuEventDestroy_v2(void*) { return 0; }
}
