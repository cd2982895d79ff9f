package dicom

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/suyashkumar/dicom/pkg/tag"
)

// Element is one data element of a parsed dataset. Value, Fragments and
// the values of nested items alias the buffer that was parsed.
type Element struct {
	Tag Tag
	// VR is the explicit VR, or for implicit VR data the dictionary VR
	// ("UN" for unknown and private tags, "SQ" for undefined lengths).
	VR string
	// Value holds the raw value bytes in the byte order of the dataset
	// (nil for sequences and encapsulated pixel data).
	Value []byte
	// Items holds the items of a sequence.
	Items []*Dataset
	// Fragments holds encapsulated pixel data items: the Basic Offset Table
	// first, then the fragments.
	Fragments [][]byte
	// UndefinedLength reports that the element was encoded with undefined
	// length.
	UndefinedLength bool
}

// Dataset is a parsed dataset or sequence item.
type Dataset struct {
	Elements []*Element
	// BigEndian reports the byte order of Value bytes in this dataset.
	BigEndian bool
	// ImplicitVR reports that the VRs came from the dictionary.
	ImplicitVR bool
	cs         charset
}

// MaxNestingDepth bounds sequence nesting in ParseDataset.
const MaxNestingDepth = 64

// ParseDataset parses a raw dataset (no File Meta Information) encoded in
// transferSyntaxUID into an element tree, down to nested items and
// encapsulated fragments. Deflated data is inflated up to MaxInflatedSize.
// Sequence nesting deeper than MaxNestingDepth, lengths beyond the buffer
// and malformed items are errors. An empty UID means unknown (Implicit VR
// Little Endian with explicit VR detection).
func ParseDataset(data []byte, transferSyntaxUID string) (*Dataset, error) {
	explicit, be, deflated := detectEncoding(data, transferSyntaxUID)
	if deflated {
		inflated, err := inflateAll(data, MaxInflatedSize)
		if err != nil {
			return nil, fmt.Errorf("dicom: parse dataset: %w", err)
		}
		data = inflated
	}
	d := &decoder{buf: data, be: be, op: "parse dataset"}
	d.implicit = !sniffEncoding(data, be, explicit)
	return d.parseItems(len(data), 0, charset{}, false)
}

// inflateAll inflates a deflated dataset, failing beyond limit bytes.
func inflateAll(data []byte, limit int64) ([]byte, error) {
	zr, err := newInflater(data)
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("inflate: dataset exceeds %d bytes", limit)
	}
	return out, nil
}

// parseItems parses elements from d.pos up to end, or (itemUndefined) up to
// an item delimitation item, which it consumes.
func (d *decoder) parseItems(end, depth int, cs charset, itemUndefined bool) (*Dataset, error) {
	ds := &Dataset{BigEndian: d.be, ImplicitVR: d.implicit, cs: cs}
	for d.pos < end {
		h, err := d.header()
		if err != nil {
			return nil, err
		}
		if d.pos > end {
			return nil, d.tagErrf(h.tag, h.offset, "header crosses the end of its item")
		}
		switch h.tag {
		case TagItemDelimitation:
			if itemUndefined {
				return ds, nil
			}
			continue // stray delimiter: tolerated, as most toolkits do
		case TagItem, TagSequenceDelimitation:
			return nil, d.tagErrf(h.tag, h.offset, "unexpected outside a sequence")
		}
		e, err := d.parseElement(h, end, depth, ds)
		if err != nil {
			return nil, err
		}
		ds.Elements = append(ds.Elements, e)
	}
	if itemUndefined {
		return nil, d.errf("item without delimitation")
	}
	return ds, nil
}

