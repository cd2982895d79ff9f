package pixel

import (
	"errors"
	"fmt"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrNoPixelData: the instance has no (7FE0,0010) Pixel Data (SR, RT plan, waveform...).
	ErrNoPixelData = errors.New("pixel: no pixel data (not an image)")
	// ErrNotDICOM: the input is neither a Part-10 file nor a plausible bare dataset.
	ErrNotDICOM = errors.New("pixel: not a DICOM file")
	// ErrMalformed: the file or the compressed stream contradicts the standard.
	ErrMalformed = errors.New("pixel: malformed data")
	// ErrTooLarge: the image attributes ask for more memory than the package allows.
	ErrTooLarge = errors.New("pixel: image too large")
	// ErrFrameOutOfRange: Options.Frame is negative or not below the number of frames.
	ErrFrameOutOfRange = errors.New("pixel: frame out of range")
	// ErrUnsupported: a pixel format this package does not render (e.g. a photometric interpretation).
	ErrUnsupported = errors.New("pixel: unsupported pixel format")
)

// UnsupportedTransferSyntaxError reports pixel data encoded with a transfer
// syntax this package cannot decode.
type UnsupportedTransferSyntaxError struct {
	UID  string // transfer syntax UID as found in the file meta information
	Name string // its name, or "unknown"
}

// Error returns exactly "unsupported transfer syntax <name> (<uid>)".
func (e *UnsupportedTransferSyntaxError) Error() string {
	return fmt.Sprintf("unsupported transfer syntax %s (%s)", e.Name, e.UID)
}

func unsupportedTS(uid string) *UnsupportedTransferSyntaxError {
	return &UnsupportedTransferSyntaxError{UID: uid, Name: tsName(uid)}
}

// malformed wraps ErrMalformed with a formatted description.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}
