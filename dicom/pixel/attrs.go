package pixel

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
)

// Attribute accessors over a parsed item. Binary values use the dataset's
// byte order; numeric strings (IS, DS) are parsed leniently (first value).

func (it item) has(tag uint32) bool { _, ok := it.vals[tag]; return ok }

// uint16s returns the 16-bit values of a US/SS/OW (or implicit VR) element.
func (it item) uint16s(tag uint32, bo binary.ByteOrder) []uint16 {
	v, ok := it.vals[tag]
	if !ok {
		return nil
	}
	out := make([]uint16, len(v.data)/2)
	for i := range out {
		out[i] = bo.Uint16(v.data[2*i:])
	}
	return out
}

// us returns the first value of a US element, or def.
func (it item) us(tag uint32, bo binary.ByteOrder, def int) int {
	v, ok := it.vals[tag]
	if !ok || len(v.data) < 2 {
		return def
	}
	return int(bo.Uint16(v.data))
}

// str returns the first value of a string element, trimmed.
func (it item) str(tag uint32) string {
	v, ok := it.vals[tag]
	if !ok {
		return ""
	}
	s := string(v.data)
	if i := strings.IndexByte(s, '\\'); i >= 0 {
		s = s[:i]
	}
	return strings.Trim(s, "\x00 ")
}

// num returns the first value of an IS/DS element and whether it was present and valid.
func (it item) num(tag uint32) (float64, bool) {
	s := it.str(tag)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// pixelValue reads a US/SS (or UL/SL) value such as Pixel Padding Value,
// sign-interpreted when signed is set or the VR says so.
func (it item) pixelValue(tag uint32, bo binary.ByteOrder, signed bool) (int64, bool) {
	v, ok := it.vals[tag]
	if !ok {
		return 0, false
	}
	switch {
	case len(v.data) == 2 || (len(v.data) > 2 && v.vr != "SL" && v.vr != "UL"):
		u := bo.Uint16(v.data)
		if signed || v.vr == "SS" {
			return int64(int16(u)), true
		}
		return int64(u), true
	case len(v.data) >= 4:
		u := bo.Uint32(v.data)
		if signed || v.vr == "SL" {
			return int64(int32(u)), true
		}
		return int64(u), true
	}
	return 0, false
}

// firstItem returns the first item of a kept sequence.
func (it item) firstItem(tag uint32) (item, bool) {
	s := it.seqs[tag]
	if len(s) == 0 {
		return item{}, false
	}
	return s[0], true
}
