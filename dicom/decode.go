package dicom

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Tag is a data element tag, group in the high 16 bits.
type Tag uint32

// NewTag builds a tag from its group and element numbers.
func NewTag(group, element uint16) Tag { return Tag(uint32(group)<<16 | uint32(element)) }

// Group returns the group number.
func (t Tag) Group() uint16 { return uint16(t >> 16) }

// Element returns the element number.
func (t Tag) Element() uint16 { return uint16(t) }

// String formats the tag as "(gggg,eeee)" in lowercase hex.
func (t Tag) String() string { return fmt.Sprintf("(%04x,%04x)", uint16(t>>16), uint16(t)) }

// Tags the package refers to by name.
const (
	TagSpecificCharacterSet Tag = 0x00080005
	TagTransferSyntaxUID    Tag = 0x00020010
	TagPixelData            Tag = 0x7FE00010
	TagItem                 Tag = 0xFFFEE000
	TagItemDelimitation     Tag = 0xFFFEE00D
	TagSequenceDelimitation Tag = 0xFFFEE0DD
)

// undefinedLength is the value length 0xFFFFFFFF (PS3.5 §7.1.2).
const undefinedLength = 0xFFFFFFFF

// vrCode packs a two-letter VR, first letter in the high byte.
type vrCode uint16

func vrOf(a, b byte) vrCode { return vrCode(a)<<8 | vrCode(b) }

func (v vrCode) String() string { return string([]byte{byte(v >> 8), byte(v)}) }

func vrFromString(s string) vrCode {
	if len(s) != 2 {
		return 0
	}
	return vrOf(s[0], s[1])
}

// VR codes used in switches.
var (
	vrAE = vrOf('A', 'E')
	vrAS = vrOf('A', 'S')
	vrAT = vrOf('A', 'T')
	vrCS = vrOf('C', 'S')
	vrDA = vrOf('D', 'A')
	vrDS = vrOf('D', 'S')
	vrDT = vrOf('D', 'T')
	vrFD = vrOf('F', 'D')
	vrFL = vrOf('F', 'L')
	vrIS = vrOf('I', 'S')
	vrLO = vrOf('L', 'O')
	vrLT = vrOf('L', 'T')
	vrOB = vrOf('O', 'B')
	vrOD = vrOf('O', 'D')
	vrOF = vrOf('O', 'F')
	vrOL = vrOf('O', 'L')
	vrOV = vrOf('O', 'V')
	vrOW = vrOf('O', 'W')
	vrPN = vrOf('P', 'N')
	vrSH = vrOf('S', 'H')
	vrSL = vrOf('S', 'L')
	vrSQ = vrOf('S', 'Q')
	vrSS = vrOf('S', 'S')
	vrST = vrOf('S', 'T')
	vrSV = vrOf('S', 'V')
	vrTM = vrOf('T', 'M')
	vrUC = vrOf('U', 'C')
	vrUI = vrOf('U', 'I')
	vrUL = vrOf('U', 'L')
	vrUN = vrOf('U', 'N')
	vrUR = vrOf('U', 'R')
	vrUS = vrOf('U', 'S')
	vrUT = vrOf('U', 'T')
	vrUV = vrOf('U', 'V')
)

// longVR reports whether an explicit VR uses the 12-byte header with a
// 32-bit length (PS3.5 Table 7.1-1).
func longVR(v vrCode) bool {
	switch v {
	case vrOB, vrOD, vrOF, vrOL, vrOV, vrOW, vrSQ, vrSV, vrUC, vrUN, vrUR, vrUT, vrUV:
		return true
	}
	return false
}

// knownVR reports whether v is one of the VRs of PS3.5 §6.2.
func knownVR(v vrCode) bool {
	switch v {
	case vrAE, vrAS, vrAT, vrCS, vrDA, vrDS, vrDT, vrFD, vrFL, vrIS, vrLO, vrLT, vrOB, vrOD, vrOF, vrOL,
		vrOV, vrOW, vrPN, vrSH, vrSL, vrSQ, vrSS, vrST, vrSV, vrTM, vrUC, vrUI, vrUL, vrUN, vrUR, vrUS, vrUT, vrUV:
		return true
	}
	return false
}

// elemHeader is one decoded element header.
type elemHeader struct {
	tag    Tag
	vr     vrCode // 0 in implicit VR and for item/delimiter tags
	length uint32
	offset int // offset of the header in the buffer
}

// decoder walks element headers of an in-memory dataset. It never reads
// outside buf: every access is preceded by a length check.
type decoder struct {
	buf      []byte
	pos      int
	be       bool // big endian
	implicit bool
	op       string // for error messages, e.g. "parse summary"
}

func (d *decoder) u16(i int) uint16 {
	if d.be {
		return binary.BigEndian.Uint16(d.buf[i:])
	}
	return binary.LittleEndian.Uint16(d.buf[i:])
}

func (d *decoder) u32(i int) uint32 {
	if d.be {
		return binary.BigEndian.Uint32(d.buf[i:])
	}
	return binary.LittleEndian.Uint32(d.buf[i:])
}

