package pixel

import (
	"bytes"
	"errors"
	"math/bits"
	"math/rand"
	"testing"
)

// A small lossless JPEG (process 14) encoder, for round-trip tests only.

type llParams struct {
	w, h, prec int
	ss, pt     int
	restart    int  // MCUs per restart interval, 0 = none
	separate   bool // one scan per component instead of an interleaved scan
}

// bitWriter writes entropy-coded data MSB first with 0xFF byte stuffing.
type bitWriter struct {
	out  bytes.Buffer
	acc  uint32
	nacc uint
}

func (w *bitWriter) put(v uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>uint(i))&1
		w.nacc++
		if w.nacc == 8 {
			b := byte(w.acc)
			w.out.WriteByte(b)
			if b == 0xFF {
				w.out.WriteByte(0)
			}
			w.acc, w.nacc = 0, 0
		}
	}
}

func (w *bitWriter) flush() {
	for w.nacc != 0 {
		w.put(1, 1)
	}
}

// category returns SSSS and the additional bits of a difference.
func category(d int32) (int, uint32) {
	switch {
	case d == 0:
		return 0, 0
	case d == 32768:
		return 16, 0
	case d > 0:
		s := bits.Len32(uint32(d))
		return s, uint32(d)
	default:
		s := bits.Len32(uint32(-d))
		return s, uint32(d+int32(1)<<uint(s)-1) & (1<<uint(s) - 1)
	}
}

// huffLengths builds JPEG code-length counts and values from frequencies (T.81 Annex K.2/K.3).
func huffLengths(freq [17]int) (counts [16]int, vals []byte) {
	var f [18]int
	copy(f[:], freq[:])
	f[17] = 1 // reserved code point: no code is all ones
	var size [18]int
	others := [18]int{}
	for i := range others {
		others[i] = -1
	}
	for {
		v1, v2 := -1, -1
		for i := 0; i < 18; i++ {
			if f[i] > 0 && (v1 < 0 || f[i] <= f[v1]) {
				v1 = i
			}
		}
		for i := 0; i < 18; i++ {
			if f[i] > 0 && i != v1 && (v2 < 0 || f[i] <= f[v2]) {
				v2 = i
			}
		}
		if v2 < 0 {
			break
		}
		f[v1] += f[v2]
		f[v2] = 0
		size[v1]++
		for others[v1] >= 0 {
			v1 = others[v1]
			size[v1]++
		}
		others[v1] = v2
		size[v2]++
		for others[v2] >= 0 {
			v2 = others[v2]
			size[v2]++
		}
	}
	var b [40]int
	for i := 0; i < 18; i++ {
		if size[i] > 0 {
			b[size[i]]++
		}
	}
	for i := 39; i > 16; i-- {
		for b[i] > 0 {
			j := i - 2
			for b[j] == 0 {
				j--
			}
			b[i] -= 2
			b[i-1]++
			b[j+1] += 2
			b[j]--
		}
	}
	i := 16
	for b[i] == 0 {
		i--
	}
	b[i]-- // remove the reserved code point
	copy(counts[:], b[1:17])
	for l := 1; l <= 32; l++ {
		for s := 0; s < 17; s++ {
			if size[s] == l {
				vals = append(vals, byte(s))
			}
		}
	}
	return counts, vals[:sum(counts)]
}

func sum(c [16]int) int {
	n := 0
	for _, x := range c {
		n += x
	}
	return n
}

type huffCode struct {
	code uint32
	n    uint
}

func huffCodes(counts [16]int, vals []byte) map[byte]huffCode {
	m := map[byte]huffCode{}
	code, k := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for i := 0; i < counts[l-1]; i++ {
			m[vals[k]] = huffCode{code, uint(l)}
			code++
			k++
		}
		code <<= 1
	}
	return m
}

