//go:build (linux || windows) && (amd64 || arm64)

package cuda

import (
	"unsafe"

	"github.com/ebitengine/purego"
)

// syscallLaunch calls cuLaunchKernel at addr through purego.SyscallN: the
// per-token hot path (hundreds of launches per decoded token) skips the
// reflection of a RegisterFunc-made function. launch keeps params and the
// values they point to alive across the call.
func syscallLaunch(addr uintptr) func(f uintptr, gx, gy, gz, bx, by, bz, shared uint32, s uintptr, params, extra unsafe.Pointer) Result {
	return func(f uintptr, gx, gy, gz, bx, by, bz, shared uint32, s uintptr, params, extra unsafe.Pointer) Result {
		r, _, _ := purego.SyscallN(addr, f, uintptr(gx), uintptr(gy), uintptr(gz), uintptr(bx), uintptr(by), uintptr(bz),
			uintptr(shared), s, uintptr(params), uintptr(extra))
		return Result(int32(r))
	}
}
