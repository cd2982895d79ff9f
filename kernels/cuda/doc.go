// Package cuda is the NVIDIA GPU kernels.Backend ("cuda", "cuda:N").
//
// # Driver
//
// The driver library (libcuda.so.1 on Linux, nvcuda.dll on Windows) is
// loaded at run time with github.com/ebitengine/purego: no cgo, so the
// package builds everywhere (CGO_ENABLED=0, GOOS=windows) and a machine
// without the driver gets an error wrapping kernels.ErrUnavailable. Every
// entry point is a func field of Driver (tests substitute fakes), and every
// failed call becomes a *CallError naming the call and its CUresult
// ("cuda: cuMemAlloc_v2: CUDA_ERROR_OUT_OF_MEMORY"). Open checks the device
// (sm_80 or newer) and, given Options.MinFreeBytes, the free memory,
// failing with ErrOutOfMemory and a message giving both figures.
//
// One context and one stream per Backend; ops queue on the stream and
// Download, TopK and Sync wait. Uploaded weights get their own
// allocations (Q8_0 split into int8 values and f16 scales, 1-D F16/BF16
// also as f32); Alloc'd activations and KV caches come from an arena of
// 64 MiB chunks. I32 tensors keep a host copy: RoPE builds its cos/sin
// table on the host in float64 from it (as the CPU backend does) and
// Embedding checks ids against the vocab before launching.
//
// # Kernels
//
// CUDA C in src/, compiled by Debian's clang-14 to PTX 7.0 for sm_80
// (gen.sh: `go generate ./kernels/cuda`), committed as kernels.ptx and
// embedded. No CUDA toolkit: the CUDA keywords and intrinsics are defined
// by hand in src/common.cuh (__nvvm_* builtins, inline PTX). MatMul uses
// warp-per-row matrix-vector kernels for T ≤ 8 rows (dp4a on int8-quantized
// activations for Q8_0) and 64×64 tiles for prefill: int8 mma.sync
// m16n8k32 for Q8_0 (one Q8_0 block per k-step), f16 mma.sync m16n8k16 for
// F16 with the activations split into hi+lo halves (f32-level accuracy),
// and an f32 tiled kernel for BF16/F32 and odd shapes. Attention streams
// keys with an online softmax, four warps per (query, head), causal or
// not (block-diagonal and window masks are the caller's row segments).
//
// # Checks
//
//	go test ./kernels/cuda             # fake driver: loader errors, memory, kernel choice, PTX lint
//	sh kernels/cuda/checkptx.sh        # PTX regenerated from src/ equals kernels.ptx
//	sh kernels/cuda/emucheck.sh        # conformance suite + golden tiny Qwen2 with the kernels run on the CPU (emu/)
//
// On a machine with an NVIDIA GPU (sm_80+), in one run:
//
//	sh kernels/cuda/devcheck.sh build devcheck.test        # here: cgo-free test binary + golden data
//	sh devcheck.test/devcheck.sh run devcheck.test         # there: no Go needed
//
// The run phase runs the conformance suite (kernels/kerneltest) on the GPU
// against the CPU reference, larger shapes, the qwen2-tiny golden model
// (logits within 1e-3 of llama.cpp, greedy ids), then times a 7B-shaped
// Q8_0 decoder (Lingshu-7B: hidden 3584, 28 layers, 28/4 heads,
// intermediate 18944, vocab 152064; random weights built in device
// memory) for decode and prefill tokens/s, the fraction of the memory
// roofline (bytes read per token × tokens/s ÷ measured device-to-device
// copy bandwidth) and a large F16/Q8_0/BF16 matmul. Environment knobs are
// listed in devcheck.sh; the tests alone are `go test -run '^TestGPU_'
// ./kernels/cuda` (skipped without a device; LINGSHU_CUDA_REQUIRE=1 makes
// that a failure, LINGSHU_CUDA_BENCH=1 enables the benchmark).
package cuda
