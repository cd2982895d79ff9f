package dicom

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// Summary holds the attributes the index needs, read from the top level of
// a dataset. Strings are trimmed of DICOM padding; person names are kept as
// stored ("Family^Given", with "=" groups if present); text is decoded to
// UTF-8 according to SpecificCharacterSet.
type Summary struct {
	PatientID, PatientName, PatientBirthDate, PatientSex    string
	AccessionNumber, StudyInstanceUID, StudyDate, StudyTime string
	StudyDescription, ReferringPhysicianName                string
	SeriesInstanceUID, SeriesNumber, SeriesDescription      string
	Modality, BodyPartExamined                              string
	SOPClassUID, SOPInstanceUID, InstanceNumber             string
	Rows, Columns, NumberOfFrames, BitsAllocated            int
	SpecificCharacterSet                                    string
}

// Summary tags, ascending.
const (
	tagSOPClassUID            Tag = 0x00080016
	tagSOPInstanceUID         Tag = 0x00080018
	tagStudyDate              Tag = 0x00080020
	tagStudyTime              Tag = 0x00080030
	tagAccessionNumber        Tag = 0x00080050
	tagModality               Tag = 0x00080060
	tagReferringPhysicianName Tag = 0x00080090
	tagStudyDescription       Tag = 0x00081030
	tagSeriesDescription      Tag = 0x0008103E
	tagPatientName            Tag = 0x00100010
	tagPatientID              Tag = 0x00100020
	tagPatientBirthDate       Tag = 0x00100030
	tagPatientSex             Tag = 0x00100040
	tagBodyPartExamined       Tag = 0x00180015
	tagStudyInstanceUID       Tag = 0x0020000D
	tagSeriesInstanceUID      Tag = 0x0020000E
	tagSeriesNumber           Tag = 0x00200011
	tagInstanceNumber         Tag = 0x00200013
	tagNumberOfFrames         Tag = 0x00280008
	tagRows                   Tag = 0x00280010
	tagColumns                Tag = 0x00280011
	tagBitsAllocated          Tag = 0x00280100
	lastSummaryTag                = tagBitsAllocated
)

// MaxInflatedSize bounds the inflated size of a deflated dataset in
// ParseDataset and ParseFile.
const MaxInflatedSize = 1 << 30

// MaxSummaryInflated bounds how much of a deflated dataset ParseSummary
// inflates: the attributes it reads precede (0028,0100), and a header
// larger than this is treated as an attack (a deflate bomb).
const MaxSummaryInflated = 64 << 20

// ParseSummary scans the top level of a raw dataset (no File Meta
// Information) encoded in transferSyntaxUID and returns the indexing
// attributes. It reads element headers in order, decodes only the elements
// it needs, skips everything else (sequences of defined and undefined length
// included) and stops at the first tag after the last attribute it needs,
// hence always before Pixel Data. Every length is checked against the
// buffer. Deflated datasets are inflated incrementally, only as far as the
// scan needs. An empty UID means "unknown": Implicit VR Little Endian, with
// explicit VR detected from the first element.
func ParseSummary(dataset []byte, transferSyntaxUID string) (*Summary, error) {
	explicit, be, deflated := detectEncoding(dataset, transferSyntaxUID)
	if deflated {
		return parseDeflatedSummary(dataset)
	}
	s := new(Summary)
	if err := scanSummary(s, dataset, explicit, be, false); err != nil {
		return nil, err
	}
	return s, nil
}

// errNeedMore reports that the scan ran off the end of a partial buffer.
var errNeedMore = errors.New("dicom: need more data")

// parseDeflatedSummary inflates in growing steps and rescans until the scan
// completes without running off the inflated prefix.
func parseDeflatedSummary(dataset []byte) (*Summary, error) {
	zr, err := newInflater(dataset)
	if err != nil {
		return nil, fmt.Errorf("dicom: parse summary: inflate: %w", err)
	}
	defer zr.Close()
	var buf []byte
	step := 16 << 10
	for {
		n := len(buf)
		step = min(step, MaxSummaryInflated-n)
		buf = slices.Grow(buf, step)[:n+step]
		m, rerr := io.ReadFull(zr, buf[n:])
		buf = buf[:n+m]
		eof := errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF)
		if rerr != nil && !eof {
			return nil, fmt.Errorf("dicom: parse summary: inflate: %w", rerr)
		}
		s := new(Summary)
		err := scanSummary(s, buf, true, false, !eof)
		if !errors.Is(err, errNeedMore) {
			if err != nil {
				return nil, err
			}
			return s, nil
		}
		if len(buf) >= MaxSummaryInflated {
			return nil, fmt.Errorf("dicom: parse summary: inflated header exceeds %d bytes", MaxSummaryInflated)
		}
		if step < 16<<20 {
			step *= 4
		}
	}
}

// newInflater returns a reader of the raw DEFLATE stream in data (PS3.5
// §A.5), or of a zlib stream, which some writers produce by mistake.
func newInflater(data []byte) (io.ReadCloser, error) {
	if len(data) >= 2 && data[0]&0x0F == 8 && (uint16(data[0])<<8|uint16(data[1]))%31 == 0 {
		if zr, err := zlib.NewReader(bytes.NewReader(data)); err == nil {
			return zr, nil
		}
	}
	return flate.NewReader(bytes.NewReader(data)), nil
}

