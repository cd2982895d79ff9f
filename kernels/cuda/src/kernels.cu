// kernels.cu: the one translation unit compiled to kernels.ptx by gen.sh.
#include "matmul.cuh"
#include "ops.cuh"