// parseElement parses the value of the element whose header is h into an
// element of ds (whose character set (0008,0005) updates).
func (d *decoder) parseElement(h elemHeader, end, depth int, ds *Dataset) (*Element, error) {
	e := &Element{Tag: h.tag, UndefinedLength: h.length == undefinedLength}
	cs := &ds.cs
	vr := h.vr
	if !d.implicit && !knownVR(vr) {
		vr = dictionaryVR(h.tag) // not a VR (bad writer): dictionary, else UN
	}
	if d.implicit {
		vr = dictionaryVR(h.tag)
		if vr == vrUS && ambiguousUSSS(h.tag) && pixelRepresentation(ds) == 1 {
			vr = vrSS
		}
	} else if vr == vrUN && h.length != undefinedLength && !d.be && h.tag.Group()&1 == 0 {
		// UN for a standard tag (written by a node that did not know it)
		// holds the value in Implicit VR Little Endian: use the dictionary
		// VR, as PS3.5 §6.2.2 allows, unless that is a sequence.
		if dv := dictionaryVR(h.tag); dv == vrSQ {
			if items, ok := d.unSequence(h, end, depth, *cs); ok {
				e.VR, e.Items = "SQ", items
				return e, nil
			}
		} else if dv != vrUN {
			vr = dv
		}
	}
	if h.length == undefinedLength {
		if h.tag == TagPixelData || (vr != vrSQ && vr != vrUN && !d.implicit) {
			e.VR = vr.String()
			if d.implicit {
				e.VR = "OB"
			}
			frags, err := d.parseFragments(h, end)
			e.Fragments = frags
			return e, err
		}
		e.VR = "SQ"
		if vr == vrUN && !d.implicit {
			saveBE := d.be
			d.implicit, d.be = true, false
			defer func() { d.implicit, d.be = false, saveBE }()
		}
		items, err := d.parseSequence(h, end, true, depth, *cs)
		e.Items = items
		return e, err
	}
	if int64(h.length) > int64(end-d.pos) {
		return nil, d.tagErrf(h.tag, h.offset, "length %d exceeds remaining %d bytes", h.length, end-d.pos)
	}
	e.VR = vr.String()
	if vr == vrSQ {
		items, err := d.parseSequence(h, d.pos+int(h.length), false, depth, *cs)
		e.Items = items
		return e, err
	}
	e.Value = d.buf[d.pos : d.pos+int(h.length)]
	d.pos += int(h.length)
	if h.tag == TagSpecificCharacterSet {
		*cs = parseCharset(string(e.Value))
	}
	return e, nil
}

// unSequence parses a defined-length UN value whose dictionary VR is SQ as
// an Implicit VR Little Endian sequence; on failure it rewinds and reports
// false, and the value stays an opaque UN.
func (d *decoder) unSequence(h elemHeader, end, depth int, cs charset) ([]*Dataset, bool) {
	if int64(h.length) > int64(end-d.pos) {
		return nil, false
	}
	start := d.pos
	d.implicit = true
	items, err := d.parseSequence(h, d.pos+int(h.length), false, depth, cs)
	d.implicit = false
	if err != nil {
		d.pos = start
		return nil, false
	}
	return items, true
}

