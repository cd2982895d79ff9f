package phantom

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// tag is a DICOM attribute tag as group<<16 | element, so that numeric order
// is the order PS3.5 §7.1 requires inside a dataset.
type tag uint32

func (t tag) String() string { return fmt.Sprintf("(%04X,%04X)", uint16(t>>16), uint16(t)) }

const (
	tagItem              tag = 0xFFFEE000
	tagItemDelimitation  tag = 0xFFFEE00D
	tagSequenceDelimiter tag = 0xFFFEE0DD
	tagPixelData         tag = 0x7FE00010
	undefinedLength          = 0xFFFFFFFF
)

// maxValueChars is the PS3.5 §6.2 maximum length of one value, in
// characters, for the string VRs this package writes; 0 means unchecked.
func maxValueChars(vr string) int {
	switch vr {
	case "AS":
		return 4
	case "DA":
		return 8
	case "IS":
		return 12
	case "TM":
		return 14
	case "AE", "CS", "DS", "SH":
		return 16
	case "DT":
		return 26
	case "LO", "PN", "UI":
		return 64
	case "ST":
		return 1024
	case "LT":
		return 10240
	}
	return 0
}

// longVR reports whether an explicit VR uses the 2 reserved bytes and a
// 32-bit length (PS3.5 §7.1.2).
func longVR(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV":
		return true
	}
	return false
}

// element is one data element waiting to be encoded.
type element struct {
	tag   tag
	vr    string
	value []byte     // already padded to even length (not for SQ / fragments)
	items []*dataset // SQ items
	frags [][]byte   // encapsulated pixel data: offset table then fragments
	encap bool       // undefined-length encapsulated pixel data
}

// dataset collects elements in any order and encodes them sorted by tag.
// The first builder error is kept and returned by encode, so call sites stay
// linear; there is no global state.
type dataset struct {
	elems []element
	err   error
}

func (d *dataset) fail(t tag, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("phantom: element %s: %s", t, fmt.Sprintf(format, args...))
	}
}

func (d *dataset) add(e element) {
	for _, old := range d.elems {
		if old.tag == e.tag {
			d.fail(e.tag, "set twice")
			return
		}
	}
	d.elems = append(d.elems, e)
}

