//go:build !noasm

#include "textflag.h"

// Q8_0 kernels on the pair layout of q8.go (decode): activation
// quantization and rows of GGUF blocks times one quantized row, for
// AVX-512 VNNI and for AVX2. The Go loop each computes is the doc comment of
// its stub in kern_amd64.go and its *Generic twin in kern_generic.go.

// QBLOCK quantizes 32 floats at xo(SI) into block slot oo of a pair at DI:
// quants at oo(DI), correction lanes at oo+64(DI), scale ×8 at oo+128(DI).
// Z30 = 0x7fffffff ×16, Y29 = 0x80 ×32, X14 = 127.0, X13 = 1.0, Y12 = 0.
#define QBLOCK(xo, oo) \
	VMOVUPS xo(SI), Z0 \
	VMOVUPS xo+64(SI), Z1 \
	VPANDD Z30, Z0, Z2 \
	VPANDD Z30, Z1, Z3 \
	VMAXPS Z3, Z2, Z2 \
	VEXTRACTF64X4 $1, Z2, Y3 \
	VMAXPS Y3, Y2, Y2 \
	VEXTRACTF128 $1, Y2, X3 \
	VMAXPS X3, X2, X2 \
	VPERMILPS $0x4e, X2, X3 \
	VMAXPS X3, X2, X2 \
	VPERMILPS $0xb1, X2, X3 \
	VMAXPS X3, X2, X2 \
	VDIVSS X14, X2, X4 \
	VXORPS X6, X6, X6 \
	VUCOMISS X6, X4 \
	JEQ 2(PC) \
	VDIVSS X4, X13, X6 \
	VBROADCASTSS X6, Z6 \
	VMULPS Z6, Z0, Z0 \
	VMULPS Z6, Z1, Z1 \
	VCVTPS2DQ Z0, Z0 \
	VCVTPS2DQ Z1, Z1 \
	VPMOVSDB Z0, X0 \
	VPMOVSDB Z1, X1 \
	VINSERTI128 $1, X1, Y0, Y0 \
	VMOVDQU Y0, oo(DI) \
	VPXOR Y7, Y7, Y7 \
	VPDPBUSD Y0, Y29, Y7 \
	VPSUBD Y7, Y12, Y7 \
	VMOVDQU Y7, oo+64(DI) \
	VBROADCASTSS X4, Y4 \
	VMOVUPS Y4, oo+128(DI)

// func quantQ8AVX512(dst *byte, x *float32, nb int)
TEXT ·quantQ8AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ nb+16(FP), CX
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z30
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Z29
	MOVL $0x42fe0000, AX // 127.0
	VMOVD AX, X14
	MOVL $0x3f800000, AX // 1.0
	VMOVD AX, X13
	VPXOR Y12, Y12, Y12
quant_pair:
	CMPQ CX, $2
	JLT quant_tail
	QBLOCK(0, 0)
	QBLOCK(128, 32)
	ADDQ $256, SI
	ADDQ $192, DI
	SUBQ $2, CX
	JMP quant_pair
quant_tail:
	TESTQ CX, CX
	JEQ quant_done
	QBLOCK(0, 0)
quant_done:
	VZEROUPPER
	RET

// func q8RowsVNNI(dst *float32, w *byte, a *byte, n, nb int)
TEXT ·q8RowsVNNI(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DX
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), R8
	MOVQ n+24(FP), R9
	MOVQ nb+32(FP), R10
	MOVL $0x80808080, AX
	VPBROADCASTD AX, Z31
rows_row:
	TESTQ R9, R9
	JEQ rows_done
	MOVQ R8, DI
	MOVQ R10, CX
	SHRQ $1, CX
	VPXORD Z4, Z4, Z4
	TESTQ CX, CX
	JEQ rows_tail
