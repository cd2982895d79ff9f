package pixel

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
)

// Limits on untrusted input.
const (
	maxAttrBytes    = 1 << 20 // largest attribute value kept in memory (LUT data)
	maxDepth        = 16      // nesting of sequences
	maxInflated     = 1 << 31 // bytes read from a deflated dataset
	maxMetaElements = 256
)

// item is the set of kept elements of a dataset or sequence item.
type item struct {
	vals map[uint32]value
	seqs map[uint32][]item
}

type value struct {
	vr   string
	data []byte
}

func newItem() item { return item{vals: map[uint32]value{}, seqs: map[uint32][]item{}} }

// dataset is what the header parse keeps of an instance.
type dataset struct {
	ts      string // transfer syntax UID (guessed when the meta information has none)
	hadMeta bool
	bo      binary.ByteOrder
	top     item
	pixel   *pixelElement
	reader  *elemReader // positioned at the first byte of native pixel data
}

// pixelElement describes the top-level Pixel Data element.
type pixelElement struct {
	vr           string
	length       uint32   // native: value length
	encapsulated bool     // undefined length
	offsets      []uint32 // basic offset table (encapsulated)
	fragments    [][]byte // encapsulated fragments, in order
	fragOffsets  []uint32 // byte offset of each fragment's item tag from the first fragment
}

// kept reports whether the value of an element is kept in memory.
func kept(tag uint32) bool {
	switch tag {
	case tagSamplesPerPixel, tagPhotometric, tagPlanarConfig, tagNumberOfFrames, tagRows, tagColumns,
		tagBitsAllocated, tagBitsStored, tagHighBit, tagPixelRepresentation, tagPixelPadding, tagPixelPaddingLimit,
		tagWindowCenter, tagWindowWidth, tagRescaleIntercept, tagRescaleSlope, tagVOILUTFunction,
		tagRedDescriptor, tagGreenDescriptor, tagBlueDescriptor, tagRedData, tagGreenData, tagBlueData,
		tagLUTDescriptor, tagLUTData, tagExtOffsetTable, tagExtOffsetLengths:
		return true
	}
	return false
}

// keptSeq reports whether the items of a sequence are read (others are skipped).
func keptSeq(tag uint32) bool {
	switch tag {
	case tagModalityLUTSeq, tagVOILUTSeq, tagSharedFGSeq, tagPerFrameFGSeq, tagPixelValueTransSeq, tagFrameVOILUTSeq:
		return true
	}
	return false
}

// parse reads the file meta information and the dataset up to the Pixel Data
// header. When readPixels is set, encapsulated fragments are read too, and for
// native data the reader is left at the first pixel byte.
func parse(r io.Reader, size int64, readPixels bool) (*dataset, error) {
	if size <= 0 {
		return nil, malformed("empty input")
	}
	br := bufio.NewReaderSize(r, 64<<10)
	e := &elemReader{r: br, remaining: size, bo: binary.LittleEndian, explicit: true}
	ds := &dataset{top: newItem()}
	if pre, err := br.Peek(132); err == nil && string(pre[128:]) == "DICM" {
		if err := e.skip(132); err != nil {
			return nil, err
		}
		if err := readMeta(e, ds); err != nil {
			return nil, err
		}
		ds.hadMeta = true
	} else if head, err := br.Peek(4); err == nil && binary.LittleEndian.Uint16(head) == 0x0002 {
		if err := readMeta(e, ds); err != nil { // meta without preamble
			return nil, err
		}
		ds.hadMeta = true
	}
	if err := setEncoding(e, ds); err != nil {
		return nil, err
	}
	ds.bo = e.bo
	if err := readTop(e, ds, readPixels); err != nil {
		return nil, err
	}
	ds.reader = e
	return ds, nil
}

