package dicom

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// FileMeta is the File Meta Information (group 0002) of a Part-10 file.
type FileMeta struct {
	MediaStorageSOPClassUID      string
	MediaStorageSOPInstanceUID   string
	TransferSyntaxUID            string
	ImplementationClassUID       string
	ImplementationVersionName    string
	SourceApplicationEntityTitle string
}

// Lingshu's implementation identity, written when FileMeta leaves them empty.
// The class UID is a fixed UUID-derived UID (PS3.5 §B.2).
const (
	ImplementationClassUID    = "2.25.314937653792321998357471566297844014751"
	ImplementationVersionName = "LINGSHU_EDGE_1"
)

// Part-10 layout constants (PS3.10 §7.1).
const (
	preambleLen = 128
	magic       = "DICM"
)

// Meta group tags.
const (
	tagMetaGroupLength       Tag = 0x00020000
	tagMetaVersion           Tag = 0x00020001
	tagMediaSOPClass         Tag = 0x00020002
	tagMediaSOPInstance      Tag = 0x00020003
	tagImplementationClass   Tag = 0x00020012
	tagImplementationVersion Tag = 0x00020013
	tagSourceAETitle         Tag = 0x00020016
)

// metaValue checks one meta attribute for writing: required, maximum length,
// printable ASCII without backslash (the value is written as one value).
func metaValue(name, v string, required bool, maxLen int) (string, error) {
	v = strings.TrimRight(v, "\x00 ")
	if v == "" {
		if required {
			return "", fmt.Errorf("dicom: write part10: %s is empty", name)
		}
		return "", nil
	}
	if len(v) > maxLen {
		return "", fmt.Errorf("dicom: write part10: %s %q longer than %d characters", name, v, maxLen)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7E || v[i] == '\\' {
			return "", fmt.Errorf("dicom: write part10: %s %q has invalid character at %d", name, v, i)
		}
	}
	return v, nil
}

// appendMetaElement appends one explicit VR little endian element, padding
// the value to even length (UI with NUL, other strings with space).
func appendMetaElement(b []byte, t Tag, vr string, val []byte) []byte {
	padded := len(val) + len(val)&1
	b = binary.LittleEndian.AppendUint16(b, t.Group())
	b = binary.LittleEndian.AppendUint16(b, t.Element())
	b = append(b, vr...)
	if longVR(vrFromString(vr)) {
		b = append(b, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(padded))
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(padded))
	}
	b = append(b, val...)
	if len(val)&1 == 1 {
		if vr == "UI" || vr == "OB" {
			b = append(b, 0)
		} else {
			b = append(b, ' ')
		}
	}
	return b
}

// EncodeMeta returns the 128-byte preamble, "DICM" and the encoded group
// 0002 for meta, as WritePart10 writes them. Empty implementation fields are
// filled with Lingshu's identity.
func EncodeMeta(meta FileMeta) ([]byte, error) {
	type field struct {
		tag      Tag
		vr, name string
		val      string
		required bool
		max      int
	}
	if meta.ImplementationClassUID == "" {
		meta.ImplementationClassUID = ImplementationClassUID
		if meta.ImplementationVersionName == "" {
			meta.ImplementationVersionName = ImplementationVersionName
		}
	}
	fields := []field{
		{tagMediaSOPClass, "UI", "media storage sop class uid", meta.MediaStorageSOPClassUID, true, MaxUIDLength},
		{tagMediaSOPInstance, "UI", "media storage sop instance uid", meta.MediaStorageSOPInstanceUID, true, MaxUIDLength},
		{TagTransferSyntaxUID, "UI", "transfer syntax uid", meta.TransferSyntaxUID, true, MaxUIDLength},
		{tagImplementationClass, "UI", "implementation class uid", meta.ImplementationClassUID, true, MaxUIDLength},
		{tagImplementationVersion, "SH", "implementation version name", meta.ImplementationVersionName, false, 16},
		{tagSourceAETitle, "AE", "source application entity title", meta.SourceApplicationEntityTitle, false, 16},
	}
	group := make([]byte, 0, 256)
	group = appendMetaElement(group, tagMetaVersion, "OB", []byte{0x00, 0x01})
	for _, f := range fields {
		v, err := metaValue(f.name, f.val, f.required, f.max)
		if err != nil {
			return nil, err
		}
		if v != "" {
			group = appendMetaElement(group, f.tag, f.vr, []byte(v))
		}
	}
	out := make([]byte, preambleLen, preambleLen+len(magic)+12+len(group))
	out = append(out, magic...)
	var gl [4]byte
	binary.LittleEndian.PutUint32(gl[:], uint32(len(group)))
	out = appendMetaElement(out, tagMetaGroupLength, "UL", gl[:])
	return append(out, group...), nil
}

// WritePart10 writes a Part-10 file: preamble, "DICM", the File Meta
// Information (explicit VR little endian, with group length and version
// 00\01), then dataset exactly as given. The dataset must already be encoded
// in meta.TransferSyntaxUID (for a deflated syntax, the deflated bytes).
func WritePart10(w io.Writer, meta FileMeta, dataset []byte) error {
	hdr, err := EncodeMeta(meta)
	if err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("dicom: write part10 meta: %w", err)
	}
	if _, err := w.Write(dataset); err != nil {
		return fmt.Errorf("dicom: write part10 dataset: %w", err)
	}
	return nil
}

// ErrNoMeta means the data has no "DICM" prefix: it is a bare dataset.
var ErrNoMeta = errors.New("dicom: no part10 file meta information")

// maxMetaLen bounds the File Meta Information group.
const maxMetaLen = 1 << 16

// ReadMeta parses the preamble and File Meta Information at the start of
// data (a Part-10 file or at least its first few KiB). It returns the meta
// and the offset of the dataset. Files whose "DICM" follows no preamble are
// accepted; data without "DICM" yields ErrNoMeta and offset 0. The meta
// group is read while elements belong to group 0002, so a missing or wrong
// group length is tolerated, as is an implicit VR meta group.
func ReadMeta(data []byte) (FileMeta, int, error) {
	var start int
	switch {
	case len(data) >= preambleLen+4 && string(data[preambleLen:preambleLen+4]) == magic:
		start = preambleLen + 4
	case len(data) >= 4 && string(data[:4]) == magic:
		start = 4
	default:
		return FileMeta{}, 0, ErrNoMeta
	}
	d := decoder{buf: data, pos: start, op: "read meta"}
	d.implicit = !sniffEncoding(data[start:], false, true)
	var meta FileMeta
	for d.remaining() >= 8 && d.u16(d.pos) == 0x0002 {
		if d.pos-start > maxMetaLen {
			return meta, 0, d.errf("file meta information longer than %d bytes", maxMetaLen)
		}
		h, err := d.header()
		if err != nil {
			return meta, 0, err
		}
		if h.length == undefinedLength {
			return meta, 0, d.tagErrf(h.tag, h.offset, "undefined length in file meta information")
		}
		v, err := d.value(h)
		if err != nil {
			return meta, 0, err
		}
		s := strings.Trim(string(v), "\x00 ")
		switch h.tag {
		case tagMediaSOPClass:
			meta.MediaStorageSOPClassUID = s
		case tagMediaSOPInstance:
			meta.MediaStorageSOPInstanceUID = s
		case TagTransferSyntaxUID:
			meta.TransferSyntaxUID = s
		case tagImplementationClass:
			meta.ImplementationClassUID = s
		case tagImplementationVersion:
			meta.ImplementationVersionName = s
		case tagSourceAETitle:
			meta.SourceApplicationEntityTitle = s
		}
	}
	return meta, d.pos, nil
}