// scanSummary fills s from buf. With partial set, running off the end of
// buf returns errNeedMore instead of a format error.
func scanSummary(s *Summary, buf []byte, explicit, be, partial bool) error {
	d := decoder{buf: buf, be: be, op: "parse summary"}
	d.implicit = !sniffEncoding(buf, be, explicit)
	var cs charset
	first := true
	for d.remaining() > 0 {
		if partial && d.remaining() < 12 {
			return errNeedMore
		}
		h, err := d.header()
		if err != nil {
			return err
		}
		if h.tag > lastSummaryTag {
			// Checking the first element's length rejects most non-DICOM
			// input (text, gzip, a whole Part-10 file) with a clear error.
			if first && h.length != undefinedLength && !partial {
				if _, err := d.value(h); err != nil {
					return err
				}
			}
			return nil
		}
		first = false
		if h.length == undefinedLength {
			if err := d.skipUndefined(h); err != nil {
				if partial {
					return errNeedMore
				}
				return err
			}
			continue
		}
		if partial && int64(h.length) > int64(d.remaining()) {
			return errNeedMore
		}
		v, err := d.value(h)
		if err != nil {
			return err
		}
		if h.tag == TagSpecificCharacterSet {
			s.SpecificCharacterSet = trimString(v)
			cs = parseCharset(s.SpecificCharacterSet)
			continue
		}
		setSummaryField(s, &d, &cs, h.tag, v)
	}
	return nil
}

// setSummaryField stores one value; unknown tags are ignored.
func setSummaryField(s *Summary, d *decoder, cs *charset, t Tag, v []byte) {
	switch t {
	case tagSOPClassUID:
		s.SOPClassUID = trimString(v)
	case tagSOPInstanceUID:
		s.SOPInstanceUID = trimString(v)
	case tagStudyDate:
		s.StudyDate = trimString(v)
	case tagStudyTime:
		s.StudyTime = trimString(v)
	case tagAccessionNumber:
		s.AccessionNumber = textValue(cs, v, false)
	case tagModality:
		s.Modality = trimString(v)
	case tagReferringPhysicianName:
		s.ReferringPhysicianName = textValue(cs, v, true)
	case tagStudyDescription:
		s.StudyDescription = textValue(cs, v, false)
	case tagSeriesDescription:
		s.SeriesDescription = textValue(cs, v, false)
	case tagPatientName:
		s.PatientName = textValue(cs, v, true)
	case tagPatientID:
		s.PatientID = textValue(cs, v, false)
	case tagPatientBirthDate:
		s.PatientBirthDate = trimString(v)
	case tagPatientSex:
		s.PatientSex = trimString(v)
	case tagBodyPartExamined:
		s.BodyPartExamined = trimString(v)
	case tagStudyInstanceUID:
		s.StudyInstanceUID = trimString(v)
	case tagSeriesInstanceUID:
		s.SeriesInstanceUID = trimString(v)
	case tagSeriesNumber:
		s.SeriesNumber = trimString(v)
	case tagInstanceNumber:
		s.InstanceNumber = trimString(v)
	case tagNumberOfFrames:
		s.NumberOfFrames = atoiValue(v)
	case tagRows:
		s.Rows = ushortValue(d, v)
	case tagColumns:
		s.Columns = ushortValue(d, v)
	case tagBitsAllocated:
		s.BitsAllocated = ushortValue(d, v)
	}
}

// isPad reports DICOM string padding and insignificant whitespace.
func isPad(c byte) bool { return c == ' ' || c == 0 }

// trimBytes removes leading and trailing spaces and NULs.
func trimBytes(v []byte) []byte {
	for len(v) > 0 && isPad(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	for len(v) > 0 && isPad(v[0]) {
		v = v[1:]
	}
	return v
}

// trimString returns the trimmed value of an ASCII VR as a string; bytes
// that are not valid UTF-8 become U+FFFD.
func trimString(v []byte) string {
	v = trimBytes(v)
	if !utf8.Valid(v) {
		return strings.ToValidUTF8(string(v), "\uFFFD")
	}
	return string(v)
}

// textValue decodes a character-set-dependent value and trims it.
func textValue(cs *charset, v []byte, pn bool) string {
	return cs.decodeText(trimBytes(v), pn)
}

// atoiValue parses an IS value without allocating; malformed or
// out-of-range values give 0.
func atoiValue(v []byte) int {
	v = trimBytes(v)
	neg := false
	if len(v) > 0 && (v[0] == '+' || v[0] == '-') {
		neg = v[0] == '-'
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 12 {
		return 0
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// ushortValue reads the first US value, 0 when there is none.
func ushortValue(d *decoder, v []byte) int {
	if len(v) < 2 {
		return 0
	}
	if d.be {
		return int(uint16(v[0])<<8 | uint16(v[1]))
	}
	return int(uint16(v[0]) | uint16(v[1])<<8)
}