// llDiffs computes the prediction differences of one component, mirroring the decoder.
func llDiffs(x []int32, p llParams, mcuOf func(i int) int) []int32 {
	w := p.w
	d := make([]int32, len(x))
	start, startRow := 0, 0
	initial := int32(1) << uint(p.prec-p.pt-1)
	for i := range x {
		if p.restart > 0 && mcuOf(i) > 0 && mcuOf(i)%p.restart == 0 && mcuOf(i) != mcuOf(i-1) {
			start, startRow = i, i/w
		}
		xx, y := i%w, i/w
		var pred int32
		switch {
		case i == start:
			pred = initial
		case y == startRow:
			pred = x[i-1]
		case xx == 0:
			pred = x[i-w]
		default:
			ra, rb, rc := x[i-1], x[i-w], x[i-w-1]
			pred = [8]int32{0, ra, rb, rc, ra + rb - rc, ra + (rb-rc)>>1, rb + (ra-rc)>>1, (ra + rb) >> 1}[p.ss]
		}
		v := (x[i] - pred) & 0xFFFF
		if v > 32768 {
			v -= 65536
		}
		d[i] = v
	}
	return d
}

// encodeLossless encodes planes (one per component, values < 2^prec) as a lossless JPEG.
func encodeLossless(planes [][]uint16, p llParams) []byte {
	nc := len(planes)
	xs := make([][]int32, nc)
	for c, pl := range planes {
		xs[c] = make([]int32, len(pl))
		for i, v := range pl {
			xs[c][i] = int32(v >> uint(p.pt))
		}
	}
	var out bytes.Buffer
	seg := func(marker byte, body []byte) {
		out.Write([]byte{0xFF, marker, byte((len(body) + 2) >> 8), byte(len(body) + 2)})
		out.Write(body)
	}
	out.Write([]byte{0xFF, 0xD8})
	sof := []byte{byte(p.prec), byte(p.h >> 8), byte(p.h), byte(p.w >> 8), byte(p.w), byte(nc)}
	for c := 0; c < nc; c++ {
		sof = append(sof, byte(c+1), 0x11, 0)
	}
	seg(0xC3, sof)
	if p.restart > 0 {
		seg(0xDD, []byte{byte(p.restart >> 8), byte(p.restart)})
	}
	scans := [][]int{}
	if p.separate {
		for c := 0; c < nc; c++ {
			scans = append(scans, []int{c})
		}
	} else {
		all := make([]int, nc)
		for c := range all {
			all[c] = c
		}
		scans = append(scans, all)
	}
	for _, comps := range scans {
		diffs := make([][]int32, len(comps))
		var freq [2][17]int
		for k, c := range comps {
			diffs[k] = llDiffs(xs[c], p, func(i int) int { return i })
			for _, d := range diffs[k] {
				s, _ := category(d)
				freq[k%2][s]++
			}
		}
		var codes [2]map[byte]huffCode
		for t := 0; t < 2 && t < len(comps); t++ {
			counts, vals := huffLengths(freq[t])
			body := []byte{byte(t)}
			for _, n := range counts {
				body = append(body, byte(n))
			}
			seg(0xC4, append(body, vals...))
			codes[t] = huffCodes(counts, vals)
		}
		sos := []byte{byte(len(comps))}
		for k, c := range comps {
			sos = append(sos, byte(c+1), byte(k%2)<<4)
		}
		seg(0xDA, append(sos, byte(p.ss), 0, byte(p.pt)))
		bw := &bitWriter{}
		rst := 0
		for i := 0; i < p.w*p.h; i++ {
			if p.restart > 0 && i > 0 && i%p.restart == 0 {
				bw.flush()
				bw.out.Write([]byte{0xFF, byte(0xD0 + rst%8)})
				rst++
			}
			for k := range comps {
				s, extra := category(diffs[k][i])
				hc := codes[k%2][byte(s)]
				bw.put(hc.code, hc.n)
				if s > 0 && s < 16 {
					bw.put(extra, uint(s))
				}
			}
		}
		bw.flush()
		out.Write(bw.out.Bytes())
	}
	out.Write([]byte{0xFF, 0xD9})
	return out.Bytes()
}

func randomPlanes(rng *rand.Rand, nc, w, h, prec int) [][]uint16 {
	planes := make([][]uint16, nc)
	maxv := 1<<uint(prec) - 1
	for c := range planes {
		planes[c] = make([]uint16, w*h)
		for i := range planes[c] {
			x, y := i%w, i/w
			v := (x*37 + y*11 + c*1000) % (maxv + 1) // smooth ramps
			if rng.Intn(4) == 0 {
				v = rng.Intn(maxv + 1)
			}
			if rng.Intn(50) == 0 {
				v = []int{0, maxv}[rng.Intn(2)] // extremes: differences near ±2^prec
			}
			planes[c][i] = uint16(v)
		}
	}
	return planes
}

