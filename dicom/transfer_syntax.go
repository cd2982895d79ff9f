package dicom

// TransferSyntax describes how a dataset is encoded (PS3.5 §10, PS3.6 Table A-1).
type TransferSyntax struct {
	UID  string
	Name string
	// ExplicitVR is true when every element carries its VR.
	ExplicitVR bool
	// BigEndian is true for the retired Explicit VR Big Endian syntax.
	BigEndian bool
	// Deflated is true when the dataset bytes are a raw DEFLATE stream
	// (RFC 1951) of an Explicit VR Little Endian dataset.
	Deflated bool
	// Encapsulated is true when Pixel Data is stored as fragments
	// (compressed or encapsulated uncompressed).
	Encapsulated bool
	// Retired marks syntaxes retired from the standard.
	Retired bool
}

// Transfer syntax UIDs (PS3.6 Table A-1).
const (
	ImplicitVRLittleEndian              = "1.2.840.10008.1.2"
	ExplicitVRLittleEndian              = "1.2.840.10008.1.2.1"
	EncapsulatedUncompressedExplicitVR  = "1.2.840.10008.1.2.1.98"
	DeflatedExplicitVRLittleEndian      = "1.2.840.10008.1.2.1.99"
	ExplicitVRBigEndian                 = "1.2.840.10008.1.2.2"
	JPEGBaseline8Bit                    = "1.2.840.10008.1.2.4.50"
	JPEGBaseline                        = JPEGBaseline8Bit
	JPEGExtended12Bit                   = "1.2.840.10008.1.2.4.51"
	JPEGLossless                        = "1.2.840.10008.1.2.4.57"
	JPEGLosslessSV1                     = "1.2.840.10008.1.2.4.70"
	JPEGLSLossless                      = "1.2.840.10008.1.2.4.80"
	JPEGLSNearLossless                  = "1.2.840.10008.1.2.4.81"
	JPEG2000Lossless                    = "1.2.840.10008.1.2.4.90"
	JPEG2000                            = "1.2.840.10008.1.2.4.91"
	JPEG2000MCLossless                  = "1.2.840.10008.1.2.4.92"
	JPEG2000MC                          = "1.2.840.10008.1.2.4.93"
	JPIPReferenced                      = "1.2.840.10008.1.2.4.94"
	JPIPReferencedDeflate               = "1.2.840.10008.1.2.4.95"
	MPEG2MPML                           = "1.2.840.10008.1.2.4.100"
	MPEG2MPHL                           = "1.2.840.10008.1.2.4.101"
	MPEG4HP41                           = "1.2.840.10008.1.2.4.102"
	MPEG4HP41BD                         = "1.2.840.10008.1.2.4.103"
	MPEG4HP422D                         = "1.2.840.10008.1.2.4.104"
	MPEG4HP423D                         = "1.2.840.10008.1.2.4.105"
	MPEG4HP42Stereo                     = "1.2.840.10008.1.2.4.106"
	HEVCMP51                            = "1.2.840.10008.1.2.4.107"
	HEVCM10P51                          = "1.2.840.10008.1.2.4.108"
	JPEGXLLossless                      = "1.2.840.10008.1.2.4.110"
	JPEGXLJPEGRecompression             = "1.2.840.10008.1.2.4.111"
	JPEGXL                              = "1.2.840.10008.1.2.4.112"
	HTJ2KLossless                       = "1.2.840.10008.1.2.4.201"
	HTJ2KLosslessRPCL                   = "1.2.840.10008.1.2.4.202"
	HTJ2K                               = "1.2.840.10008.1.2.4.203"
	JPIPHTJ2KReferenced                 = "1.2.840.10008.1.2.4.204"
	JPIPHTJ2KReferencedDeflate          = "1.2.840.10008.1.2.4.205"
	RLELossless                         = "1.2.840.10008.1.2.5"
	SMPTEST211020UncompressedProgresive = "1.2.840.10008.1.2.7.1"
	SMPTEST211020UncompressedInterlaced = "1.2.840.10008.1.2.7.2"
	SMPTEST211030PCMDigitalAudio        = "1.2.840.10008.1.2.7.3"
)

// ts flags, to keep the table below one line per syntax.
const (
	tsExplicit = 1 << iota
	tsBigEndian
	tsDeflated
	tsEncapsulated
	tsRetired
)

