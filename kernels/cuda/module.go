package cuda

import (
	_ "embed"
	"fmt"
	"runtime"
	"unsafe"
)

//go:generate sh gen.sh

// ptx is kernels.ptx, generated from src/ by gen.sh (clang-14, sm_80).
//
//go:embed kernels.ptx
var ptx string

// kernelSigs gives every entry point of kernels.ptx the backend loads and
// its parameters: p a device pointer (.u64), i an int (.u32), f a float
// (.f32). launch checks its arguments against it, and a test checks it
// against the PTX, so a Go call and its kernel cannot disagree silently.
var kernelSigs = map[string]string{
	"quantize_q8": "pppi", "mv_q8": "ppppppiii", "mm_q8": "ppppppiii",
	"split_f16": "ppppi", "mm_f16": "ppppppiii",
	"mv_f32": "ppppiii", "mv_f16": "ppppiii", "mv_bf16": "ppppiii", "mv_f16x8": "ppppiii", "mv_bf16x8": "ppppiii",
	"mm_f32": "ppppiii", "mm_f16w": "ppppiii", "mm_bf16": "ppppiii",
	"rmsnorm": "pppif", "rope": "ppiiii",
	"embed_f32": "pppi", "embed_f16": "pppi", "embed_bf16": "pppi", "embed_q8": "ppppi",
	"add_f32": "pppi", "swiglu": "pppi", "gelu": "ppi", "softmax": "ppi", "argmax": "pip",
	"attention": "ppppiiiiiifii",
}

// JIT options of cuModuleLoadDataEx (CUjit_option).
const (
	jitInfoLogBuffer       = 3
	jitInfoLogBufferBytes  = 4
	jitErrorLogBuffer      = 5
	jitErrorLogBufferBytes = 6
)

// loadModule JIT-compiles the PTX for the current context's device and
// looks up every kernel. A ptxas failure carries the driver's error log.
func (b *Backend) loadModule() error {
	image := append([]byte(ptx), 0)
	logBuf := make([]byte, 8192)
	opts := []int32{jitErrorLogBuffer, jitErrorLogBufferBytes}
	vals := []uintptr{uintptr(unsafe.Pointer(&logBuf[0])), uintptr(len(logBuf))}
	r := b.drv.ModuleLoadDataEx(&b.module, unsafe.Pointer(&image[0]), uint32(len(opts)), &opts[0], &vals[0])
	runtime.KeepAlive(logBuf)
	if err := check("cuModuleLoadDataEx", r); err != nil {
		msg := cString(logBuf)
		if msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	b.fn = make(map[string]uintptr, len(kernelSigs))
	for name := range kernelSigs {
		var f uintptr
		cname := append([]byte(name), 0)
		if err := check("cuModuleGetFunction "+name, b.drv.ModuleGetFunction(&f, b.module, &cname[0])); err != nil {
			return err
		}
		b.fn[name] = f
	}
	return nil
}

// cString is the text before the first NUL.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
