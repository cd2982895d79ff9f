package dicom

import (
	"bytes"
	"fmt"
	"slices"
)

// EqualDatasets parses two raw datasets (no meta) in their transfer
// syntaxes and compares them element by element, recursing into sequence
// items and encapsulated fragments: same tags in the same order, same VR
// (checked only when both sides carry explicit VRs), same values. Binary
// numbers are compared in a common byte order, so the same data in Implicit
// Little, Explicit Little, Explicit Big Endian or Deflated compares equal;
// trailing string padding (space or NUL) is ignored; group length elements
// (gggg,0000), group 0002 and Data Set Trailing Padding are skipped. Native
// Pixel Data in big endian is compared per pixel of Bits Allocated. It returns the first difference
// as text, or an error if either side does not parse.
func EqualDatasets(a, b []byte, tsA, tsB string) (bool, string, error) {
	da, err := ParseDataset(a, tsA)
	if err != nil {
		return false, "", wrapOp("compare: first dataset", err)
	}
	db, err := ParseDataset(b, tsB)
	if err != nil {
		return false, "", wrapOp("compare: second dataset", err)
	}
	diff := compareDatasets(da, db, "")
	return diff == "", diff, nil
}

// comparedElements returns the elements taking part in a comparison.
func comparedElements(ds *Dataset) []*Element {
	out := make([]*Element, 0, len(ds.Elements))
	for _, e := range ds.Elements {
		if e.Tag.Element() == 0 || e.Tag.Group() == 0x0002 || e.Tag == tagTrailingPadding {
			continue
		}
		out = append(out, e)
	}
	return out
}

func compareDatasets(a, b *Dataset, path string) string {
	ea, eb := comparedElements(a), comparedElements(b)
	for i := 0; i < len(ea) || i < len(eb); i++ {
		switch {
		case i >= len(ea):
			return fmt.Sprintf("%s%s: only in second dataset", path, eb[i].Tag)
		case i >= len(eb):
			return fmt.Sprintf("%s%s: only in first dataset", path, ea[i].Tag)
		}
		x, y := ea[i], eb[i]
		p := path + x.Tag.String()
		if x.Tag != y.Tag {
			return fmt.Sprintf("%s: tag differs from %s", p, y.Tag)
		}
		if !a.ImplicitVR && !b.ImplicitVR && x.VR != y.VR {
			return fmt.Sprintf("%s: vr %s != %s", p, x.VR, y.VR)
		}
		if d := compareElements(a, b, x, y, p); d != "" {
			return d
		}
	}
	return ""
}

func compareElements(a, b *Dataset, x, y *Element, p string) string {
	if len(x.Items) != len(y.Items) {
		return fmt.Sprintf("%s: %d items != %d", p, len(x.Items), len(y.Items))
	}
	for i := range x.Items {
		if d := compareDatasets(x.Items[i], y.Items[i], fmt.Sprintf("%s[%d]", p, i)); d != "" {
			return d
		}
	}
	if len(x.Fragments) != len(y.Fragments) {
		return fmt.Sprintf("%s: %d fragments != %d", p, len(x.Fragments), len(y.Fragments))
	}
	for i := range x.Fragments {
		if !bytes.Equal(x.Fragments[i], y.Fragments[i]) {
			return fmt.Sprintf("%s: fragment %d differs", p, i)
		}
	}
	va, vb := normalizedValue(a, x), normalizedValue(b, y)
	if !bytes.Equal(va, vb) {
		return fmt.Sprintf("%s: value %s != %s", p, showValue(va), showValue(vb))
	}
	return ""
}

// normalizedValue returns the value in little endian order with trailing
// string padding removed.
func normalizedValue(ds *Dataset, e *Element) []byte {
	v := vrFromString(e.VR)
	size := 0
	switch v {
	case vrUS, vrSS, vrOW, vrAT:
		size = 2
	case vrUL, vrSL, vrFL, vrOF, vrOL:
		size = 4
	case vrFD, vrOD, vrSV, vrUV, vrOV:
		size = 8
	case vrOB, vrUN:
	default:
		return bytes.TrimRight(e.Value, " \x00")
	}
	if !ds.BigEndian || size == 0 {
		return e.Value
	}
	if e.Tag == TagPixelData && v == vrOW {
		// Big endian writers swap native pixel data by pixel size.
		if ba := ds.Find(tagBitsAllocated); ba != nil && len(ba.Value) >= 2 {
			if bits := int(ds.uint16At(ba, 0)); bits == 32 || bits == 64 {
				size = bits / 8
			}
		}
	}
	out := slices.Clone(e.Value)
	for i := 0; i+size <= len(out); i += size {
		slices.Reverse(out[i : i+size])
	}
	return out
}

// tagTrailingPadding is Data Set Trailing Padding, which carries no data.
const tagTrailingPadding Tag = 0xFFFCFFFC

// showValue renders a value for a difference message.
func showValue(v []byte) string {
	const max = 32
	if len(v) > max {
		return fmt.Sprintf("%q… (%d bytes)", v[:max], len(v))
	}
	return fmt.Sprintf("%q", v)
}