// readMeta reads group 0002 (always explicit VR little endian) while it lasts.
func readMeta(e *elemReader, ds *dataset) error {
	for n := 0; n < maxMetaElements; n++ {
		head, err := e.r.Peek(2)
		if err != nil || binary.LittleEndian.Uint16(head) != 0x0002 {
			return nil
		}
		h, err := e.readHeader()
		if err != nil {
			return fmt.Errorf("pixel: file meta: %w", err)
		}
		if h.length > maxAttrBytes {
			return malformed("file meta element (%04X,%04X) length %d", h.tag>>16, h.tag&0xFFFF, h.length)
		}
		v, err := e.readValue(h.length)
		if err != nil {
			return fmt.Errorf("pixel: file meta: %w", err)
		}
		if h.tag == tagTransferSyntax {
			ds.ts = trimString(v)
		}
	}
	return malformed("file meta information has too many elements")
}

// setEncoding switches the reader to the dataset's transfer syntax, or
// guesses it from the first bytes when the meta information names none.
func setEncoding(e *elemReader, ds *dataset) error {
	switch ds.ts {
	case tsImplicitLE:
		e.bo, e.explicit = binary.LittleEndian, false
	case tsExplicitBE:
		e.bo, e.explicit = binary.BigEndian, true
	case tsDeflatedLE:
		e.r = bufio.NewReaderSize(flate.NewReader(e.r), 64<<10)
		e.remaining = maxInflated
		e.bo, e.explicit = binary.LittleEndian, true
	case "":
		return guessEncoding(e, ds)
	default:
		e.bo, e.explicit = binary.LittleEndian, true
		// Some writers declare explicit VR but write implicit VR: trust the bytes.
		if b, err := e.r.Peek(6); err == nil && !validVR(b[4], b[5]) {
			e.explicit = false
		}
	}
	return nil
}

func guessEncoding(e *elemReader, ds *dataset) error {
	b, err := e.r.Peek(6)
	if err != nil {
		if ds.hadMeta {
			return ErrNoPixelData // meta information only
		}
		return ErrNotDICOM
	}
	le, be := binary.LittleEndian.Uint16(b), binary.BigEndian.Uint16(b)
	if ds.ts == "" && !ds.hadMeta && le > 0x0010 && be > 0x0010 {
		return ErrNotDICOM // a bare dataset starts with group 0000..0010
	}
	switch {
	case le > 0x00FF && be <= 0x00FF && validVR(b[4], b[5]):
		e.bo, e.explicit, ds.ts = binary.BigEndian, true, tsExplicitBE
	case validVR(b[4], b[5]):
		e.bo, e.explicit, ds.ts = binary.LittleEndian, true, tsExplicitLE
	default:
		e.bo, e.explicit, ds.ts = binary.LittleEndian, false, tsImplicitLE
	}
	return nil
}

// readTop reads top-level elements until Pixel Data or the end of the input.
func readTop(e *elemReader, ds *dataset, readPixels bool) error {
	for !e.atEOF() {
		h, err := e.readHeader()
		if err != nil {
			return fmt.Errorf("pixel: read dataset: %w", err)
		}
		if h.tag == tagPixelData {
			return readPixelElement(e, ds, h, readPixels)
		}
		if h.tag > tagPixelData {
			return nil // trailing padding and the like
		}
		if err := readElement(e, &ds.top, h, 0, true); err != nil {
			return fmt.Errorf("pixel: read dataset: %w", err)
		}
	}
	return nil
}

// readElement consumes the value of the element whose header was just read,
// keeping it in it when it is of interest.
func readElement(e *elemReader, it *item, h header, depth int, keep bool) error {
	if h.tag>>16 == 0xFFFE {
		return malformed("unexpected item tag (%04X,%04X)", h.tag>>16, h.tag&0xFFFF)
	}
	if h.vr == "SQ" || h.length == undefinedLength || keptSeq(h.tag) {
		items, err := readSequence(e, h, depth+1, keep && keptSeq(h.tag))
		if err != nil {
			return err
		}
		if keep && keptSeq(h.tag) {
			it.seqs[h.tag] = items
		}
		return nil
	}
	if keep && kept(h.tag) && h.length <= maxAttrBytes {
		v, err := e.readValue(h.length)
		if err != nil {
			return err
		}
		it.vals[h.tag] = value{vr: h.vr, data: v}
		return nil
	}
	return e.skip(int64(h.length))
}