func TestJPEGLossless_RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	type tc struct {
		name string
		nc   int
		p    llParams
	}
	var cases []tc
	for ss := 1; ss <= 7; ss++ {
		cases = append(cases, tc{"sv" + string(rune('0'+ss)) + "_16bit", 1, llParams{w: 23, h: 17, prec: 16, ss: ss}})
	}
	cases = append(cases,
		tc{"prec2", 1, llParams{w: 9, h: 8, prec: 2, ss: 1}},
		tc{"prec8_rgb_interleaved", 3, llParams{w: 13, h: 11, prec: 8, ss: 1}},
		tc{"prec8_rgb_separate_scans", 3, llParams{w: 13, h: 11, prec: 8, ss: 4, separate: true}},
		tc{"prec12_pt2", 1, llParams{w: 16, h: 16, prec: 12, ss: 6, pt: 2}},
		tc{"restart_rows", 1, llParams{w: 10, h: 12, prec: 16, ss: 7, restart: 20}},
		tc{"restart_mid_row", 3, llParams{w: 10, h: 9, prec: 10, ss: 5, restart: 7}},
		tc{"one_pixel", 1, llParams{w: 1, h: 1, prec: 16, ss: 1}},
		tc{"zeros16_diff32768", 1, llParams{w: 4, h: 3, prec: 16, ss: 1}},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			planes := randomPlanes(rng, c.nc, c.p.w, c.p.h, c.p.prec)
			if c.name == "zeros16_diff32768" { // first difference is 0 - 2^15: category 16
				planes[0] = make([]uint16, c.p.w*c.p.h)
			}
			if c.p.pt > 0 {
				for _, pl := range planes {
					for i := range pl {
						pl[i] &^= 1<<uint(c.p.pt) - 1 // point transform drops low bits
					}
				}
			}
			data := encodeLossless(planes, c.p)
			d, err := decodeLossless(data, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if d.w != c.p.w || d.h != c.p.h || len(d.comps) != c.nc {
				t.Fatalf("decoded %dx%d with %d components", d.w, d.h, len(d.comps))
			}
			for k := range planes {
				for i, want := range planes[k] {
					if got := d.comps[k].plane[i]; got != int32(want) {
						t.Fatalf("component %d sample %d (x=%d y=%d) = %d, want %d", k, i, i%c.p.w, i/c.p.w, got, want)
					}
				}
			}
		})
	}
}

func TestJPEGLossless_Malformed(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	good := encodeLossless(randomPlanes(rng, 1, 8, 8, 12), llParams{w: 8, h: 8, prec: 12, ss: 1})
	cases := map[string][]byte{
		"empty":     nil,
		"no SOI":    good[2:],
		"truncated": good[:len(good)/2],
		"baseline":  {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 8, 0, 8, 0, 8, 1, 1, 0x11, 0, 0xFF, 0xD9},
	}
	for name, data := range cases {
		_, err := decodeLossless(data, 1<<20)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if name != "baseline" && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
	big := encodeLossless(randomPlanes(rng, 1, 64, 64, 8), llParams{w: 64, h: 64, prec: 8, ss: 1})
	if _, err := decodeLossless(big, 100); !errors.Is(err, ErrTooLarge) {
		t.Errorf("size limit: err = %v, want ErrTooLarge", err)
	}
}

func FuzzJPEGLossless(f *testing.F) {
	rng := rand.New(rand.NewSource(5))
	f.Add(encodeLossless(randomPlanes(rng, 1, 8, 8, 12), llParams{w: 8, h: 8, prec: 12, ss: 1}))
	f.Add(encodeLossless(randomPlanes(rng, 3, 5, 4, 8), llParams{w: 5, h: 4, prec: 8, ss: 6, restart: 3}))
	f.Add(encodeLossless(randomPlanes(rng, 3, 4, 4, 16), llParams{w: 4, h: 4, prec: 16, ss: 7, separate: true}))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := decodeLossless(data, 1<<16)
		if err == nil {
			for _, c := range d.comps {
				if len(c.plane) != d.w*d.h {
					t.Fatalf("plane of %d samples for %dx%d", len(c.plane), d.w, d.h)
				}
			}
		}
	})
}