// str adds a string element; several values are joined with a backslash.
// UI values are padded with NUL, the others with a space.
func (d *dataset) str(t tag, vr string, values ...string) {
	if max := maxValueChars(vr); max > 0 {
		for _, v := range values {
			if len(v) > max {
				d.fail(t, "%s value %q longer than %d", vr, v, max)
			}
			if strings.ContainsRune(v, '\\') && vr != "LT" && vr != "ST" {
				d.fail(t, "value %q contains a backslash", v)
			}
		}
	}
	s := strings.Join(values, `\`)
	if len(s)%2 == 1 {
		if vr == "UI" {
			s += "\x00"
		} else {
			s += " "
		}
	}
	d.add(element{tag: t, vr: vr, value: []byte(s)})
}

// ds adds a decimal string; every value must fit 16 characters.
func (d *dataset) ds(t tag, values ...float64) {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = formatDS(v)
	}
	d.str(t, "DS", out...)
}

// formatDS renders v in at most 16 characters, as few digits as needed.
func formatDS(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	for prec := 15; len(s) > 16 && prec > 0; prec-- {
		s = strconv.FormatFloat(v, 'g', prec, 64)
	}
	return s
}

// is adds an integer string.
func (d *dataset) is(t tag, values ...int) {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = strconv.Itoa(v)
	}
	d.str(t, "IS", out...)
}

func (d *dataset) us(t tag, values ...uint16) {
	b := make([]byte, 2*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	d.add(element{tag: t, vr: "US", value: b})
}

func (d *dataset) ss(t tag, values ...int16) {
	b := make([]byte, 2*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	d.add(element{tag: t, vr: "SS", value: b})
}

func (d *dataset) ul(t tag, values ...uint32) {
	b := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	d.add(element{tag: t, vr: "UL", value: b})
}

func (d *dataset) fd(t tag, values ...float64) {
	b := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	d.add(element{tag: t, vr: "FD", value: b})
}

// at adds an attribute-tag value (used by Frame Increment Pointer).
func (d *dataset) at(t tag, values ...tag) {
	b := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint16(b[4*i:], uint16(v>>16))
		binary.LittleEndian.PutUint16(b[4*i+2:], uint16(v))
	}
	d.add(element{tag: t, vr: "AT", value: b})
}

// bin adds an OB or OW value (padded with one zero byte when odd).
func (d *dataset) bin(t tag, vr string, b []byte) {
	if len(b)%2 == 1 {
		b = append(slices.Clip(b), 0)
	}
	d.add(element{tag: t, vr: vr, value: b})
}

// seq adds a sequence; no items means an empty (zero-length) sequence.
func (d *dataset) seq(t tag, items ...*dataset) {
	for _, it := range items {
		if it.err != nil && d.err == nil {
			d.err = it.err
		}
	}
	d.add(element{tag: t, vr: "SQ", items: items})
}

// encapsulated adds PixelData as encapsulated OB (PS3.5 §A.4): a Basic
// Offset Table item with one offset per frame, then one fragment per frame.
func (d *dataset) encapsulated(frames [][]byte) {
	bot := make([]byte, 4*len(frames))
	frags := [][]byte{bot}
	var off uint32
	for i, f := range frames {
		binary.LittleEndian.PutUint32(bot[4*i:], off)
		if len(f)%2 == 1 {
			f = append(slices.Clip(f), 0)
		}
		frags = append(frags, f)
		off += 8 + uint32(len(f))
	}
	d.add(element{tag: tagPixelData, vr: "OB", frags: frags, encap: true})
}

// code builds one Code Sequence item (PS3.3 §8.8).
func code(value, scheme, meaning string) *dataset {
	it := &dataset{}
	it.str(0x00080100, "SH", value)
	it.str(0x00080102, "SH", scheme)
	it.str(0x00080104, "LO", meaning)
	return it
}

// encode writes the dataset in little endian, explicit or implicit VR,
// sorted by tag. Sequences and items use defined lengths.
func (d *dataset) encode(explicit bool) ([]byte, error) {
	var buf bytes.Buffer
	if err := d.encodeTo(&buf, explicit); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (d *dataset) encodeTo(buf *bytes.Buffer, explicit bool) error {
	if d.err != nil {
		return d.err
	}
	elems := slices.Clone(d.elems)
	slices.SortStableFunc(elems, func(a, b element) int {
		switch {
		case a.tag < b.tag:
			return -1
		case a.tag > b.tag:
			return 1
		}
		return 0
	})
	for _, e := range elems {
		switch {
		case e.encap:
			if !explicit {
				return fmt.Errorf("phantom: encapsulated pixel data needs an explicit VR transfer syntax")
			}
			writeHeader(buf, e.tag, "OB", undefinedLength, true)
			for _, f := range e.frags {
				writeTag(buf, tagItem)
				writeU32(buf, uint32(len(f)))
				buf.Write(f)
			}
			writeTag(buf, tagSequenceDelimiter)
			writeU32(buf, 0)
		case e.vr == "SQ":
			var body bytes.Buffer
			for _, it := range e.items {
				var ib bytes.Buffer
				if err := it.encodeTo(&ib, explicit); err != nil {
					return err
				}
				writeTag(&body, tagItem)
				writeU32(&body, uint32(ib.Len()))
				body.Write(ib.Bytes())
			}
			writeHeader(buf, e.tag, "SQ", uint32(body.Len()), explicit)
			buf.Write(body.Bytes())
		default:
			if len(e.value)%2 == 1 {
				return fmt.Errorf("phantom: element %s has odd length %d", e.tag, len(e.value))
			}
			if explicit && !longVR(e.vr) && len(e.value) > 0xFFFF {
				return fmt.Errorf("phantom: element %s: %d bytes do not fit a %s", e.tag, len(e.value), e.vr)
			}
			writeHeader(buf, e.tag, e.vr, uint32(len(e.value)), explicit)
			buf.Write(e.value)
		}
	}
	return nil
}

func writeTag(buf *bytes.Buffer, t tag) {
	var b [4]byte
	binary.LittleEndian.PutUint16(b[0:], uint16(t>>16))
	binary.LittleEndian.PutUint16(b[2:], uint16(t))
	buf.Write(b[:])
}

func writeU32(buf *bytes.Buffer, v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	buf.Write(b[:])
}

func writeHeader(buf *bytes.Buffer, t tag, vr string, length uint32, explicit bool) {
	writeTag(buf, t)
	if !explicit {
		writeU32(buf, length)
		return
	}
	buf.WriteString(vr)
	if longVR(vr) {
		buf.Write([]byte{0, 0})
		writeU32(buf, length)
		return
	}
	var b [2]byte
	binary.LittleEndian.PutUint16(b[:], uint16(length))
	buf.Write(b[:])
}