func (d *decoder) remaining() int { return len(d.buf) - d.pos }

// FormatError describes malformed DICOM data.
type FormatError struct {
	Op     string // operation, e.g. "parse summary"
	Tag    Tag    // element concerned (0 when unknown)
	HasTag bool
	Offset int // byte offset in the (inflated) dataset
	Msg    string
}

func (e *FormatError) Error() string {
	if e.HasTag {
		return fmt.Sprintf("dicom: %s: element %s %s", e.Op, e.Tag, e.Msg)
	}
	return fmt.Sprintf("dicom: %s: %s at offset %d", e.Op, e.Msg, e.Offset)
}

func (d *decoder) errf(format string, args ...any) error {
	return &FormatError{Op: d.op, Offset: d.pos, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) tagErrf(t Tag, off int, format string, args ...any) error {
	return &FormatError{Op: d.op, Tag: t, HasTag: true, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// header decodes the element header at d.pos and advances past it. Item and
// delimiter tags (group FFFE) never carry a VR.
func (d *decoder) header() (elemHeader, error) {
	p := d.pos
	if len(d.buf)-p < 8 {
		return elemHeader{}, d.errf("truncated element header (%d bytes left)", len(d.buf)-p)
	}
	h := elemHeader{tag: Tag(uint32(d.u16(p))<<16 | uint32(d.u16(p+2))), offset: p}
	if d.implicit || h.tag>>16 == 0xFFFE {
		h.length = d.u32(p + 4)
		d.pos = p + 8
		return h, nil
	}
	h.vr = vrOf(d.buf[p+4], d.buf[p+5])
	if longVR(h.vr) {
		if len(d.buf)-p < 12 {
			return elemHeader{}, d.tagErrf(h.tag, p, "truncated %s header (%d bytes left)", h.vr, len(d.buf)-p)
		}
		h.length = d.u32(p + 8)
		d.pos = p + 12
		return h, nil
	}
	h.length = uint32(d.u16(p + 6))
	d.pos = p + 8
	return h, nil
}

// value returns the value bytes of a defined-length element and advances.
func (d *decoder) value(h elemHeader) ([]byte, error) {
	if int64(h.length) > int64(len(d.buf)-d.pos) {
		return nil, d.tagErrf(h.tag, h.offset, "length %d exceeds remaining %d bytes", h.length, len(d.buf)-d.pos)
	}
	v := d.buf[d.pos : d.pos+int(h.length)]
	d.pos += int(h.length)
	return v, nil
}

// skipUndefined skips the contents of an undefined-length sequence (or
// encapsulated pixel data) whose header has just been read, up to and
// including its sequence delimitation item. It iterates with a depth counter
// instead of recursing, so nesting cannot exhaust the stack. A UN element of
// undefined length inside Explicit VR data is encoded as Implicit VR Little
// Endian (PS3.5 §6.2.2); that switch happens at most once, so the single
// nested call is bounded.
func (d *decoder) skipUndefined(open elemHeader) error {
	if open.vr == vrUN && !d.implicit {
		saveBE := d.be
		d.implicit, d.be = true, false
		defer func() { d.implicit, d.be = false, saveBE }()
	}
	depth := 1
	for depth > 0 {
		if d.remaining() == 0 {
			return d.tagErrf(open.tag, open.offset, "undefined-length value not terminated")
		}
		h, err := d.header()
		if err != nil {
			return err
		}
		switch h.tag {
		case TagItemDelimitation, TagSequenceDelimitation:
			depth--
			continue
		}
		if h.length != undefinedLength {
			if _, err := d.value(h); err != nil {
				return err
			}
			continue
		}
		if h.vr == vrUN {
			if err := d.skipUndefined(h); err != nil {
				return err
			}
			continue
		}
		depth++
	}
	return nil
}

// sniffEncoding corrects a declared encoding when the first element clearly
// contradicts it: data declared explicit whose first "VR" is not a VR is read
// as implicit, and data declared implicit (or unknown) whose first element
// carries a valid explicit VR and whose implicit length would not fit is read
// as explicit. Many archives hold files with such mislabelled datasets.
func sniffEncoding(buf []byte, be, explicit bool) bool {
	if len(buf) < 8 {
		return explicit
	}
	vrOK := knownVR(vrOf(buf[4], buf[5]))
	if explicit {
		return vrOK
	}
	if !vrOK {
		return false
	}
	var l uint32
	if be {
		l = binary.BigEndian.Uint32(buf[4:])
	} else {
		l = binary.LittleEndian.Uint32(buf[4:])
	}
	return int64(l) > int64(len(buf)-8)
}

// opError prefixes an inner "dicom: ..." error with an outer operation
// without repeating the package prefix: "dicom: read file x: parse
// summary: ...". errors.Is/As see the inner error.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string {
	return "dicom: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), "dicom: ")
}

func (e *opError) Unwrap() error { return e.err }

func wrapOp(op string, err error) error { return &opError{op: op, err: err} }
