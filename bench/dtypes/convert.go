package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"sync"
	"time"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
)

// converting is the CPU backend with an Upload that stores every 2-D BF16
// weight in the format to, and counts the weight bytes a decoded token
// reads (every matrix once: the tied embedding is the LM head).
type converting struct {
	*cpu.Backend
	to           kernels.DType
	readPerToken int64
}

// Upload implements kernels.Backend.
func (c *converting) Upload(name string, dt kernels.DType, shape kernels.Shape, data []byte) (kernels.Tensor, error) {
	if dt == kernels.BF16 && len(shape) == 2 && c.to != dt && (c.to != kernels.Q8_0 || shape[1]%kernels.Q8_0BlockLen == 0) {
		data, dt = convertBF16(data, shape[1], c.to), c.to
	}
	c.readPerToken += int64(len(data))
	return c.Backend.Upload(name, dt, shape, data)
}

// convertBF16 re-encodes BF16 rows of n values as dt, in parallel.
func convertBF16(src []byte, n int, dt kernels.DType) []byte {
	rows := len(src) / 2 / n
	rb, _ := dt.RowBytes(n)
	dst := make([]byte, rows*rb)
	parallel(rows, func(r int) {
		in := src[r*2*n : (r+1)*2*n]
		out := dst[r*rb : (r+1)*rb]
		switch dt {
		case kernels.F32:
			for i := range n {
				binary.LittleEndian.PutUint32(out[4*i:], uint32(binary.LittleEndian.Uint16(in[2*i:]))<<16)
			}
		case kernels.F16:
			for i := range n {
				binary.LittleEndian.PutUint16(out[2*i:], f32ToF16(bf16(in, i)))
			}
		case kernels.Q8_0:
			quantizeQ8_0(out, in, n)
		}
	})
	return dst
}

func bf16(b []byte, i int) float32 {
	return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
}

// quantizeQ8_0 writes n BF16 values as GGUF Q8_0 blocks: d = max|x|/127
// stored as f16, q = round-half-away(x/d), as ggml's reference quantizer.
func quantizeQ8_0(out, in []byte, n int) {
	for b := 0; b < n/32; b++ {
		var amax float32
		for i := range 32 {
			amax = max(amax, float32(math.Abs(float64(bf16(in, b*32+i)))))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		o := out[b*34:]
		binary.LittleEndian.PutUint16(o, f32ToF16(d))
		for i := range 32 {
			o[2+i] = byte(int8(math.Round(float64(bf16(in, b*32+i) * id))))
		}
	}
}

// f32ToF16 rounds to the nearest IEEE half, ties to even.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	abs := b & 0x7fffffff
	switch {
	case abs > 0x7f800000:
		return sign | 0x7e00
	case abs >= 0x477ff000: // rounds to ≥ 65520: infinity
		return sign | 0x7c00
	case abs < 0x38800000: // below 2^-14: subnormal half (or zero)
		if abs < 0x33000000 { // below 2^-25: rounds to zero
			return sign
		}
		e := abs >> 23
		m := abs&0x7fffff | 0x800000
		shift := 126 - e // 113 - e + 13
		h := m >> shift
		rem, half := m&(1<<shift-1), uint32(1)<<(shift-1)
		if rem > half || rem == half && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	}
	h := (abs - 0x38000000) >> 13 // rebias exponent 127 → 15
	rem := abs & 0x1fff
	if rem > 0x1000 || rem == 0x1000 && h&1 == 1 {
		h++
	}
	return sign | uint16(h)
}

// parallel calls fn(i) for i < n on every CPU.
func parallel(n int, fn func(int)) {
	workers := min(max(n, 1), 16)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// copyBandwidth measures memory copy bandwidth with threads goroutines,
// each copying its own buffer of size bytes: the best of passes, in bytes
// read plus bytes written per second.
func copyBandwidth(threads, size, passes int) float64 {
	src, dst := make([][]byte, threads), make([][]byte, threads)
	for i := range threads {
		src[i], dst[i] = make([]byte, size), make([]byte, size)
		for j := 0; j < size; j += 4096 {
			src[i][j], dst[i][j] = 1, 1 // fault the pages in
		}
	}
	best := 0.0
	for range passes {
		var wg sync.WaitGroup
		t0 := time.Now()
		for i := range threads {
			wg.Add(1)
			go func() { defer wg.Done(); copy(dst[i], src[i]) }()
		}
		wg.Wait()
		if bw := float64(2*threads*size) / time.Since(t0).Seconds(); bw > best {
			best = bw
		}
	}
	return best
}

// readBandwidth measures memory read bandwidth with threads goroutines,
// each scanning its own zeroed buffer of size bytes for a byte it does not
// hold (bytes.IndexByte, vectorized in the runtime): the best of passes,
// in bytes read per second.
func readBandwidth(threads, size, passes int) float64 {
	bufs := make([][]byte, threads)
	for i := range bufs {
		bufs[i] = make([]byte, size)
		for j := 0; j < size; j += 4096 {
			bufs[i][j] = 2 // fault the pages in
		}
	}
	best := 0.0
	for range passes {
		var wg sync.WaitGroup
		t0 := time.Now()
		for i := range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if bytes.IndexByte(bufs[i], 1) >= 0 {
					panic("dtypes bench: read buffer holds a 1")
				}
			}()
		}
		wg.Wait()
		if bw := float64(threads*size) / time.Since(t0).Seconds(); bw > best {
			best = bw
		}
	}
	return best
}
