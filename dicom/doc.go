// Package dicom is Lingshu Edge's DICOM data layer: transfer syntaxes and UIDs,
// the Part-10 file format (PS3.10), a header-first bounded scanner that
// extracts the fields the index needs from every received instance, a full
// element parser (all uncompressed transfer syntaxes, including deflated and
// big endian), the DICOM JSON model (PS3.18 Annex F.2) and an element-wise
// dataset comparison for tests.
//
// Everything here treats its input as untrusted: lengths are checked against
// the buffer before use, nesting is bounded, inflation is bounded, and no
// function panics on malformed data. Calls into github.com/suyashkumar/dicom
// are wrapped so that a panic inside the library becomes an error.
//
// Layout: transfer_syntax.go (registry), uid.go (UID names, validation,
// generation), part10.go (meta header write/read), decode.go (element header
// decoding shared by the parsers), summary.go (ParseSummary), charset.go
// (Specific Character Set → UTF-8), dataset.go (full element tree), file.go
// (ReadFile/ParseFile), json.go (ToJSON), compare.go (EqualDatasets).
package dicom