rows_pair:
	VMOVDQU 2(SI), Y0
	VINSERTI64X4 $1, 36(SI), Z0, Z0
	VPXORD Z31, Z0, Z0
	VMOVDQU32 64(DI), Z1
	VPDPBUSD (DI), Z0, Z1
	VPBROADCASTW (SI), X2
	VPBROADCASTW 34(SI), X3
	VINSERTI128 $1, X3, Y2, Y2
	VCVTPH2PS Y2, Z2
	VMULPS 128(DI), Z2, Z2
	VCVTDQ2PS Z1, Z1
	VFMADD231PS Z2, Z1, Z4
	ADDQ $68, SI
	ADDQ $192, DI
	DECQ CX
	JNZ rows_pair
rows_tail:
	VEXTRACTF64X4 $1, Z4, Y6
	VADDPS Y6, Y4, Y4
	TESTQ $1, R10
	JEQ rows_reduce
	VMOVDQU 2(SI), Y0
	VPXORD Y31, Y0, Y0
	VMOVDQU 64(DI), Y1
	VPDPBUSD (DI), Y0, Y1
	VPBROADCASTW (SI), X2
	VCVTPH2PS X2, Y2
	VMULPS 128(DI), Y2, Y2
	VCVTDQ2PS Y1, Y1
	VFMADD231PS Y2, Y1, Y4
	ADDQ $34, SI
rows_reduce:
	VEXTRACTF128 $1, Y4, X6
	VADDPS X6, X4, X4
	VHADDPS X4, X4, X4
	VHADDPS X4, X4, X4
	VMOVSS X4, (DX)
	ADDQ $4, DX
	DECQ R9
	JMP rows_row
rows_done:
	VZEROUPPER
	RET

// Q8_0 kernels for AVX2 without VNNI: int8 products through VPMADDUBSW with
// the sign trick (|x| as u8, w with x's sign as s8), pairs summed by
// VPMADDWD. GGUF quants must lie in [-127, 127] (ggml's quantizer and
// ours never write -128).

DATA q8perm<>+0(SB)/4, $0
DATA q8perm<>+4(SB)/4, $4
DATA q8perm<>+8(SB)/4, $1
DATA q8perm<>+12(SB)/4, $5
DATA q8perm<>+16(SB)/4, $2
DATA q8perm<>+20(SB)/4, $6
DATA q8perm<>+24(SB)/4, $3
DATA q8perm<>+28(SB)/4, $7
GLOBL q8perm<>(SB), RODATA|NOPTR, $32

// QBLOCK2 is QBLOCK with AVX2 only. Y15 = 0x7fffffff, X14 = 127.0,
// Y13 = q8perm, Y12 = 0x01 bytes, Y11 = 0x0001 words, Y10 = 0, X9 = 1.0.
#define QBLOCK2(xo, oo) \
	VMOVUPS xo(SI), Y0 \
	VMOVUPS xo+32(SI), Y1 \
	VMOVUPS xo+64(SI), Y2 \
	VMOVUPS xo+96(SI), Y3 \
	VANDPS Y15, Y0, Y4 \
	VANDPS Y15, Y1, Y5 \
	VMAXPS Y5, Y4, Y4 \
	VANDPS Y15, Y2, Y5 \
	VMAXPS Y5, Y4, Y4 \
	VANDPS Y15, Y3, Y5 \
	VMAXPS Y5, Y4, Y4 \
	VEXTRACTF128 $1, Y4, X5 \
	VMAXPS X5, X4, X4 \
	VPERMILPS $0x4e, X4, X5 \
	VMAXPS X5, X4, X4 \
	VPERMILPS $0xb1, X4, X5 \
	VMAXPS X5, X4, X4 \
	VDIVSS X14, X4, X5 \
	VXORPS X6, X6, X6 \
	VUCOMISS X6, X5 \
	JEQ 2(PC) \
	VDIVSS X5, X9, X6 \
	VBROADCASTSS X6, Y6 \
	VMULPS Y6, Y0, Y0 \
	VMULPS Y6, Y1, Y1 \
	VMULPS Y6, Y2, Y2 \
	VMULPS Y6, Y3, Y3 \
	VCVTPS2DQ Y0, Y0 \
	VCVTPS2DQ Y1, Y1 \
	VCVTPS2DQ Y2, Y2 \
	VCVTPS2DQ Y3, Y3 \
	VPACKSSDW Y1, Y0, Y0 \
	VPACKSSDW Y3, Y2, Y2 \
	VPACKSSWB Y2, Y0, Y0 \
	VPERMD Y0, Y13, Y0 \
	VMOVDQU Y0, oo(DI) \
	VPMADDUBSW Y0, Y12, Y7 \
	VPMADDWD Y11, Y7, Y7 \
	VPSLLD $7, Y7, Y7 \
	VPSUBD Y7, Y10, Y7 \
	VMOVDQU Y7, oo+64(DI) \
	VBROADCASTSS X5, Y5 \
	VMOVUPS Y5, oo+128(DI)