// parseSequence parses items up to end (defined length) or up to the
// sequence delimitation item (undefined).
func (d *decoder) parseSequence(h elemHeader, end int, undefined bool, depth int, cs charset) ([]*Dataset, error) {
	if depth >= MaxNestingDepth {
		return nil, d.tagErrf(h.tag, h.offset, "sequences nested deeper than %d", MaxNestingDepth)
	}
	var items []*Dataset
	for undefined || d.pos < end {
		ih, err := d.header()
		if err != nil {
			return nil, err
		}
		switch ih.tag {
		case TagSequenceDelimitation:
			if undefined {
				return items, nil
			}
			return nil, d.tagErrf(h.tag, h.offset, "sequence delimiter in a defined-length sequence")
		case TagItem:
		default:
			return nil, d.tagErrf(h.tag, h.offset, "expected an item, found %s", ih.tag)
		}
		var item *Dataset
		if ih.length == undefinedLength {
			item, err = d.parseItems(end, depth+1, cs, true)
		} else {
			if int64(ih.length) > int64(end-d.pos) {
				return nil, d.tagErrf(ih.tag, ih.offset, "length %d exceeds remaining %d bytes", ih.length, end-d.pos)
			}
			item, err = d.parseItems(d.pos+int(ih.length), depth+1, cs, false)
		}
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	if d.pos != end {
		return nil, d.tagErrf(h.tag, h.offset, "items overrun the sequence length")
	}
	return items, nil
}

// parseFragments reads encapsulated pixel data items up to the sequence
// delimitation item.
func (d *decoder) parseFragments(h elemHeader, end int) ([][]byte, error) {
	var frags [][]byte
	for {
		ih, err := d.header()
		if err != nil {
			return nil, err
		}
		switch ih.tag {
		case TagSequenceDelimitation:
			return frags, nil
		case TagItem:
		default:
			return nil, d.tagErrf(h.tag, h.offset, "expected a fragment item, found %s", ih.tag)
		}
		if ih.length == undefinedLength || int64(ih.length) > int64(end-d.pos) {
			return nil, d.tagErrf(ih.tag, ih.offset, "fragment length %d exceeds remaining %d bytes", ih.length, end-d.pos)
		}
		frags = append(frags, d.buf[d.pos:d.pos+int(ih.length)])
		d.pos += int(ih.length)
	}
}

// dictionaryVR returns the VR of a tag for implicit VR data.
func dictionaryVR(t Tag) vrCode {
	g, e := t.Group(), t.Element()
	switch {
	case e == 0x0000:
		return vrUL
	case g&1 == 1:
		if e >= 0x0010 && e <= 0x00FF {
			return vrLO // private creator
		}
		return vrUN
	case t == TagPixelData:
		return vrOW
	}
	if g >= 0x5000 && g <= 0x60FF && (g&0xFF00 == 0x5000 || g&0xFF00 == 0x6000) {
		g &= 0xFF00 // repeating groups (curves, overlays)
	}
	info, err := tag.Find(tag.Tag{Group: g, Element: e})
	if err != nil || len(info.VRs) == 0 {
		return vrUN
	}
	if len(info.VRs) > 1 && info.VRs[0] == "OB" {
		return vrOW // "OB or OW" is OW in implicit VR (PS3.5 §A.1)
	}
	v := vrFromString(info.VRs[0])
	if !knownVR(v) {
		return vrUN
	}
	return v
}

// ambiguousUSSS reports tags whose VR is "US or SS" depending on Pixel
// Representation (PS3.5 §A.1 and PS3.6).
func ambiguousUSSS(t Tag) bool {
	switch t {
	case 0x00280104, 0x00280105, 0x00280106, 0x00280107, 0x00280108, 0x00280109,
		0x00280110, 0x00280111, 0x00280120, 0x00281101, 0x00281102, 0x00281103, 0x00283002:
		return true
	}
	return false
}

// pixelRepresentation returns the value of (0028,0103) parsed so far, or 0.
func pixelRepresentation(ds *Dataset) int {
	e := ds.Find(0x00280103)
	if e == nil || len(e.Value) < 2 {
		return 0
	}
	return int(ds.uint16At(e, 0))
}

// Find returns the top-level element with tag t, or nil.
func (ds *Dataset) Find(t Tag) *Element {
	for _, e := range ds.Elements {
		if e.Tag == t {
			return e
		}
	}
	return nil
}

// ErrNotFound is returned by accessors for an absent element.
var ErrNotFound = errors.New("dicom: element not found")

// Strings returns the values of a string element of ds, split on '\'
// (except LT, ST, UT, UR), trimmed of padding and decoded to UTF-8 with the
// dataset's Specific Character Set.
func (ds *Dataset) Strings(t Tag) ([]string, error) {
	e := ds.Find(t)
	if e == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, t)
	}
	return ds.elementStrings(e), nil
}

// String returns the first value of a string element ("" if absent).
func (ds *Dataset) String(t Tag) string {
	v, err := ds.Strings(t)
	if err != nil || len(v) == 0 {
		return ""
	}
	return v[0]
}

func (ds *Dataset) elementStrings(e *Element) []string {
	if len(e.Value) == 0 {
		return nil
	}
	v := vrFromString(e.VR)
	var s string
	switch v {
	case vrPN, vrSH, vrLO, vrST, vrLT, vrUC, vrUT:
		s = ds.cs.decodeText(e.Value, v == vrPN)
	default:
		s = strings.ToValidUTF8(string(e.Value), "\uFFFD")
	}
	var parts []string
	switch v {
	case vrLT, vrST, vrUT, vrUR:
		parts = []string{strings.TrimRight(s, " \x00")}
	default:
		parts = strings.Split(s, `\`)
		for i := range parts {
			parts[i] = strings.Trim(parts[i], " \x00")
		}
	}
	return parts
}

// uint16At reads the i-th 16-bit value of a US/SS/OW element.
func (ds *Dataset) uint16At(e *Element, i int) uint16 {
	if ds.BigEndian {
		return binary.BigEndian.Uint16(e.Value[2*i:])
	}
	return binary.LittleEndian.Uint16(e.Value[2*i:])
}
