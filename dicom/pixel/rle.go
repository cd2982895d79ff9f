package pixel

import (
	"encoding/binary"
	"fmt"
)

// decodeRLE decodes one RLE Lossless frame (PS3.5 Annex G): a 64-byte header
// of 16 little-endian uint32 (segment count, then up to 15 segment offsets),
// followed by PackBits-compressed segments. Each segment holds one byte plane
// of one sample, most significant byte first, samples in order (R, G, B).
func decodeRLE(data []byte, f *format) (*samples, error) {
	if f.bitsAlloc%8 != 0 {
		return nil, fmt.Errorf("%w: RLE with %d bits allocated", ErrUnsupported, f.bitsAlloc)
	}
	if len(data) < 64 {
		return nil, malformed("rle frame of %d bytes is shorter than its header", len(data))
	}
	bytesPer := f.bitsAlloc / 8
	nseg := int(binary.LittleEndian.Uint32(data))
	if want := f.spp * bytesPer; nseg != want {
		return nil, malformed("rle frame has %d segments, want %d", nseg, want)
	}
	if nseg > 15 {
		return nil, malformed("rle frame has %d segments", nseg)
	}
	offs := make([]int, nseg+1)
	for i := 0; i < nseg; i++ {
		o := binary.LittleEndian.Uint32(data[4+4*i:])
		if o < 64 || int64(o) > int64(len(data)) || (i > 0 && int(o) < offs[i-1]) {
			return nil, malformed("rle segment %d offset %d", i, o)
		}
		offs[i] = int(o)
	}
	offs[nseg] = len(data)
	n := f.rows * f.cols
	for seg := 0; seg < nseg; seg++ {
		// A two-byte replicate run yields at most 128 bytes: refuse before allocating.
		if int64(n) > 64*int64(offs[seg+1]-offs[seg]) {
			return nil, malformed("rle segment %d of %d bytes cannot hold %d pixels", seg, offs[seg+1]-offs[seg], n)
		}
	}
	raw := make([]uint32, n*f.spp)
	plane := make([]byte, n)
	for seg := 0; seg < nseg; seg++ {
		got, err := unpackBits(data[offs[seg]:offs[seg+1]], plane)
		if err != nil {
			return nil, fmt.Errorf("pixel: rle segment %d: %w", seg, err)
		}
		if got < n {
			return nil, malformed("rle segment %d decodes to %d bytes, want %d", seg, got, n)
		}
		smp, shift := seg/bytesPer, uint(8*(bytesPer-1-seg%bytesPer))
		for p, b := range plane {
			raw[p*f.spp+smp] |= uint32(b) << shift
		}
	}
	c := newStoredConv(f.bitsStored, f.highBit, f.signed)
	v := make([]int32, len(raw))
	for i, x := range raw {
		v[i] = c.conv(x)
	}
	return &samples{w: f.cols, h: f.rows, spp: f.spp, v: v, photometric: f.photometric, bits: f.bitsStored, signed: f.signed,
		u32: f.bitsStored == 32 && !f.signed}, nil
}

// unpackBits decodes a PackBits segment into dst and returns the number of
// bytes written; output beyond len(dst) (segment padding) is dropped.
func unpackBits(src, dst []byte) (int, error) {
	i, o := 0, 0
	for i < len(src) && o < len(dst) {
		h := int8(src[i])
		i++
		switch {
		case h >= 0: // literal run of h+1 bytes
			cnt := int(h) + 1
			if i+cnt > len(src) {
				return o, malformed("literal run of %d bytes past the end of the segment", cnt)
			}
			o += copy(dst[o:], src[i:i+cnt])
			i += cnt
		case h != -128: // replicate the next byte 1-h times
			if i >= len(src) {
				return o, malformed("replicate run past the end of the segment")
			}
			b := src[i]
			i++
			for cnt := 1 - int(h); cnt > 0 && o < len(dst); cnt-- {
				dst[o] = b
				o++
			}
		}
	}
	return o, nil
}
