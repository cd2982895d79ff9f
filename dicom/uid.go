package dicom

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
)

// Well-known SOP class UIDs (PS3.6 Annex A, PS3.4 Annex B).
const (
	VerificationSOPClass                  = "1.2.840.10008.1.1"
	CRImageStorage                        = "1.2.840.10008.5.1.4.1.1.1"
	DXImageStorageForPresentation         = "1.2.840.10008.5.1.4.1.1.1.1"
	DXImageStorageForProcessing           = "1.2.840.10008.5.1.4.1.1.1.1.1"
	MGImageStorageForPresentation         = "1.2.840.10008.5.1.4.1.1.1.2"
	MGImageStorageForProcessing           = "1.2.840.10008.5.1.4.1.1.1.2.1"
	CTImageStorage                        = "1.2.840.10008.5.1.4.1.1.2"
	EnhancedCTImageStorage                = "1.2.840.10008.5.1.4.1.1.2.1"
	MRImageStorage                        = "1.2.840.10008.5.1.4.1.1.4"
	EnhancedMRImageStorage                = "1.2.840.10008.5.1.4.1.1.4.1"
	USImageStorage                        = "1.2.840.10008.5.1.4.1.1.6.1"
	USMultiFrameImageStorage              = "1.2.840.10008.5.1.4.1.1.3.1"
	SecondaryCaptureImageStorage          = "1.2.840.10008.5.1.4.1.1.7"
	BasicTextSRStorage                    = "1.2.840.10008.5.1.4.1.1.88.11"
	EnhancedSRStorage                     = "1.2.840.10008.5.1.4.1.1.88.22"
	ComprehensiveSRStorage                = "1.2.840.10008.5.1.4.1.1.88.33"
	EncapsulatedPDFStorage                = "1.2.840.10008.5.1.4.1.1.104.1"
	StudyRootQueryRetrieveInformationFind = "1.2.840.10008.5.1.4.1.2.2.1"
)

// MaxUIDLength is the maximum length of a UID (PS3.5 §9.1).
const MaxUIDLength = 64