type tsEntry struct {
	uid, name string
	flags     int
}

const tsEnc = tsExplicit | tsEncapsulated

var transferSyntaxTable = [...]tsEntry{
	{ImplicitVRLittleEndian, "Implicit VR Little Endian", 0},
	{ExplicitVRLittleEndian, "Explicit VR Little Endian", tsExplicit},
	{EncapsulatedUncompressedExplicitVR, "Encapsulated Uncompressed Explicit VR Little Endian", tsEnc},
	{DeflatedExplicitVRLittleEndian, "Deflated Explicit VR Little Endian", tsExplicit | tsDeflated},
	{ExplicitVRBigEndian, "Explicit VR Big Endian", tsExplicit | tsBigEndian | tsRetired},
	{JPEGBaseline8Bit, "JPEG Baseline (Process 1)", tsEnc},
	{JPEGExtended12Bit, "JPEG Extended (Process 2 & 4)", tsEnc},
	{"1.2.840.10008.1.2.4.52", "JPEG Extended (Process 3 & 5)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.53", "JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.54", "JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.55", "JPEG Full Progression, Non-Hierarchical (Process 10 & 12)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.56", "JPEG Full Progression, Non-Hierarchical (Process 11 & 13)", tsEnc | tsRetired},
	{JPEGLossless, "JPEG Lossless, Non-Hierarchical (Process 14)", tsEnc},
	{"1.2.840.10008.1.2.4.58", "JPEG Lossless, Non-Hierarchical (Process 15)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.59", "JPEG Extended, Hierarchical (Process 16 & 18)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.60", "JPEG Extended, Hierarchical (Process 17 & 19)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.61", "JPEG Spectral Selection, Hierarchical (Process 20 & 22)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.62", "JPEG Spectral Selection, Hierarchical (Process 21 & 23)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.63", "JPEG Full Progression, Hierarchical (Process 24 & 26)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.64", "JPEG Full Progression, Hierarchical (Process 25 & 27)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.65", "JPEG Lossless, Hierarchical (Process 28)", tsEnc | tsRetired},
	{"1.2.840.10008.1.2.4.66", "JPEG Lossless, Hierarchical (Process 29)", tsEnc | tsRetired},
	{JPEGLosslessSV1, "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])", tsEnc},
	{JPEGLSLossless, "JPEG-LS Lossless Image Compression", tsEnc},
	{JPEGLSNearLossless, "JPEG-LS Lossy (Near-Lossless) Image Compression", tsEnc},
	{JPEG2000Lossless, "JPEG 2000 Image Compression (Lossless Only)", tsEnc},
	{JPEG2000, "JPEG 2000 Image Compression", tsEnc},
	{JPEG2000MCLossless, "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)", tsEnc},
	{JPEG2000MC, "JPEG 2000 Part 2 Multi-component Image Compression", tsEnc},
	{JPIPReferenced, "JPIP Referenced", tsExplicit},
	{JPIPReferencedDeflate, "JPIP Referenced Deflate", tsExplicit | tsDeflated},
	{MPEG2MPML, "MPEG2 Main Profile / Main Level", tsEnc},
	{MPEG2MPML + ".1", "Fragmentable MPEG2 Main Profile / Main Level", tsEnc},
	{MPEG2MPHL, "MPEG2 Main Profile / High Level", tsEnc},
	{MPEG2MPHL + ".1", "Fragmentable MPEG2 Main Profile / High Level", tsEnc},
	{MPEG4HP41, "MPEG-4 AVC/H.264 High Profile / Level 4.1", tsEnc},
	{MPEG4HP41 + ".1", "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1", tsEnc},
	{MPEG4HP41BD, "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", tsEnc},
	{MPEG4HP41BD + ".1", "Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1", tsEnc},
	{MPEG4HP422D, "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", tsEnc},
	{MPEG4HP422D + ".1", "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video", tsEnc},
	{MPEG4HP423D, "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", tsEnc},
	{MPEG4HP423D + ".1", "Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video", tsEnc},
	{MPEG4HP42Stereo, "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", tsEnc},
	{MPEG4HP42Stereo + ".1", "Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2", tsEnc},
	{HEVCMP51, "HEVC/H.265 Main Profile / Level 5.1", tsEnc},
	{HEVCM10P51, "HEVC/H.265 Main 10 Profile / Level 5.1", tsEnc},
	{JPEGXLLossless, "JPEG XL Lossless", tsEnc},
	{JPEGXLJPEGRecompression, "JPEG XL JPEG Recompression", tsEnc},
	{JPEGXL, "JPEG XL", tsEnc},
	{HTJ2KLossless, "High-Throughput JPEG 2000 Image Compression (Lossless Only)", tsEnc},
	{HTJ2KLosslessRPCL, "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)", tsEnc},
	{HTJ2K, "High-Throughput JPEG 2000 Image Compression", tsEnc},
	{JPIPHTJ2KReferenced, "JPIP HTJ2K Referenced", tsExplicit},
	{JPIPHTJ2KReferencedDeflate, "JPIP HTJ2K Referenced Deflate", tsExplicit | tsDeflated},
	{RLELossless, "RLE Lossless", tsEnc},
	{"1.2.840.10008.1.2.6.1", "RFC 2557 MIME encapsulation", tsExplicit | tsRetired},
	{"1.2.840.10008.1.2.6.2", "XML Encoding", tsExplicit | tsRetired},
	{SMPTEST211020UncompressedProgresive, "SMPTE ST 2110-20 Uncompressed Progressive Active Video", tsEnc},
	{SMPTEST211020UncompressedInterlaced, "SMPTE ST 2110-20 Uncompressed Interlaced Active Video", tsEnc},
	{SMPTEST211030PCMDigitalAudio, "SMPTE ST 2110-30 PCM Digital Audio", tsEnc},
	{"1.2.840.10008.1.20", "Papyrus 3 Implicit VR Little Endian", tsRetired},
}

