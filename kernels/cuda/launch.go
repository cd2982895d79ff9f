package cuda

import (
	"fmt"
	"math"
	"runtime"
	"unsafe"
)

// dim3 is a grid or block size.
type dim3 [3]uint32

func grid1(x int) dim3    { return dim3{uint32(x), 1, 1} }
func grid2(x, y int) dim3 { return dim3{uint32(x), uint32(y), 1} }

// launch queues kernel name on the stream. Arguments are device pointers
// (uint64), int (passed as a 32-bit int) and float32, in the kernel's
// parameter order; each gets an 8-byte slot, and the kernel reads the
// low 4 bytes of 32-bit ones (the host is little-endian).
func (b *Backend) launch(name string, grid, block dim3, args ...any) error {
	f, ok := b.fn[name]
	if !ok {
		return fmt.Errorf("cuda: kernel %s not loaded", name)
	}
	sig := kernelSigs[name]
	if len(sig) != len(args) {
		return fmt.Errorf("cuda: %s: %d arguments, kernel takes %d", name, len(args), len(sig))
	}
	vals := make([]uint64, len(args))
	ptrs := make([]unsafe.Pointer, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case uint64:
			if sig[i] != 'p' {
				return fmt.Errorf("cuda: %s: argument %d is a pointer, kernel wants %c", name, i, sig[i])
			}
			vals[i] = v
		case int:
			if sig[i] != 'i' {
				return fmt.Errorf("cuda: %s: argument %d is an int, kernel wants %c", name, i, sig[i])
			}
			if v < math.MinInt32 || v > math.MaxInt32 {
				return fmt.Errorf("cuda: %s: argument %d = %d overflows int32", name, i, v)
			}
			vals[i] = uint64(uint32(int32(v)))
		case float32:
			if sig[i] != 'f' {
				return fmt.Errorf("cuda: %s: argument %d is a float, kernel wants %c", name, i, sig[i])
			}
			vals[i] = uint64(math.Float32bits(v))
		default:
			return fmt.Errorf("cuda: %s: argument %d has type %T", name, i, a)
		}
		ptrs[i] = unsafe.Pointer(&vals[i])
	}
	for _, g := range grid {
		if g == 0 {
			return nil // nothing to do
		}
	}
	var params unsafe.Pointer
	if len(ptrs) > 0 {
		params = unsafe.Pointer(&ptrs[0])
	}
	r := b.drv.LaunchKernel(f, grid[0], grid[1], grid[2], block[0], block[1], block[2], 0, b.stream, params, nil)
	runtime.KeepAlive(vals)
	runtime.KeepAlive(ptrs)
	return check("cuLaunchKernel "+name, r)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
