package pixel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand"
	"testing"
)

// packBits is a PackBits encoder (runs of 2..128 replicated, literals of up to 128 bytes).
func packBits(src []byte) []byte {
	var out []byte
	for i := 0; i < len(src); {
		run := 1
		for i+run < len(src) && run < 128 && src[i+run] == src[i] {
			run++
		}
		if run >= 2 {
			out = append(out, byte(int8(1-run)), src[i])
			i += run
			continue
		}
		start := i
		for i < len(src) && i-start < 128 && (i+1 >= len(src) || src[i+1] != src[i]) {
			i++
		}
		if i == start {
			i++
		}
		out = append(out, byte(i-start-1))
		out = append(out, src[start:i]...)
	}
	return out
}

// encodeRLE builds one RLE Lossless frame from pixel-interleaved container values.
func encodeRLE(vals []uint32, spp, bytesPer int) []byte {
	n := len(vals) / spp
	var segs [][]byte
	for s := 0; s < spp; s++ {
		for b := 0; b < bytesPer; b++ {
			plane := make([]byte, n)
			shift := uint(8 * (bytesPer - 1 - b))
			for p := 0; p < n; p++ {
				plane[p] = byte(vals[p*spp+s] >> shift)
			}
			seg := packBits(plane)
			if len(seg)%2 == 1 {
				seg = append(seg, 0x80) // even length: a no-op header byte
			}
			segs = append(segs, seg)
		}
	}
	hdr := make([]byte, 64)
	binary.LittleEndian.PutUint32(hdr, uint32(len(segs)))
	off := 64
	for i, s := range segs {
		binary.LittleEndian.PutUint32(hdr[4+4*i:], uint32(off))
		off += len(s)
	}
	return append(hdr, bytes.Join(segs, nil)...)
}

func TestRLE_RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	cases := []struct {
		name                       string
		rows, cols, spp, bits, sto int
		signed                     bool
		photometric                string
	}{
		{"gray8", 7, 9, 1, 8, 8, false, "MONOCHROME2"},
		{"gray16signed", 16, 5, 1, 16, 16, true, "MONOCHROME2"},
		{"gray12in16", 8, 8, 1, 16, 12, true, "MONOCHROME1"},
		{"rgb8", 5, 7, 3, 8, 8, false, "RGB"},
		{"rgb16", 4, 4, 3, 16, 16, false, "RGB"},
		{"gray32", 3, 11, 1, 32, 32, true, "MONOCHROME2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := c.rows * c.cols * c.spp
			vals := make([]uint32, n)
			for i := range vals {
				if i%5 < 3 { // runs, to exercise replicate runs
					vals[i] = uint32(i / 7)
				} else {
					vals[i] = rng.Uint32()
				}
				if c.bits < 32 {
					vals[i] &= 1<<uint(c.bits) - 1
				}
			}
			f := &format{rows: c.rows, cols: c.cols, spp: c.spp, frames: 1, bitsAlloc: c.bits, bitsStored: c.sto,
				highBit: c.sto - 1, signed: c.signed, photometric: c.photometric}
			s, err := decodeRLE(encodeRLE(vals, c.spp, c.bits/8), f)
			if err != nil {
				t.Fatal(err)
			}
			conv := newStoredConv(c.sto, c.sto-1, c.signed)
			for i, v := range vals {
				if want := conv.conv(v); s.v[i] != want {
					t.Fatalf("sample %d = %d, want %d", i, s.v[i], want)
				}
			}
		})
	}
}

func TestRLE_Malformed(t *testing.T) {
	f := &format{rows: 4, cols: 4, spp: 1, frames: 1, bitsAlloc: 8, bitsStored: 8, highBit: 7, photometric: "MONOCHROME2"}
	good := encodeRLE(make([]uint32, 16), 1, 1)
	mutate := func(fn func(b []byte) []byte) []byte { return fn(append([]byte(nil), good...)) }
	cases := map[string][]byte{
		"short header":     good[:10],
		"segment count":    mutate(func(b []byte) []byte { b[0] = 2; return b }),
		"offset past end":  mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 1000); return b }),
		"offset in header": mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[4:], 8); return b }),
		"short segment":    append(append([]byte(nil), good[:64]...), 0x00, 0x01),
		"literal overrun":  append(append([]byte(nil), good[:64]...), 0x7F, 0x01),
	}
	for name, data := range cases {
		if _, err := decodeRLE(data, f); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func FuzzRLE(f *testing.F) {
	f.Add(encodeRLE([]uint32{1, 2, 3, 3, 3, 3, 4, 5, 6}, 1, 1), 3, 3, 8)
	f.Add(encodeRLE([]uint32{1, 2, 3, 300, 3, 3, 65535, 5, 6, 0, 0, 0}, 3, 2), 2, 2, 16)
	f.Fuzz(func(t *testing.T, data []byte, rows, cols, bits int) {
		if rows < 1 || cols < 1 || rows > 64 || cols > 64 {
			return
		}
		bits = []int{8, 16, 32}[((bits%3)+3)%3]
		for _, spp := range []int{1, 3} {
			fm := &format{rows: rows, cols: cols, spp: spp, frames: 1, bitsAlloc: bits, bitsStored: bits,
				highBit: bits - 1, photometric: "RGB"}
			s, err := decodeRLE(data, fm)
			if err == nil && len(s.v) != rows*cols*spp {
				t.Fatalf("decoded %d samples, want %d", len(s.v), rows*cols*spp)
			}
		}
	})
}