func (e tsEntry) syntax() TransferSyntax {
	return TransferSyntax{
		UID:          e.uid,
		Name:         e.name,
		ExplicitVR:   e.flags&tsExplicit != 0,
		BigEndian:    e.flags&tsBigEndian != 0,
		Deflated:     e.flags&tsDeflated != 0,
		Encapsulated: e.flags&tsEncapsulated != 0,
		Retired:      e.flags&tsRetired != 0,
	}
}

// LookupTransferSyntax returns the registered transfer syntax with the given
// UID (trailing NUL and space padding ignored).
func LookupTransferSyntax(uid string) (TransferSyntax, bool) {
	uid = trimUID(uid)
	for i := range transferSyntaxTable {
		if transferSyntaxTable[i].uid == uid {
			return transferSyntaxTable[i].syntax(), true
		}
	}
	return TransferSyntax{}, false
}

// TransferSyntaxes returns every registered transfer syntax, in table order.
func TransferSyntaxes() []TransferSyntax {
	out := make([]TransferSyntax, len(transferSyntaxTable))
	for i := range transferSyntaxTable {
		out[i] = transferSyntaxTable[i].syntax()
	}
	return out
}

// encodingFor returns how a dataset in the given transfer syntax is encoded.
// An unknown, non-empty UID is assumed to be a private compressed syntax and
// therefore Explicit VR Little Endian (every standard syntax except Implicit
// VR Little Endian, Big Endian and the deflated ones is). An empty UID means
// "unknown": Implicit VR Little Endian with auto-detection of explicit VR.
func encodingFor(uid string) (explicit, bigEndian, deflated, known bool) {
	uid = trimUID(uid)
	if uid == "" {
		return false, false, false, false
	}
	ts, ok := LookupTransferSyntax(uid)
	if !ok {
		return true, false, false, false
	}
	return ts.ExplicitVR, ts.BigEndian, ts.Deflated, true
}

// detectEncoding returns the encoding of data declared in transfer syntax
// uid: the declared one, except that with no UID at all a first tag that is
// only plausible in big endian byte order (group bytes 00 gg) selects
// Explicit VR Big Endian.
func detectEncoding(data []byte, uid string) (explicit, bigEndian, deflated bool) {
	explicit, bigEndian, deflated, known := encodingFor(uid)
	if !known && trimUID(uid) == "" && len(data) >= 8 && data[0] == 0 && data[1] != 0 {
		return true, true, false
	}
	return explicit, bigEndian, deflated
}
