package pixel

import (
	"bufio"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Element tags used by this package (group<<16 | element).
const (
	tagTransferSyntax      = 0x00020010
	tagSamplesPerPixel     = 0x00280002
	tagPhotometric         = 0x00280004
	tagPlanarConfig        = 0x00280006
	tagNumberOfFrames      = 0x00280008
	tagRows                = 0x00280010
	tagColumns             = 0x00280011
	tagBitsAllocated       = 0x00280100
	tagBitsStored          = 0x00280101
	tagHighBit             = 0x00280102
	tagPixelRepresentation = 0x00280103
	tagPixelPadding        = 0x00280120
	tagPixelPaddingLimit   = 0x00280121
	tagWindowCenter        = 0x00281050
	tagWindowWidth         = 0x00281051
	tagRescaleIntercept    = 0x00281052
	tagRescaleSlope        = 0x00281053
	tagVOILUTFunction      = 0x00281056
	tagRedDescriptor       = 0x00281101
	tagGreenDescriptor     = 0x00281102
	tagBlueDescriptor      = 0x00281103
	tagRedData             = 0x00281201
	tagGreenData           = 0x00281202
	tagBlueData            = 0x00281203
	tagModalityLUTSeq      = 0x00283000
	tagVOILUTSeq           = 0x00283010
	tagLUTDescriptor       = 0x00283002
	tagLUTData             = 0x00283006
	tagFrameVOILUTSeq      = 0x00289132
	tagPixelValueTransSeq  = 0x00289145
	tagSharedFGSeq         = 0x52009229
	tagPerFrameFGSeq       = 0x52009230
	tagExtOffsetTable      = 0x7FE00001
	tagExtOffsetLengths    = 0x7FE00002
	tagPixelData           = 0x7FE00010
	tagItem                = 0xFFFEE000
	tagItemDelim           = 0xFFFEE00D
	tagSeqDelim            = 0xFFFEE0DD
)

const undefinedLength = 0xFFFFFFFF

// elemReader reads data element headers and values from a stream while
// keeping a byte budget: every length is checked against what is left
// before a buffer is allocated or a value skipped.
type elemReader struct {
	r         *bufio.Reader
	remaining int64 // bytes that may still be read (input size, or a budget for inflated data)
	pos       int64 // bytes consumed so far
	bo        binary.ByteOrder
	explicit  bool
	buf       [8]byte
}

// header is one element header; vr is "" for implicit VR and for item tags.
type header struct {
	tag    uint32
	vr     string
	length uint32
}

var errTruncated = malformed("unexpected end of data")

func (e *elemReader) readFull(p []byte) error {
	if int64(len(p)) > e.remaining {
		return errTruncated
	}
	n, err := io.ReadFull(e.r, p)
	e.remaining -= int64(n)
	e.pos += int64(n)
	if err != nil {
		return readErr(err)
	}
	return nil
}

// readErr classifies an error of the underlying reader: the end of the data
// and corrupt deflated data are malformed input, anything else is I/O.
func readErr(err error) error {
	var ce flate.CorruptInputError
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return errTruncated
	case errors.As(err, &ce):
		return fmt.Errorf("%w: deflated dataset: %v", ErrMalformed, err)
	}
	return err
}

func (e *elemReader) skip(n int64) error {
	if n > e.remaining {
		return errTruncated
	}
	m, err := e.r.Discard(int(n))
	e.remaining -= int64(m)
	e.pos += int64(m)
	if err != nil {
		return readErr(err)
	}
	return nil
}

// readValue reads a value of n bytes; n was already checked by the caller against its own cap.
func (e *elemReader) readValue(n uint32) ([]byte, error) {
	if int64(n) > e.remaining {
		return nil, errTruncated
	}
	b := make([]byte, n)
	return b, e.readFull(b)
}

// atEOF reports whether the input is exhausted (used only between elements).
func (e *elemReader) atEOF() bool {
	if e.remaining <= 0 {
		return true
	}
	_, err := e.r.Peek(1)
	return err != nil
}

func isLongVR(vr string) bool {
	switch vr {
	case "OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV":
		return true
	}
	return false
}

func validVR(b0, b1 byte) bool {
	return b0 >= 'A' && b0 <= 'Z' && b1 >= 'A' && b1 <= 'Z'
}

// readHeader reads one element (or item/delimiter) header in the current encoding.
func (e *elemReader) readHeader() (header, error) {
	b := e.buf[:4]
	if err := e.readFull(b); err != nil {
		return header{}, err
	}
	h := header{tag: uint32(e.bo.Uint16(b[0:2]))<<16 | uint32(e.bo.Uint16(b[2:4]))}
	if h.tag>>16 == 0xFFFE || !e.explicit {
		if err := e.readFull(b); err != nil {
			return header{}, err
		}
		h.length = e.bo.Uint32(b)
		return h, nil
	}
	if err := e.readFull(b[:2]); err != nil {
		return header{}, err
	}
	if !validVR(b[0], b[1]) {
		return header{}, malformed("invalid VR %q in element (%04X,%04X)", b[:2], h.tag>>16, h.tag&0xFFFF)
	}
	h.vr = string(b[:2])
	if isLongVR(h.vr) {
		if err := e.readFull(b[:4]); err != nil { // two reserved bytes + 32-bit length in b[2:6]
			return header{}, err
		}
		if err := e.readFull(e.buf[4:6]); err != nil {
			return header{}, err
		}
		h.length = e.bo.Uint32(e.buf[2:6])
		return h, nil
	}
	if err := e.readFull(b[:2]); err != nil {
		return header{}, err
	}
	h.length = uint32(e.bo.Uint16(b[:2]))
	return h, nil
}
