package dicom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	sdicom "github.com/suyashkumar/dicom"
)

// File is a parsed Part-10 file (or bare dataset).
type File struct {
	Meta FileMeta
	// HasMeta is false for a bare dataset without "DICM" and group 0002.
	HasMeta bool
	// Summary holds the indexing attributes (see ParseSummary).
	Summary *Summary
	// Dataset is the full element tree (group 0002 excluded).
	Dataset *Dataset
	// DatasetBytes are the dataset bytes exactly as stored after the meta
	// group (deflated for a deflated transfer syntax).
	DatasetBytes []byte
	// Raw is the whole file.
	Raw []byte
}

// MaxFileSize bounds ParseFile and ReadFile.
const MaxFileSize = 4 << 30

// ReadFile reads and parses the Part-10 file at path.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dicom: read file: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("dicom: read file: %w", err)
	}
	f, err := ParseFile(fh, st.Size())
	if err != nil {
		return nil, wrapOp("read file "+path, err)
	}
	return f, nil
}

// ParseFile reads size bytes from r and parses them as a Part-10 file: File
// Meta Information, Summary and the full dataset. Data without "DICM" is
// parsed as a bare dataset with its encoding detected (Implicit VR Little
// Endian unless the first element carries an explicit VR). A missing
// transfer syntax in the meta group is detected the same way.
func ParseFile(r io.Reader, size int64) (*File, error) {
	if size < 0 || size > MaxFileSize {
		return nil, fmt.Errorf("dicom: parse file: size %d outside 0..%d", size, int64(MaxFileSize))
	}
	raw := make([]byte, size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return nil, fmt.Errorf("dicom: parse file: read %d bytes: %w", size, err)
	}
	return parseFileBytes(raw)
}

// ParseFileBytes parses an in-memory Part-10 file (see ParseFile). The
// returned File aliases data.
func ParseFileBytes(data []byte) (*File, error) { return parseFileBytes(data) }

func parseFileBytes(raw []byte) (*File, error) {
	f := &File{Raw: raw}
	meta, off, err := ReadMeta(raw)
	switch {
	case errors.Is(err, ErrNoMeta):
	case err != nil:
		return nil, wrapOp("parse file", err)
	default:
		f.Meta, f.HasMeta = meta, true
	}
	f.DatasetBytes = raw[off:]
	ts := f.Meta.TransferSyntaxUID
	if f.Summary, err = ParseSummary(f.DatasetBytes, ts); err != nil {
		return nil, wrapOp("parse file", err)
	}
	if f.Dataset, err = ParseDataset(f.DatasetBytes, ts); err != nil {
		return nil, wrapOp("parse file", err)
	}
	return f, nil
}

// LibraryDataset parses the file with github.com/suyashkumar/dicom, for
// callers that want that library's typed values. The library does not read
// Explicit VR Big Endian values correctly and may panic on malformed input;
// a panic is returned as an error. Pixel Data is not decoded into frames.
// The library allocates value buffers from the lengths it reads before
// checking them, so it is only given files that ParseFile has already
// validated (f.Dataset set): every length then fits in the file.
func (f *File) LibraryDataset() (ds sdicom.Dataset, err error) {
	if f.Dataset == nil {
		return sdicom.Dataset{}, errors.New("dicom: library parse: file not validated by ParseFile")
	}
	defer func() {
		if r := recover(); r != nil {
			ds, err = sdicom.Dataset{}, fmt.Errorf("dicom: library parse: panic: %v", r)
		}
	}()
	ds, err = sdicom.Parse(bytes.NewReader(f.Raw), int64(len(f.Raw)), nil,
		sdicom.SkipPixelData(), sdicom.AllowMissingMetaElementGroupLength(), sdicom.AllowUnknownSpecificCharacterSet())
	if err != nil {
		return sdicom.Dataset{}, fmt.Errorf("dicom: library parse: %w", err)
	}
	return ds, nil
}