// readSequence reads the items of a sequence (defined or undefined length).
// Undefined-length UN values are encoded implicit VR little endian (PS3.5 §6.2.2).
func readSequence(e *elemReader, h header, depth int, keep bool) ([]item, error) {
	if depth > maxDepth {
		return nil, malformed("sequences nested deeper than %d", maxDepth)
	}
	if h.vr == "UN" {
		bo, explicit := e.bo, e.explicit
		e.bo, e.explicit = binary.LittleEndian, false
		defer func() { e.bo, e.explicit = bo, explicit }()
	}
	end := int64(-1)
	if h.length != undefinedLength {
		if int64(h.length) > e.remaining {
			return nil, errTruncated
		}
		end = e.pos + int64(h.length)
	}
	var items []item
	for end < 0 || e.pos < end {
		ih, err := e.readHeader()
		if err != nil {
			return nil, err
		}
		switch ih.tag {
		case tagSeqDelim:
			return items, nil
		case tagItem:
			it, err := readItem(e, ih.length, depth, keep)
			if err != nil {
				return nil, err
			}
			if keep {
				items = append(items, it)
			}
		default:
			return nil, malformed("unexpected tag (%04X,%04X) in sequence", ih.tag>>16, ih.tag&0xFFFF)
		}
	}
	if e.pos != end {
		return nil, malformed("sequence overruns its length")
	}
	return items, nil
}

func readItem(e *elemReader, length uint32, depth int, keep bool) (item, error) {
	it := newItem()
	end := int64(-1)
	if length != undefinedLength {
		if int64(length) > e.remaining {
			return it, errTruncated
		}
		end = e.pos + int64(length)
	}
	for end < 0 || e.pos < end {
		h, err := e.readHeader()
		if err != nil {
			return it, err
		}
		if h.tag == tagItemDelim {
			return it, nil
		}
		if err := readElement(e, &it, h, depth, keep); err != nil {
			return it, err
		}
	}
	if e.pos != end {
		return it, malformed("item overruns its length")
	}
	return it, nil
}

// readPixelElement records the Pixel Data element. Encapsulated fragments are
// read when readPixels is set; native data is left unread.
func readPixelElement(e *elemReader, ds *dataset, h header, readPixels bool) error {
	p := &pixelElement{vr: h.vr, length: h.length, encapsulated: h.length == undefinedLength}
	ds.pixel = p
	if !p.encapsulated {
		if int64(h.length) > e.remaining {
			return fmt.Errorf("pixel: pixel data length %d exceeds the %d bytes left: %w", h.length, e.remaining, errTruncated)
		}
		return nil
	}
	if !readPixels || !tsDecodable(ds.ts) {
		return nil
	}
	first := true
	var off uint32
	for {
		ih, err := e.readHeader()
		if err != nil {
			return fmt.Errorf("pixel: read fragments: %w", err)
		}
		if ih.tag == tagSeqDelim {
			return nil
		}
		if ih.tag != tagItem || ih.length == undefinedLength {
			return malformed("unexpected tag (%04X,%04X) in encapsulated pixel data", ih.tag>>16, ih.tag&0xFFFF)
		}
		data, err := e.readValue(ih.length)
		if err != nil {
			return fmt.Errorf("pixel: read fragments: %w", err)
		}
		if first {
			first = false
			if len(data)%4 != 0 {
				return malformed("basic offset table length %d", len(data))
			}
			for i := 0; i+4 <= len(data); i += 4 {
				p.offsets = append(p.offsets, binary.LittleEndian.Uint32(data[i:]))
			}
			continue
		}
		p.fragments = append(p.fragments, data)
		p.fragOffsets = append(p.fragOffsets, off)
		off += 8 + ih.length
	}
}

// trimString removes DICOM padding (NUL and spaces) from a string value.
func trimString(b []byte) string {
	return string(bytes.Trim(b, "\x00 "))
}
