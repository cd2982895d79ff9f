package pixel

import (
	"bytes"
	"encoding/binary"
)

// encapsulatedFrame returns the compressed bytes of frame k (0-based) of
// encapsulated pixel data with the given number of frames (PS3.5 A.4).
// Fragments are mapped to frames by, in order: a single frame takes every
// fragment; the Extended Offset Table; the Basic Offset Table; one fragment
// per frame; for JPEG family syntaxes, a new frame at each fragment that
// starts with an SOI marker.
func (ds *dataset) encapsulatedFrame(k, frames int) ([]byte, error) {
	p := ds.pixel
	if len(p.fragments) == 0 {
		return nil, malformed("encapsulated pixel data without fragments")
	}
	if frames == 1 {
		return concat(p.fragments), nil
	}
	if offs := ds.extendedOffsets(); len(offs) == frames {
		return p.byOffsets(k, offs)
	}
	if len(p.offsets) == frames {
		offs := make([]uint64, frames)
		for i, o := range p.offsets {
			offs[i] = uint64(o)
		}
		return p.byOffsets(k, offs)
	}
	if len(p.fragments) == frames {
		return p.fragments[k], nil
	}
	if isJPEGFamily(ds.ts) {
		var starts []int
		for i, f := range p.fragments {
			if len(f) >= 2 && f[0] == 0xFF && f[1] == 0xD8 {
				starts = append(starts, i)
			}
		}
		if len(starts) == frames && starts[0] == 0 {
			end := len(p.fragments)
			if k+1 < frames {
				end = starts[k+1]
			}
			return concat(p.fragments[starts[k]:end]), nil
		}
	}
	return nil, malformed("cannot map %d fragments to %d frames without an offset table", len(p.fragments), frames)
}

// byOffsets selects the fragments whose item offsets lie in [offs[k], offs[k+1]).
func (p *pixelElement) byOffsets(k int, offs []uint64) ([]byte, error) {
	for i := 1; i < len(offs); i++ {
		if offs[i] <= offs[i-1] {
			return nil, malformed("offset table is not increasing")
		}
	}
	lo, hi := offs[k], uint64(1)<<63
	if k+1 < len(offs) {
		hi = offs[k+1]
	}
	var parts [][]byte
	aligned := false
	for i, o := range p.fragOffsets {
		if uint64(o) == lo {
			aligned = true
		}
		if uint64(o) >= lo && uint64(o) < hi {
			parts = append(parts, p.fragments[i])
		}
	}
	if !aligned || len(parts) == 0 {
		return nil, malformed("offset %d of frame %d does not start a fragment", lo, k)
	}
	return concat(parts), nil
}

// extendedOffsets returns the Extended Offset Table (7FE0,0001), if any.
func (ds *dataset) extendedOffsets() []uint64 {
	v, ok := ds.top.vals[tagExtOffsetTable]
	if !ok {
		return nil
	}
	out := make([]uint64, len(v.data)/8)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(v.data[8*i:])
	}
	return out
}

func concat(parts [][]byte) []byte {
	if len(parts) == 1 {
		return parts[0]
	}
	return bytes.Join(parts, nil)
}

func isJPEGFamily(ts string) bool {
	switch ts {
	case tsJPEGBaseline, tsJPEGExtended, tsJPEGLossless, tsJPEGLosslessS,
		"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81":
		return true
	}
	return false
}
