package pixel

import (
	"fmt"
	"image"
	"io"
	"os"
)

// Options select the frame and the presentation of a rendered image.
type Options struct {
	// Frame is the 0-based frame index of a multi-frame image.
	Frame int
	// Window (width) and Level (center) override the file's VOI window when
	// HasWindow is set; they are in modality units (e.g. Hounsfield units).
	Window, Level float64
	HasWindow     bool
	// MaxSize, when positive, downscales the image (area average) so that its
	// longest side is at most MaxSize pixels. 0 keeps the native size.
	MaxSize int
}

// RenderFile renders one frame of the Part-10 file at path.
func RenderFile(path string, opt Options) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pixel: render: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("pixel: render: %w", err)
	}
	return Render(f, st.Size(), opt)
}

// Render renders one frame of a Part-10 file (or a bare dataset) of size
// bytes read from r. Monochrome images become *image.Gray: Modality LUT
// (Rescale Slope/Intercept or Modality LUT Sequence), then VOI — the window in
// Options, else the file's first window (with its VOI LUT Function; enhanced
// multi-frame functional groups included), else its VOI LUT Sequence, else an
// automatic window over the 0.5–99.5 percentiles of the modality values,
// Pixel Padding Value excluded — then MONOCHROME1 inversion. Colour images
// (RGB, YBR_FULL, YBR_FULL_422, YBR_PARTIAL, PALETTE COLOR) become
// *image.RGBA. Native frames are read alone; encapsulated pixel data is read
// whole (it is at most size bytes).
func Render(r io.Reader, size int64, opt Options) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil { // last line of defence for untrusted input
			img, err = nil, fmt.Errorf("%w: internal error: %v", ErrMalformed, p)
		}
	}()
	ds, err := parse(r, size, true)
	if err != nil {
		return nil, err
	}
	f, err := ds.format()
	if err != nil {
		return nil, err
	}
	if !tsDecodable(ds.ts) {
		return nil, unsupportedTS(ds.ts)
	}
	if opt.Frame < 0 || opt.Frame >= f.frames {
		return nil, fmt.Errorf("%w: frame %d of %d", ErrFrameOutOfRange, opt.Frame, f.frames)
	}
	s, err := decodeFrame(ds, f, opt.Frame)
	if err != nil {
		return nil, err
	}
	out, err := present(ds, f, s, opt)
	if err != nil {
		return nil, err
	}
	if opt.MaxSize > 0 {
		out = downscale(out, opt.MaxSize)
	}
	return out, nil
}

// Inspect describes the image in the Part-10 file at path without decoding pixels.
func Inspect(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, fmt.Errorf("pixel: inspect: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("pixel: inspect: %w", err)
	}
	return InspectReader(f, st.Size())
}

// InspectReader is Inspect for a file of size bytes read from r.
func InspectReader(r io.Reader, size int64) (info Info, err error) {
	defer func() {
		if p := recover(); p != nil {
			info, err = Info{}, fmt.Errorf("%w: internal error: %v", ErrMalformed, p)
		}
	}()
	ds, err := parse(r, size, false)
	if err != nil {
		return Info{}, err
	}
	return ds.info()
}

// decodeFrame returns the stored values of frame k.
func decodeFrame(ds *dataset, f *format, k int) (*samples, error) {
	if !ds.pixel.encapsulated {
		switch ds.ts {
		case tsImplicitLE, tsExplicitLE, tsDeflatedLE, tsExplicitBE:
			return readNativeFrame(ds, f, k)
		}
		return nil, malformed("native pixel data in transfer syntax %s", ds.ts)
	}
	data, err := ds.encapsulatedFrame(k, f.frames)
	if err != nil {
		return nil, err
	}
	switch ds.ts {
	case tsRLELossless:
		return decodeRLE(data, f)
	case tsJPEGLossless, tsJPEGLosslessS, tsJPEGBaseline, tsJPEGExtended:
		return decodeJPEG(data, f, ds.ts)
	case "1.2.840.10008.1.2.1.98":
		return unpackNative(data, f, false, "OB", 0)
	}
	return nil, malformed("encapsulated pixel data in transfer syntax %s", ds.ts)
}

// readNativeFrame reads frame k from the stream, skipping earlier frames.
func readNativeFrame(ds *dataset, f *format, k int) (*samples, error) {
	e := ds.reader
	var start, end, bitOff int64
	if f.bitsAlloc == 1 {
		bits := int64(f.rows) * int64(f.cols) * int64(f.spp)
		startBit := int64(k) * bits
		start, bitOff, end = startBit/8, startBit%8, (startBit+bits+7)/8
	} else {
		n := f.nativeFrameBytes()
		start, end = int64(k)*n, int64(k+1)*n
	}
	if end > int64(ds.pixel.length) {
		return nil, malformed("pixel data has %d bytes, frame %d needs %d", ds.pixel.length, k, end)
	}
	if err := e.skip(start); err != nil {
		return nil, fmt.Errorf("pixel: read frame %d: %w", k, err)
	}
	buf, err := e.readValue(uint32(end - start))
	if err != nil {
		return nil, fmt.Errorf("pixel: read frame %d: %w", k, err)
	}
	return unpackNative(buf, f, ds.ts == tsExplicitBE, ds.pixel.vr, int(bitOff))
}

// present turns stored values into an 8-bit image.
func present(ds *dataset, f *format, s *samples, opt Options) (image.Image, error) {
	if s.spp == 3 {
		return renderColor(s)
	}
	switch s.photometric {
	case "MONOCHROME1", "MONOCHROME2":
	case "PALETTE COLOR":
		return renderPalette(ds, s)
	default:
		return nil, fmt.Errorf("%w: photometric interpretation %q with 1 sample", ErrUnsupported, s.photometric)
	}
	t := ds.transform(opt.Frame)
	m, err := newModalityLUT(ds, f, t)
	if err != nil {
		return nil, err
	}
	var w window
	auto := false
	switch {
	case opt.HasWindow:
		w = window{center: opt.Level, width: max(opt.Window, 1), fn: "LINEAR"}
	case t.hasWindow && (t.width >= 1 || t.voiFunc != "LINEAR"):
		w = window{center: t.center, width: t.width, fn: t.voiFunc}
	case ds.top.seqs[tagVOILUTSeq] != nil:
		if w, err = newVOILUT(ds, f); err != nil {
			return nil, err
		}
	default:
		auto = true
	}
	return renderGray(s, m, w, auto, newPadding(ds, f)), nil
}
