/* A stand-in for libcuda.so.1 with two devices, built by
   TestProbeGPU_FakeDriver to exercise the purego binding end to end. */
#include <stddef.h>
#include <string.h>

static int inited;
int cuInit(unsigned int flags) { if (flags != 0) return 1; inited = 1; return 0; }
int cuDriverGetVersion(int *v) { *v = 12080; return 0; }
int cuDeviceGetCount(int *n) { if (!inited) return 3; *n = 2; return 0; }
int cuDeviceGet(int *d, int ordinal) { if (ordinal < 0 || ordinal > 1) return 101; *d = ordinal; return 0; }
int cuDeviceGetName(char *name, int len, int dev) {
	const char *s = dev == 0 ? "Fake H200" : "Fake L4";
	strncpy(name, s, (size_t)len);
	return 0;
}
int cuDeviceGetAttribute(int *v, int attr, int dev) {
	if (attr == 75) { *v = dev == 0 ? 9 : 8; return 0; }
	if (attr == 76) { *v = dev == 0 ? 0 : 9; return 0; }
	return 1;
}
int cuDeviceTotalMem_v2(size_t *bytes, int dev) { *bytes = (size_t)(dev + 1) << 34; return 0; }
static int current = -1;
int cuDevicePrimaryCtxRetain(void **ctx, int dev) { *ctx = (void *)(size_t)(dev + 100); return 0; }
int cuDevicePrimaryCtxRelease_v2(int dev) { (void)dev; return 0; }
int cuCtxSetCurrent(void *ctx) { current = (int)(size_t)ctx; return 0; }
int cuMemGetInfo_v2(size_t *free, size_t *total) {
	if (current < 100) return 201; /* CUDA_ERROR_INVALID_CONTEXT */
	*free = (size_t)(current - 99) << 30; *total = 0; return 0;
}
