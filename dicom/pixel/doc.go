// Package pixel turns the pixel data of a stored DICOM instance (a Part-10
// file) into an image.Image for the web viewer and the vision-language model.
//
// The pipeline for one frame is:
//
//	Part-10 file ─▶ bounded header parse (group 0002, group 0028, Pixel Data)
//	             ─▶ frame bytes (native, or encapsulated fragments → frame)
//	             ─▶ codec (native, RLE Lossless, JPEG Lossless process 14, JPEG baseline)
//	             ─▶ stored values (BitsStored/HighBit masked, sign extended)
//	             ─▶ monochrome: Modality LUT (rescale or LUT sequence) → VOI (window or auto) → MONOCHROME1 inversion → *image.Gray
//	                colour:     planar → interleaved, YBR_FULL/YBR_FULL_422 → RGB, palette → RGB → *image.RGBA
//	             ─▶ optional area-average downscale to Options.MaxSize.
//
// The header reader is our own, not suyashkumar/dicom's: every length read
// from the file is checked against the bytes that remain and against fixed
// limits before anything is allocated, so untrusted files cannot make the
// process allocate gigabytes, and no input makes it panic (panics from the
// standard library's image/jpeg are recovered at the boundary).
//
// Transfer syntaxes this package cannot decode (JPEG-LS, JPEG 2000, 12-bit
// JPEG, video...) yield *UnsupportedTransferSyntaxError; files without pixel
// data yield ErrNoPixelData.
package pixel
