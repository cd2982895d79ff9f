//go:build !noasm

#include "textflag.h"

// NEON kernels for arm64 (kern_arm64.go). Instructions Go's assembler
// lacks (SDOT, SMULL, SADALP, SCVTF, FCVTL, FADDP) are written as WORDs,
// each followed by the instruction it encodes.

// Q8_0 block dot, one block: the weight block at R1 (f16 scale, 32 int8
// quants; R1 advances 34 bytes), activation quants at qoff(R2) and the
// activation scale at soff(R2). acc += (dw·dx)·Σ w·q, the integer dot in
// four int32 lanes converted to f32 (exact: |lane| ≤ 8·128·128).

// Σ w·q into V4 with SDOT (ARMv8.2 dotprod).
#define DOT_SDOT \
	VEOR	V4.B16, V4.B16, V4.B16 \
	WORD $0x4e829404 /* sdot v4.4s, v0.16b, v2.16b */ \
	WORD $0x4e839424 // sdot v4.4s, v1.16b, v3.16b

// Σ w·q into V4 with widening multiplies: int8·int8 fits int16, SADALP
// adds adjacent int16 pairs into the int32 lanes.
#define DOT_SMULL \
	WORD $0x0e22c008 /* smull v8.8h, v0.8b, v2.8b */ \
	WORD $0x4e22c009 /* smull2 v9.8h, v0.16b, v2.16b */ \
	WORD $0x0e23c02a /* smull v10.8h, v1.8b, v3.8b */ \
	WORD $0x4e23c02b /* smull2 v11.8h, v1.16b, v3.16b */ \
	VEOR	V4.B16, V4.B16, V4.B16 \
	WORD $0x4e606904 /* sadalp v4.4s, v8.8h */ \
	WORD $0x4e606924 /* sadalp v4.4s, v9.8h */ \
	WORD $0x4e606944 /* sadalp v4.4s, v10.8h */ \
	WORD $0x4e606964 // sadalp v4.4s, v11.8h

#define Q8_BLOCK(DOT, qoff, soff, acc) \
	MOVHU	(R1), R6 \
	FMOVS	R6, F5 \
	FCVTHS	F5, F5 \
	FMOVS	soff(R2), F6 \
	FMULS	F5, F6, F6 \
	ADD	$2, R1, R7 \
	VLD1	(R7), [V0.B16, V1.B16] \
	ADD	$qoff, R2, R8 \
	VLD1	(R8), [V2.B16, V3.B16] \
	DOT \
	WORD $0x4e21d884 /* scvtf v4.4s, v4.4s */ \
	VDUP	V6.S[0], V7.S4 \
	VFMLA	V4.S4, V7.S4, acc \
	ADD	$34, R1

// Rows loop of q8RowsSDOT / q8RowsNEON (R0 dst, R1 w, R3 a, R4 n, R5 nb):
// for each of n rows, blocks in pairs (2p into V16, 2p+1 into V17), then
// an odd last block; the row sum is stored at R0, which advances.
#define Q8_ROWS(DOT) \
row: \
	MOVD	R3, R2 \
	VEOR	V16.B16, V16.B16, V16.B16 \
	VEOR	V17.B16, V17.B16, V17.B16 \
	LSR	$1, R5, R9 \
	CBZ	R9, tail \
pair: \
	Q8_BLOCK(DOT, 0, 128, V16.S4) \
	Q8_BLOCK(DOT, 32, 160, V17.S4) \
	ADD	$192, R2 \
	SUB	$1, R9 \
	CBNZ	R9, pair \
tail: \
	TBZ	$0, R5, sum \
	Q8_BLOCK(DOT, 0, 128, V16.S4) \
sum: \
	WORD $0x6e31d614 /* faddp v20.4s, v16.4s, v17.4s */ \
	WORD $0x6e34d695 /* faddp v21.4s, v20.4s, v20.4s */ \
	WORD $0x7e30dab6 /* faddp s22, v21.2s */ \
	FMOVS	F22, (R0) \
	ADD	$4, R0 \
	SUB	$1, R4 \
	CBNZ	R4, row \
	RET

// func q8RowsSDOT(dst *float32, w, a *byte, n, nb int)
TEXT ·q8RowsSDOT(SB), NOSPLIT, $0-40
	MOVD	dst+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R3
	MOVD	n+24(FP), R4
	MOVD	nb+32(FP), R5
	Q8_ROWS(DOT_SDOT)

// func q8RowsNEON(dst *float32, w, a *byte, n, nb int)
TEXT ·q8RowsNEON(SB), NOSPLIT, $0-40
	MOVD	dst+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	a+16(FP), R3
	MOVD	n+24(FP), R4
	MOVD	nb+32(FP), R5
	Q8_ROWS(DOT_SMULL)

// Four weight rows × one x row, eight columns a step: V0, V1 hold x; row r
// widens into V8+2r, V9+2r and accumulates into V16+r (columns 0-3) and
// V20+r (columns 4-7). Arguments: R0 dst, R1 w, R2 x, R3 n8, R4 ld (in
// elements; esize is log2 of the element bytes). R1, R5, R6, R7 walk the
// rows, R2 walks x, R3 counts.
#define DOT4_PROLOGUE(esize) \
	LSL	$esize, R4 \
	ADD	R4, R1, R5 \
	ADD	R4, R5, R6 \
	ADD	R4, R6, R7 \
	VEOR	V16.B16, V16.B16, V16.B16 \
	VEOR	V17.B16, V17.B16, V17.B16 \
	VEOR	V18.B16, V18.B16, V18.B16 \
	VEOR	V19.B16, V19.B16, V19.B16 \
	VEOR	V20.B16, V20.B16, V20.B16 \
	VEOR	V21.B16, V21.B16, V21.B16 \
	VEOR	V22.B16, V22.B16, V22.B16 \
	VEOR	V23.B16, V23.B16, V23.B16

