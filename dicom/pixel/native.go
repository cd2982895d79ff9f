package pixel

import (
	"encoding/binary"
	"fmt"
)

// samples is one decoded frame: stored pixel values (masked to BitsStored and
// sign extended), pixel-interleaved (R G B R G B ... for colour).
type samples struct {
	w, h, spp   int
	v           []int32 // bit patterns of uint32 values when u32
	u32         bool    // 32-bit unsigned values (BitsStored 32, unsigned)
	photometric string
	bits        int // significant bits of the values
	signed      bool
}

// at returns sample i as a number.
func (s *samples) at(i int) int64 {
	if s.u32 {
		return int64(uint32(s.v[i]))
	}
	return int64(s.v[i])
}

// wide returns the values as int64 (for 32-bit unsigned data).
func (s *samples) wide() []int64 {
	out := make([]int64, len(s.v))
	for i := range s.v {
		out[i] = s.at(i)
	}
	return out
}

// storedConv turns a raw container value into a stored value: shifted down
// so that HighBit is the top bit of BitsStored, masked and sign extended.
type storedConv struct {
	shift   uint
	mask    uint32
	signBit uint32
	signed  bool
}

func newStoredConv(bitsStored, highBit int, signed bool) storedConv {
	mask := uint32(uint64(1)<<uint(bitsStored) - 1)
	return storedConv{
		shift:   uint(highBit + 1 - bitsStored),
		mask:    mask,
		signBit: uint32(1) << uint(bitsStored-1),
		signed:  signed,
	}
}

// conv returns the stored value; 32-bit unsigned values come back as their bit pattern.
func (c storedConv) conv(raw uint32) int32 {
	v := (raw >> c.shift) & c.mask
	if c.signed && v&c.signBit != 0 {
		return int32(v | ^c.mask)
	}
	return int32(v)
}

// unpackNative decodes one frame of native (uncompressed) pixel data.
// bigEndian and vr describe how the Pixel Data element was encoded; bitOff
// is the bit at which a 1-bit frame starts in src (frames of 1-bit data
// need not start on a byte boundary).
func unpackNative(src []byte, f *format, bigEndian bool, vr string, bitOff int) (*samples, error) {
	if f.bitsAlloc == 1 {
		if int64(len(src))*8-int64(bitOff) < int64(f.rows*f.cols*f.spp) {
			return nil, malformed("1-bit frame has %d bytes, want %d bits", len(src), f.rows*f.cols*f.spp)
		}
	} else if int64(len(src)) < f.nativeFrameBytes() {
		return nil, malformed("native frame has %d bytes, want %d", len(src), f.nativeFrameBytes())
	}
	n := f.rows * f.cols
	s := &samples{w: f.cols, h: f.rows, spp: f.spp, photometric: f.photometric, bits: f.bitsStored, signed: f.signed,
		u32: f.bitsStored == 32 && !f.signed}
	if f.photometric == "YBR_FULL_422" || f.photometric == "YBR_PARTIAL_422" {
		return unpackYBR422(src, f, s)
	}
	s.v = make([]int32, n*f.spp)
	c := newStoredConv(f.bitsStored, f.highBit, f.signed)
	var bo binary.ByteOrder = binary.LittleEndian
	if bigEndian {
		bo = binary.BigEndian
	}
	out := s.v
	switch f.bitsAlloc {
	case 1:
		for i := range out {
			b := i + bitOff
			out[i] = c.conv(uint32(src[b>>3]>>(uint(b)&7)) & 1)
		}
	case 8:
		swap := 0
		if bigEndian && vr == "OW" {
			swap = 1 // 8-bit samples in 16-bit big-endian words
		}
		for i := range out {
			j := i ^ swap
			if j >= len(src) {
				j = i
			}
			out[i] = c.conv(uint32(src[j]))
		}
	case 16:
		if c.shift == 0 && c.mask == 0xFFFF && !bigEndian {
			if f.signed {
				for i := range out {
					out[i] = int32(int16(uint16(src[2*i]) | uint16(src[2*i+1])<<8))
				}
			} else {
				for i := range out {
					out[i] = int32(uint16(src[2*i]) | uint16(src[2*i+1])<<8)
				}
			}
			break
		}
		for i := range out {
			out[i] = c.conv(uint32(bo.Uint16(src[2*i:])))
		}
	case 32:
		for i := range out {
			out[i] = c.conv(bo.Uint32(src[4*i:]))
		}
	default:
		return nil, fmt.Errorf("%w: %d bits allocated", ErrUnsupported, f.bitsAlloc)
	}
	if f.spp > 1 && f.planar == 1 {
		s.v = interleave(s.v, n, f.spp)
	}
	return s, nil
}

// interleave converts planar samples (RRR...GGG...BBB...) to pixel-interleaved.
func interleave(p []int32, n, spp int) []int32 {
	out := make([]int32, len(p))
	for k := 0; k < spp; k++ {
		plane := p[k*n : (k+1)*n]
		for i, v := range plane {
			out[i*spp+k] = v
		}
	}
	return out
}

// unpackYBR422 expands native YBR_FULL_422 (Y1 Y2 Cb Cr per pixel pair) to one Y Cb Cr triple per pixel.
func unpackYBR422(src []byte, f *format, s *samples) (*samples, error) {
	if f.bitsAlloc != 8 || f.spp != 3 {
		return nil, fmt.Errorf("%w: %s with %d bits allocated", ErrUnsupported, f.photometric, f.bitsAlloc)
	}
	n := f.rows * f.cols
	s.v = make([]int32, 3*n)
	s.bits = 8
	for i := 0; i < n; i += 2 {
		if 2*i+4 > len(src) {
			return nil, malformed("%s frame with odd pixel count %d", f.photometric, n)
		}
		q := src[2*i:]
		y0, y1, cb, cr := int32(q[0]), int32(q[1]), int32(q[2]), int32(q[3])
		s.v[3*i], s.v[3*i+1], s.v[3*i+2] = y0, cb, cr
		if i+1 < n {
			s.v[3*i+3], s.v[3*i+4], s.v[3*i+5] = y1, cb, cr
		}
	}
	if f.photometric == "YBR_FULL_422" {
		s.photometric = "YBR_FULL"
	} else {
		s.photometric = "YBR_PARTIAL"
	}
	return s, nil
}