// func quantQ8AVX2(dst *byte, x *float32, nb int)
TEXT ·quantQ8AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ nb+16(FP), CX
	MOVL $0x7fffffff, AX
	MOVD AX, X15
	VPBROADCASTD X15, Y15
	MOVL $0x42fe0000, AX // 127.0
	MOVD AX, X14
	VMOVDQU q8perm<>(SB), Y13
	MOVL $0x01010101, AX
	MOVD AX, X12
	VPBROADCASTD X12, Y12
	MOVL $0x00010001, AX
	MOVD AX, X11
	VPBROADCASTD X11, Y11
	VPXOR Y10, Y10, Y10
	MOVL $0x3f800000, AX // 1.0
	MOVD AX, X9
quant2_pair:
	CMPQ CX, $2
	JLT quant2_tail
	QBLOCK2(0, 0)
	QBLOCK2(128, 32)
	ADDQ $256, SI
	ADDQ $192, DI
	SUBQ $2, CX
	JMP quant2_pair
quant2_tail:
	TESTQ CX, CX
	JEQ quant2_done
	QBLOCK2(0, 0)
quant2_done:
	VZEROUPPER
	RET

// RBLOCK2 adds GGUF block wo(SI) times activation block ao(DI) into Y8.
// Y15 = 0x0001 words.
#define RBLOCK2(wo, ao) \
	VMOVDQU wo+2(SI), Y0 \
	VMOVDQU ao(DI), Y1 \
	VPSIGNB Y1, Y1, Y2 \
	VPSIGNB Y1, Y0, Y3 \
	VPMADDUBSW Y3, Y2, Y4 \
	VPMADDWD Y15, Y4, Y4 \
	VCVTDQ2PS Y4, Y4 \
	VPBROADCASTW wo(SI), X5 \
	VCVTPH2PS X5, Y5 \
	VMULPS ao+128(DI), Y5, Y5 \
	VFMADD231PS Y5, Y4, Y8

// func q8RowsAVX2(dst *float32, w *byte, a *byte, n, nb int)
TEXT ·q8RowsAVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DX
	MOVQ w+8(FP), SI
	MOVQ a+16(FP), R8
	MOVQ n+24(FP), R9
	MOVQ nb+32(FP), R10
	MOVL $0x00010001, AX
	MOVD AX, X15
	VPBROADCASTD X15, Y15
rows2_row:
	TESTQ R9, R9
	JEQ rows2_done
	MOVQ R8, DI
	MOVQ R10, CX
	SHRQ $1, CX
	VXORPS Y8, Y8, Y8
	TESTQ CX, CX
	JEQ rows2_tail
rows2_pair:
	RBLOCK2(0, 0)
	RBLOCK2(34, 32)
	ADDQ $68, SI
	ADDQ $192, DI
	DECQ CX
	JNZ rows2_pair
rows2_tail:
	TESTQ $1, R10
	JEQ rows2_reduce
	RBLOCK2(0, 0)
	ADDQ $34, SI
rows2_reduce:
	VEXTRACTF128 $1, Y8, X6
	VADDPS X6, X8, X8
	VHADDPS X8, X8, X8
	VHADDPS X8, X8, X8
	VMOVSS X8, (DX)
	ADDQ $4, DX
	DECQ R9
	JMP rows2_row
rows2_done:
	VZEROUPPER
	RET