// uidNames maps SOP class and other well-known UIDs to their PS3.6 names.
// Transfer syntax names come from the transfer syntax table.
var uidNames = map[string]string{
	VerificationSOPClass:             "Verification SOP Class",
	"1.2.840.10008.1.20.1":           "Storage Commitment Push Model SOP Class",
	"1.2.840.10008.1.3.10":           "Media Storage Directory Storage",
	CRImageStorage:                   "Computed Radiography Image Storage",
	DXImageStorageForPresentation:    "Digital X-Ray Image Storage - For Presentation",
	DXImageStorageForProcessing:      "Digital X-Ray Image Storage - For Processing",
	MGImageStorageForPresentation:    "Digital Mammography X-Ray Image Storage - For Presentation",
	MGImageStorageForProcessing:      "Digital Mammography X-Ray Image Storage - For Processing",
	"1.2.840.10008.5.1.4.1.1.1.3":    "Digital Intra-Oral X-Ray Image Storage - For Presentation",
	"1.2.840.10008.5.1.4.1.1.1.3.1":  "Digital Intra-Oral X-Ray Image Storage - For Processing",
	CTImageStorage:                   "CT Image Storage",
	EnhancedCTImageStorage:           "Enhanced CT Image Storage",
	"1.2.840.10008.5.1.4.1.1.2.2":    "Legacy Converted Enhanced CT Image Storage",
	USMultiFrameImageStorage:         "Ultrasound Multi-frame Image Storage",
	MRImageStorage:                   "MR Image Storage",
	EnhancedMRImageStorage:           "Enhanced MR Image Storage",
	"1.2.840.10008.5.1.4.1.1.4.2":    "MR Spectroscopy Storage",
	"1.2.840.10008.5.1.4.1.1.4.3":    "Enhanced MR Color Image Storage",
	"1.2.840.10008.5.1.4.1.1.4.4":    "Legacy Converted Enhanced MR Image Storage",
	USImageStorage:                   "Ultrasound Image Storage",
	"1.2.840.10008.5.1.4.1.1.6.2":    "Enhanced US Volume Storage",
	SecondaryCaptureImageStorage:     "Secondary Capture Image Storage",
	"1.2.840.10008.5.1.4.1.1.7.1":    "Multi-frame Single Bit Secondary Capture Image Storage",
	"1.2.840.10008.5.1.4.1.1.7.2":    "Multi-frame Grayscale Byte Secondary Capture Image Storage",
	"1.2.840.10008.5.1.4.1.1.7.3":    "Multi-frame Grayscale Word Secondary Capture Image Storage",
	"1.2.840.10008.5.1.4.1.1.7.4":    "Multi-frame True Color Secondary Capture Image Storage",
	"1.2.840.10008.5.1.4.1.1.9.1.1":  "12-lead ECG Waveform Storage",
	"1.2.840.10008.5.1.4.1.1.9.1.2":  "General ECG Waveform Storage",
	"1.2.840.10008.5.1.4.1.1.11.1":   "Grayscale Softcopy Presentation State Storage",
	"1.2.840.10008.5.1.4.1.1.12.1":   "X-Ray Angiographic Image Storage",
	"1.2.840.10008.5.1.4.1.1.12.1.1": "Enhanced XA Image Storage",
	"1.2.840.10008.5.1.4.1.1.12.2":   "X-Ray Radiofluoroscopic Image Storage",
	"1.2.840.10008.5.1.4.1.1.12.2.1": "Enhanced XRF Image Storage",
	"1.2.840.10008.5.1.4.1.1.13.1.3": "Breast Tomosynthesis Image Storage",
	"1.2.840.10008.5.1.4.1.1.20":     "Nuclear Medicine Image Storage",
	"1.2.840.10008.5.1.4.1.1.66":     "Raw Data Storage",
	"1.2.840.10008.5.1.4.1.1.66.4":   "Segmentation Storage",
	"1.2.840.10008.5.1.4.1.1.77.1.4": "VL Photographic Image Storage",
	"1.2.840.10008.5.1.4.1.1.88.11":  "Basic Text SR Storage",
	"1.2.840.10008.5.1.4.1.1.88.22":  "Enhanced SR Storage",
	"1.2.840.10008.5.1.4.1.1.88.33":  "Comprehensive SR Storage",
	"1.2.840.10008.5.1.4.1.1.88.34":  "Comprehensive 3D SR Storage",
	"1.2.840.10008.5.1.4.1.1.88.50":  "Mammography CAD SR Storage",
	"1.2.840.10008.5.1.4.1.1.88.59":  "Key Object Selection Document Storage",
	"1.2.840.10008.5.1.4.1.1.88.65":  "Chest CAD SR Storage",
	"1.2.840.10008.5.1.4.1.1.88.67":  "X-Ray Radiation Dose SR Storage",
	EncapsulatedPDFStorage:           "Encapsulated PDF Storage",
	"1.2.840.10008.5.1.4.1.1.128":    "Positron Emission Tomography Image Storage",
	"1.2.840.10008.5.1.4.1.1.128.1":  "Legacy Converted Enhanced PET Image Storage",
	"1.2.840.10008.5.1.4.1.1.130":    "Enhanced PET Image Storage",
	"1.2.840.10008.5.1.4.1.1.481.1":  "RT Image Storage",
	"1.2.840.10008.5.1.4.1.1.481.2":  "RT Dose Storage",
	"1.2.840.10008.5.1.4.1.1.481.3":  "RT Structure Set Storage",
	"1.2.840.10008.5.1.4.1.1.481.5":  "RT Plan Storage",
	"1.2.840.10008.5.1.4.1.2.1.1":    "Patient Root Query/Retrieve Information Model - FIND",
	"1.2.840.10008.5.1.4.1.2.1.2":    "Patient Root Query/Retrieve Information Model - MOVE",
	"1.2.840.10008.5.1.4.1.2.1.3":    "Patient Root Query/Retrieve Information Model - GET",
	"1.2.840.10008.5.1.4.1.2.2.1":    "Study Root Query/Retrieve Information Model - FIND",
	"1.2.840.10008.5.1.4.1.2.2.2":    "Study Root Query/Retrieve Information Model - MOVE",
	"1.2.840.10008.5.1.4.1.2.2.3":    "Study Root Query/Retrieve Information Model - GET",
	"1.2.840.10008.3.1.1.1":          "DICOM Application Context Name",
}

