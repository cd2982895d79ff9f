package pixel

// Transfer syntax UIDs this package knows by name (PS3.5 §10, PS3.6 Annex A).
const (
	tsImplicitLE    = "1.2.840.10008.1.2"
	tsExplicitLE    = "1.2.840.10008.1.2.1"
	tsDeflatedLE    = "1.2.840.10008.1.2.1.99"
	tsExplicitBE    = "1.2.840.10008.1.2.2"
	tsJPEGBaseline  = "1.2.840.10008.1.2.4.50"
	tsJPEGExtended  = "1.2.840.10008.1.2.4.51"
	tsJPEGLossless  = "1.2.840.10008.1.2.4.57"
	tsJPEGLosslessS = "1.2.840.10008.1.2.4.70"
	tsRLELossless   = "1.2.840.10008.1.2.5"
)

// tsNames is a private copy of the names of the transfer syntaxes, so that
// error messages do not depend on another package.
var tsNames = map[string]string{
	tsImplicitLE:                "Implicit VR Little Endian",
	tsExplicitLE:                "Explicit VR Little Endian",
	"1.2.840.10008.1.2.1.98":    "Encapsulated Uncompressed Explicit VR Little Endian",
	tsDeflatedLE:                "Deflated Explicit VR Little Endian",
	tsExplicitBE:                "Explicit VR Big Endian",
	tsJPEGBaseline:              "JPEG Baseline (Process 1)",
	tsJPEGExtended:              "JPEG Extended (Process 2 & 4)",
	"1.2.840.10008.1.2.4.52":    "JPEG Extended (Process 3 & 5)",
	"1.2.840.10008.1.2.4.53":    "JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)",
	"1.2.840.10008.1.2.4.54":    "JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9)",
	"1.2.840.10008.1.2.4.55":    "JPEG Full Progression, Non-Hierarchical (Process 10 & 12)",
	"1.2.840.10008.1.2.4.56":    "JPEG Full Progression, Non-Hierarchical (Process 11 & 13)",
	tsJPEGLossless:              "JPEG Lossless, Non-Hierarchical (Process 14)",
	"1.2.840.10008.1.2.4.58":    "JPEG Lossless, Non-Hierarchical (Process 15)",
	tsJPEGLosslessS:             "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
	"1.2.840.10008.1.2.4.80":    "JPEG-LS Lossless Image Compression",
	"1.2.840.10008.1.2.4.81":    "JPEG-LS Lossy (Near-Lossless) Image Compression",
	"1.2.840.10008.1.2.4.90":    "JPEG 2000 Image Compression (Lossless Only)",
	"1.2.840.10008.1.2.4.91":    "JPEG 2000 Image Compression",
	"1.2.840.10008.1.2.4.92":    "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
	"1.2.840.10008.1.2.4.93":    "JPEG 2000 Part 2 Multi-component Image Compression",
	"1.2.840.10008.1.2.4.94":    "JPIP Referenced",
	"1.2.840.10008.1.2.4.95":    "JPIP Referenced Deflate",
	"1.2.840.10008.1.2.4.100":   "MPEG2 Main Profile / Main Level",
	"1.2.840.10008.1.2.4.101":   "MPEG2 Main Profile / High Level",
	"1.2.840.10008.1.2.4.102":   "MPEG-4 AVC/H.264 High Profile / Level 4.1",
	"1.2.840.10008.1.2.4.103":   "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1",
	"1.2.840.10008.1.2.4.104":   "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video",
	"1.2.840.10008.1.2.4.105":   "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video",
	"1.2.840.10008.1.2.4.106":   "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2",
	"1.2.840.10008.1.2.4.107":   "HEVC/H.265 Main Profile / Level 5.1",
	"1.2.840.10008.1.2.4.108":   "HEVC/H.265 Main 10 Profile / Level 5.1",
	"1.2.840.10008.1.2.4.201":   "High-Throughput JPEG 2000 Image Compression (Lossless Only)",
	"1.2.840.10008.1.2.4.202":   "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
	"1.2.840.10008.1.2.4.203":   "High-Throughput JPEG 2000 Image Compression",
	tsRLELossless:               "RLE Lossless",
	"1.2.840.10008.1.2.6.1":     "RFC 2557 MIME encapsulation",
	"1.2.840.10008.1.2.6.2":     "XML Encoding",
	"1.2.840.10008.1.20":        "Papyrus 3 Implicit VR Little Endian",
	"1.2.840.10008.1.2.4.100.1": "Fragmentable MPEG2 Main Profile / Main Level",
}

// tsName returns the name of a transfer syntax, or "unknown".
func tsName(uid string) string {
	if n, ok := tsNames[uid]; ok {
		return n
	}
	return "unknown"
}

// tsDecodable reports whether Render can decode pixel data in this transfer syntax.
// JPEG Extended is decodable only when the stream is 8-bit (checked per frame).
func tsDecodable(uid string) bool {
	switch uid {
	case tsImplicitLE, tsExplicitLE, tsDeflatedLE, tsExplicitBE, "1.2.840.10008.1.2.1.98",
		tsJPEGBaseline, tsJPEGExtended, tsJPEGLossless, tsJPEGLosslessS, tsRLELossless:
		return true
	}
	return false
}
