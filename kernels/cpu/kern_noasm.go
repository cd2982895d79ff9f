//go:build noasm || !(amd64 || arm64)

package cpu

// selectKernels returns the pure-Go kernels: there is no assembly for this
// architecture, or the build asked for none (-tags noasm).
func selectKernels() *kernelSet { return genericKernels() }

// kernelSets lists the kernel sets this build runs: the generic one.
func kernelSets() []*kernelSet { return []*kernelSet{genericKernels()} }
