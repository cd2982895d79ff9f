package phantom

import (
	"encoding/binary"
	"fmt"
)

// testElem is one top-level element found by walk.
type testElem struct {
	tag   tag
	vr    string
	value []byte
}

// walk reads the top-level elements of a little-endian dataset (explicit or
// implicit VR), checking order and even lengths. Sequences with defined
// length are skipped whole; encapsulated pixel data is returned as its raw
// item stream. It exists to check the encoder, not as a general parser.
func walk(b []byte, explicit bool) ([]testElem, error) {
	var out []testElem
	var last tag
	for off := 0; off < len(b); {
		if len(b)-off < 8 {
			return nil, fmt.Errorf("truncated header at %d", off)
		}
		t := tag(uint32(binary.LittleEndian.Uint16(b[off:]))<<16 | uint32(binary.LittleEndian.Uint16(b[off+2:])))
		if len(out) > 0 && t <= last {
			return nil, fmt.Errorf("tag %s after %s: not ascending", t, last)
		}
		last = t
		var vr string
		var length uint32
		if explicit {
			vr = string(b[off+4 : off+6])
			if longVR(vr) {
				if len(b)-off < 12 {
					return nil, fmt.Errorf("truncated long header at %d", off)
				}
				length = binary.LittleEndian.Uint32(b[off+8:])
				off += 12
			} else {
				length = uint32(binary.LittleEndian.Uint16(b[off+6:]))
				off += 8
			}
		} else {
			length = binary.LittleEndian.Uint32(b[off+4:])
			off += 8
		}
		if length == undefinedLength {
			if t != tagPixelData {
				return nil, fmt.Errorf("undefined length on %s", t)
			}
			out = append(out, testElem{tag: t, vr: vr, value: b[off:]})
			return out, nil
		}
		if length%2 == 1 {
			return nil, fmt.Errorf("odd length %d on %s", length, t)
		}
		if int(length) > len(b)-off {
			return nil, fmt.Errorf("length %d of %s beyond end", length, t)
		}
		out = append(out, testElem{tag: t, vr: vr, value: b[off : off+int(length)]})
		off += int(length)
	}
	return out, nil
}

func find(es []testElem, t tag) (testElem, bool) {
	for _, e := range es {
		if e.tag == t {
			return e, true
		}
	}
	return testElem{}, false
}