#define DOT4_FMA \
	VFMLA	V0.S4, V8.S4, V16.S4 \
	VFMLA	V1.S4, V9.S4, V20.S4 \
	VFMLA	V0.S4, V10.S4, V17.S4 \
	VFMLA	V1.S4, V11.S4, V21.S4 \
	VFMLA	V0.S4, V12.S4, V18.S4 \
	VFMLA	V1.S4, V13.S4, V22.S4 \
	VFMLA	V0.S4, V14.S4, V19.S4 \
	VFMLA	V1.S4, V15.S4, V23.S4

// dst[0:4] = the four row sums.
#define DOT4_EPILOGUE \
	WORD $0x6e34d610 /* faddp v16.4s, v16.4s, v20.4s */ \
	WORD $0x6e35d631 /* faddp v17.4s, v17.4s, v21.4s */ \
	WORD $0x6e36d652 /* faddp v18.4s, v18.4s, v22.4s */ \
	WORD $0x6e37d673 /* faddp v19.4s, v19.4s, v23.4s */ \
	WORD $0x6e31d618 /* faddp v24.4s, v16.4s, v17.4s */ \
	WORD $0x6e33d659 /* faddp v25.4s, v18.4s, v19.4s */ \
	WORD $0x6e39d71a /* faddp v26.4s, v24.4s, v25.4s */ \
	VST1	[V26.S4], (R0) \
	RET

// func dotF32x1NEON(dst, w, x *float32, n8, ld int)
TEXT ·dotF32x1NEON(SB), NOSPLIT, $0-40
	MOVD	dst+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	x+16(FP), R2
	MOVD	n8+24(FP), R3
	MOVD	ld+32(FP), R4
	DOT4_PROLOGUE(2)
	CBZ	R3, done
loop:
	VLD1.P	32(R2), [V0.S4, V1.S4]
	VLD1.P	32(R1), [V8.S4, V9.S4]
	VLD1.P	32(R5), [V10.S4, V11.S4]
	VLD1.P	32(R6), [V12.S4, V13.S4]
	VLD1.P	32(R7), [V14.S4, V15.S4]
	DOT4_FMA
	SUBS	$8, R3
	BNE	loop
done:
	DOT4_EPILOGUE

// func dotF16x1NEON(dst *float32, w *uint16, x *float32, n8, ld int)
TEXT ·dotF16x1NEON(SB), NOSPLIT, $0-40
	MOVD	dst+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	x+16(FP), R2
	MOVD	n8+24(FP), R3
	MOVD	ld+32(FP), R4
	DOT4_PROLOGUE(1)
	CBZ	R3, done
loop:
	VLD1.P	32(R2), [V0.S4, V1.S4]
	VLD1.P	16(R1), [V2.H8]
	VLD1.P	16(R5), [V3.H8]
	VLD1.P	16(R6), [V4.H8]
	VLD1.P	16(R7), [V5.H8]
	WORD $0x0e217848 // fcvtl v8.4s, v2.4h
	WORD $0x4e217849 // fcvtl2 v9.4s, v2.8h
	WORD $0x0e21786a // fcvtl v10.4s, v3.4h
	WORD $0x4e21786b // fcvtl2 v11.4s, v3.8h
	WORD $0x0e21788c // fcvtl v12.4s, v4.4h
	WORD $0x4e21788d // fcvtl2 v13.4s, v4.8h
	WORD $0x0e2178ae // fcvtl v14.4s, v5.4h
	WORD $0x4e2178af // fcvtl2 v15.4s, v5.8h
	DOT4_FMA
	SUBS	$8, R3
	BNE	loop
done:
	DOT4_EPILOGUE

// func dotBF16x1NEON(dst *float32, w *uint16, x *float32, n8, ld int)
// bfloat16 widens to f32 by a 16-bit shift: ZIP1/ZIP2 with zero halves.
TEXT ·dotBF16x1NEON(SB), NOSPLIT, $0-40
	MOVD	dst+0(FP), R0
	MOVD	w+8(FP), R1
	MOVD	x+16(FP), R2
	MOVD	n8+24(FP), R3
	MOVD	ld+32(FP), R4
	DOT4_PROLOGUE(1)
	VEOR	V31.B16, V31.B16, V31.B16
	CBZ	R3, done
loop:
	VLD1.P	32(R2), [V0.S4, V1.S4]
	VLD1.P	16(R1), [V2.H8]
	VLD1.P	16(R5), [V3.H8]
	VLD1.P	16(R6), [V4.H8]
	VLD1.P	16(R7), [V5.H8]
	VZIP1	V2.H8, V31.H8, V8.H8
	VZIP2	V2.H8, V31.H8, V9.H8
	VZIP1	V3.H8, V31.H8, V10.H8
	VZIP2	V3.H8, V31.H8, V11.H8
	VZIP1	V4.H8, V31.H8, V12.H8
	VZIP2	V4.H8, V31.H8, V13.H8
	VZIP1	V5.H8, V31.H8, V14.H8
	VZIP2	V5.H8, V31.H8, V15.H8
	DOT4_FMA
	SUBS	$8, R3
	BNE	loop
done:
	DOT4_EPILOGUE