// UIDName returns the standard name of a transfer syntax or well-known SOP
// class UID, or the UID itself when it is not known.
func UIDName(uid string) string {
	u := trimUID(uid)
	if ts, ok := LookupTransferSyntax(u); ok {
		return ts.Name
	}
	if n, ok := uidNames[u]; ok {
		return n
	}
	return u
}

// trimUID removes the NUL or space padding a UI value may carry.
func trimUID(s string) string {
	return strings.TrimRight(s, "\x00 ")
}

// ValidateUID reports why uid is not a valid UID per PS3.5 §9.1: one or more
// components of digits separated by dots, no empty component, no leading
// zero in a multi-digit component, at most 64 characters. Padding must have
// been removed by the caller.
func ValidateUID(uid string) error {
	if uid == "" {
		return errors.New("dicom: invalid uid: empty")
	}
	if len(uid) > MaxUIDLength {
		return fmt.Errorf("dicom: invalid uid %q: %d characters exceeds %d", uid, len(uid), MaxUIDLength)
	}
	start := 0
	for i := 0; i <= len(uid); i++ {
		if i < len(uid) && uid[i] != '.' {
			if uid[i] < '0' || uid[i] > '9' {
				return fmt.Errorf("dicom: invalid uid %q: character %q at %d", uid, uid[i], i)
			}
			continue
		}
		comp := uid[start:i]
		if comp == "" {
			return fmt.Errorf("dicom: invalid uid %q: empty component at %d", uid, start)
		}
		if len(comp) > 1 && comp[0] == '0' {
			return fmt.Errorf("dicom: invalid uid %q: component %q has a leading zero", uid, comp)
		}
		start = i + 1
	}
	return nil
}

// ValidUID reports whether uid is a valid UID (see ValidateUID).
func ValidUID(uid string) bool { return ValidateUID(uid) == nil }

// UUIDRoot is the root for UIDs derived from a UUID (PS3.5 §B.2).
const UUIDRoot = "2.25"

// minUIDRandomDigits is the fewest random decimal digits NewUID accepts
// (about 66 bits), so that collisions stay negligible.
const minUIDRandomDigits = 20

// NewUID returns a fresh UID under root: root + "." + a random decimal number
// as long as the 64-character limit allows (at most 39 digits, 128 bits of
// randomness). An empty root means UUIDRoot. The root must be a valid UID
// leaving room for at least 20 random digits.
func NewUID(root string) (string, error) {
	return NewUIDFrom(rand.Reader, root)
}

// NewUIDFrom is NewUID with an explicit randomness source (deterministic UIDs
// for phantoms and tests come from a seeded reader).
func NewUIDFrom(r io.Reader, root string) (string, error) {
	if root == "" {
		root = UUIDRoot
	}
	if err := ValidateUID(root); err != nil {
		return "", fmt.Errorf("dicom: new uid: root: %w", err)
	}
	digits := MaxUIDLength - len(root) - 1
	if digits > 39 {
		digits = 39
	}
	if digits < minUIDRandomDigits {
		return "", fmt.Errorf("dicom: new uid: root %q too long (%d characters leave %d digits, need %d)",
			root, len(root), digits, minUIDRandomDigits)
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("dicom: new uid: random: %w", err)
	}
	if root == UUIDRoot {
		// A UUID version 4 (RFC 9562), as PS3.5 §B.2 asks for this root.
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
	}
	n := new(big.Int).SetBytes(b[:])
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)
	n.Mod(n, limit)
	// The decimal form of a big.Int never has a leading zero; a zero value
	// (probability 10^-20 or less) would still be a valid component "0".
	return root + "." + n.String(), nil
}
