package dicom

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// BulkDataRef identifies a value that ToJSON does not inline.
type BulkDataRef struct {
	// Path locates the element: "GGGGEEEE" at the top level,
	// "GGGGEEEE/<item>/GGGGEEEE" inside sequences (items counted from 0).
	Path   string
	Tag    Tag
	VR     string
	Length int // value bytes (sum of fragments for encapsulated data)
}

// JSONOptions controls ToJSON.
type JSONOptions struct {
	// BulkDataURI returns the URI of a bulk value (Pixel Data, and binary
	// values longer than InlineBinaryMax). A nil func or an empty result
	// leaves the value out: the attribute is written with its "vr" only.
	BulkDataURI func(ref BulkDataRef) string
	// InlineBinaryMax is the largest binary value (OB, OD, OF, OL, OV, OW,
	// UN) written inline as base64; 0 means DefaultInlineBinaryMax.
	// Pixel Data is never inlined.
	InlineBinaryMax int
}

// DefaultInlineBinaryMax is the default JSONOptions.InlineBinaryMax.
const DefaultInlineBinaryMax = 1024

// ToJSON reads a Part-10 file of size bytes from r (a bare dataset is
// accepted too) and returns its dataset in the DICOM JSON Model (PS3.18
// Annex F.2) as one JSON object. File Meta Information (group 0002) is not
// part of the model and is left out, as are group length elements. Text is
// decoded to UTF-8 with the Specific Character Set.
func ToJSON(r io.Reader, size int64, opts JSONOptions) ([]byte, error) {
	f, err := ParseFile(r, size)
	if err != nil {
		return nil, wrapOp("to json", err)
	}
	return DatasetJSON(f.Dataset, opts)
}

// DatasetJSON encodes a parsed dataset in the DICOM JSON Model.
func DatasetJSON(ds *Dataset, opts JSONOptions) ([]byte, error) {
	if opts.InlineBinaryMax == 0 {
		opts.InlineBinaryMax = DefaultInlineBinaryMax
	}
	enc := jsonEncoder{opts: opts, buf: make([]byte, 0, 4096)}
	enc.dataset(ds, "", true)
	return enc.buf, nil
}

type jsonEncoder struct {
	opts JSONOptions
	buf  []byte
}

func (j *jsonEncoder) dataset(ds *Dataset, path string, top bool) {
	elems := ds.Elements
	if !slices.IsSortedFunc(elems, func(a, b *Element) int { return int(int64(a.Tag) - int64(b.Tag)) }) {
		elems = slices.Clone(elems)
		slices.SortStableFunc(elems, func(a, b *Element) int { return int(int64(a.Tag) - int64(b.Tag)) })
	}
	j.buf = append(j.buf, '{')
	first := true
	for i, e := range elems {
		if e.Tag.Element() == 0 || (top && e.Tag.Group() == 0x0002) {
			continue
		}
		if i > 0 && elems[i-1].Tag == e.Tag {
			continue // a repeated tag (malformed data): the first one wins
		}
		if !first {
			j.buf = append(j.buf, ',')
		}
		first = false
		var kb [8]byte
		key := string(appendTagKey(kb[:0], e.Tag))
		j.buf = append(j.buf, '"')
		j.buf = append(j.buf, key...)
		j.buf = append(j.buf, `":{"vr":"`...)
		j.buf = append(j.buf, e.VR...)
		j.buf = append(j.buf, '"')
		p := key
		if path != "" {
			p = path + "/" + key
		}
		j.element(ds, e, p)
		j.buf = append(j.buf, '}')
	}
	j.buf = append(j.buf, '}')
}

// element writes the value part of one attribute (after "vr").
func (j *jsonEncoder) element(ds *Dataset, e *Element, path string) {
	v := vrFromString(e.VR)
	switch {
	case v == vrSQ || e.Items != nil:
		if len(e.Items) == 0 {
			return
		}
		j.buf = append(j.buf, `,"Value":[`...)
		for i, item := range e.Items {
			if i > 0 {
				j.buf = append(j.buf, ',')
			}
			j.dataset(item, path+"/"+strconv.Itoa(i), false)
		}
		j.buf = append(j.buf, ']')
		return
	case e.Fragments != nil:
		n := 0
		for _, f := range e.Fragments {
			n += len(f)
		}
		j.bulk(e, path, n)
		return
	case len(e.Value) == 0:
		return
	}
	switch v {
	case vrOB, vrOD, vrOF, vrOL, vrOV, vrOW, vrUN:
		isPixels := e.Tag == TagPixelData || e.Tag == 0x7FE00008 || e.Tag == 0x7FE00009
		if isPixels || len(e.Value) > j.opts.InlineBinaryMax {
			j.bulk(e, path, len(e.Value))
			return
		}
		j.buf = append(j.buf, `,"InlineBinary":"`...)
		j.buf = base64.StdEncoding.AppendEncode(j.buf, littleEndianBytes(ds, v, e.Value))
		j.buf = append(j.buf, '"')
		return
	}
	if !binaryNumberVR(v) && len(trimBytes(e.Value)) == 0 {
		return // only padding: an empty value
	}
	j.buf = append(j.buf, `,"Value":[`...)
	switch v {
	case vrUS, vrSS, vrUL, vrSL, vrFL, vrFD, vrSV, vrUV, vrAT:
		j.binaryNumbers(ds, v, e.Value)
	case vrIS, vrDS:
		for i, s := range ds.elementStrings(e) {
			if i > 0 {
				j.buf = append(j.buf, ',')
			}
			j.numberString(s)
		}
	case vrPN:
		for i, s := range ds.elementStrings(e) {
			if i > 0 {
				j.buf = append(j.buf, ',')
			}
			j.personName(s)
		}
	default:
		for i, s := range ds.elementStrings(e) {
			if i > 0 {
				j.buf = append(j.buf, ',')
			}
			if s == "" {
				j.buf = append(j.buf, "null"...)
			} else {
				j.buf = appendJSONString(j.buf, s)
			}
		}
	}
	j.buf = append(j.buf, ']')
}

