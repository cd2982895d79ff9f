package phantom

import (
	"bytes"
	"fmt"

	"github.com/lingshu-edge/lingshu/dicom"
)

// part10 wraps a dataset already encoded in transferSyntax into a PS3.10
// file with dicom.WritePart10: 128-byte zero preamble, "DICM", the File
// Meta Information group (explicit VR little endian, with group length),
// then the dataset bytes unchanged. The implementation class is Lingshu's;
// the version name says the file came from this generator.
func part10(sopClass, sopInstance, transferSyntax string, ds []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(ds) + 512)
	err := dicom.WritePart10(&out, dicom.FileMeta{
		MediaStorageSOPClassUID:    sopClass,
		MediaStorageSOPInstanceUID: sopInstance,
		TransferSyntaxUID:          transferSyntax,
		ImplementationClassUID:     dicom.ImplementationClassUID,
		ImplementationVersionName:  ImplementationVersionName,
	}, ds)
	if err != nil {
		return nil, fmt.Errorf("phantom: part 10 file: %w", err)
	}
	return out.Bytes(), nil
}