func binaryNumberVR(v vrCode) bool {
	switch v {
	case vrUS, vrSS, vrUL, vrSL, vrFL, vrFD, vrSV, vrUV, vrAT:
		return true
	}
	return false
}

func (j *jsonEncoder) bulk(e *Element, path string, n int) {
	if j.opts.BulkDataURI == nil {
		return
	}
	uri := j.opts.BulkDataURI(BulkDataRef{Path: path, Tag: e.Tag, VR: e.VR, Length: n})
	if uri == "" {
		return
	}
	j.buf = append(j.buf, `,"BulkDataURI":`...)
	j.buf = appendJSONString(j.buf, uri)
}

// binaryNumbers writes the values of a binary numeric VR (and AT).
func (j *jsonEncoder) binaryNumbers(ds *Dataset, v vrCode, b []byte) {
	var bo binary.ByteOrder = binary.LittleEndian
	if ds.BigEndian {
		bo = binary.BigEndian
	}
	size := 2
	switch v {
	case vrUL, vrSL, vrFL, vrAT:
		size = 4
	case vrFD, vrSV, vrUV:
		size = 8
	}
	for i := 0; i+size <= len(b); i += size {
		if i > 0 {
			j.buf = append(j.buf, ',')
		}
		switch v {
		case vrUS:
			j.buf = strconv.AppendUint(j.buf, uint64(bo.Uint16(b[i:])), 10)
		case vrSS:
			j.buf = strconv.AppendInt(j.buf, int64(int16(bo.Uint16(b[i:]))), 10)
		case vrUL:
			j.buf = strconv.AppendUint(j.buf, uint64(bo.Uint32(b[i:])), 10)
		case vrSL:
			j.buf = strconv.AppendInt(j.buf, int64(int32(bo.Uint32(b[i:]))), 10)
		case vrUV:
			j.buf = strconv.AppendUint(j.buf, bo.Uint64(b[i:]), 10)
		case vrSV:
			j.buf = strconv.AppendInt(j.buf, int64(bo.Uint64(b[i:])), 10)
		case vrFL:
			j.float(float64(math.Float32frombits(bo.Uint32(b[i:]))), 32)
		case vrFD:
			j.float(math.Float64frombits(bo.Uint64(b[i:])), 64)
		case vrAT:
			j.buf = append(j.buf, '"')
			j.buf = appendTagKey(j.buf, NewTag(bo.Uint16(b[i:]), bo.Uint16(b[i+2:])))
			j.buf = append(j.buf, '"')
		}
	}
}

// float writes a finite number, or NaN and infinities as strings (JSON has
// no literal for them).
func (j *jsonEncoder) float(f float64, bits int) {
	switch {
	case math.IsNaN(f):
		j.buf = append(j.buf, `"NaN"`...)
	case math.IsInf(f, 1):
		j.buf = append(j.buf, `"Infinity"`...)
	case math.IsInf(f, -1):
		j.buf = append(j.buf, `"-Infinity"`...)
	default:
		j.buf = strconv.AppendFloat(j.buf, f, 'g', -1, bits)
	}
}

// numberString writes an IS or DS value as a JSON number; an empty value is
// null and a value that is not a number is kept as a string.
func (j *jsonEncoder) numberString(s string) {
	switch {
	case s == "":
		j.buf = append(j.buf, "null"...)
	case validJSONNumber(s):
		j.buf = append(j.buf, s...)
	default:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			j.buf = appendJSONString(j.buf, s)
			return
		}
		j.buf = strconv.AppendFloat(j.buf, f, 'g', -1, 64)
	}
}

// personName writes one PN value as an object of its component groups.
func (j *jsonEncoder) personName(s string) {
	if s == "" {
		j.buf = append(j.buf, "null"...)
		return
	}
	groups := strings.SplitN(s, "=", 3)
	j.buf = append(j.buf, '{')
	n := 0
	for i, g := range groups {
		g = strings.TrimRight(g, " ")
		if g == "" {
			continue
		}
		if n > 0 {
			j.buf = append(j.buf, ',')
		}
		n++
		j.buf = append(j.buf, [...]string{`"Alphabetic":`, `"Ideographic":`, `"Phonetic":`}[i]...)
		j.buf = appendJSONString(j.buf, g)
	}
	j.buf = append(j.buf, '}')
}

// littleEndianBytes returns binary value bytes in little endian order, as
// InlineBinary carries them, swapping the words of big endian datasets.
func littleEndianBytes(ds *Dataset, v vrCode, b []byte) []byte {
	size := 0
	switch v {
	case vrOW:
		size = 2
	case vrOF, vrOL:
		size = 4
	case vrOD, vrOV:
		size = 8
	}
	if !ds.BigEndian || size == 0 {
		return b
	}
	out := make([]byte, len(b))
	copy(out, b)
	for i := 0; i+size <= len(out); i += size {
		slices.Reverse(out[i : i+size])
	}
	return out
}

// appendTagKey appends a tag as 8 uppercase hex digits ("GGGGEEEE").
func appendTagKey(b []byte, t Tag) []byte {
	const hex = "0123456789ABCDEF"
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, hex[(uint32(t)>>uint(shift))&0xF])
	}
	return b
}

// validJSONNumber reports whether s matches the JSON number grammar.
func validJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	start := i
	n := digits()
	if n == 0 || (n > 1 && s[start] == '0') {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7F:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else if r == '\u2028' || r == '\u2029' {
			b = fmt.Appendf(b, `\u%04x`, r)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
