package pixel

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
)

// maxJPEGRatio bounds pixels per compressed byte (a flat 8×8 block costs a few
// bits), so that a small stream claiming a huge image is refused before
// image/jpeg allocates it.
const maxJPEGRatio = 4096

// jpegHeader is what the markers before the first scan say.
type jpegHeader struct {
	sof       byte // SOFn marker, 0xC0..0xCF
	precision int
	jfif      bool // APP0 "JFIF": components are YCbCr
	adobe     bool // APP14 "Adobe"
	subsample bool // components have different sampling factors (chroma subsampling)
}

// jpegFrameHeader reads the markers of a JPEG stream up to the first scan.
func jpegFrameHeader(data []byte) (jpegHeader, error) {
	var h jpegHeader
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return h, malformed("jpeg stream does not start with SOI")
	}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xFF {
			return h, malformed("jpeg: expected a marker at byte %d", i)
		}
		m := data[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		if m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01 {
			i += 2
			continue
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) {
			return h, malformed("jpeg: segment %02X of length %d overruns the stream", m, n)
		}
		seg := data[i+4 : i+2+n]
		switch {
		case m == 0xE0 && bytes.HasPrefix(seg, []byte("JFIF\x00")):
			h.jfif = true
		case m == 0xEE && bytes.HasPrefix(seg, []byte("Adobe")):
			h.adobe = true
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			if len(seg) < 1 {
				return h, malformed("jpeg: short frame header")
			}
			h.sof, h.precision = m, int(seg[0])
			if len(seg) >= 6 {
				for c := 1; c < int(seg[5]) && 6+3*c+1 < len(seg); c++ {
					if seg[6+3*c+1] != seg[6+1] {
						h.subsample = true
					}
				}
			}
		}
		if m == 0xDA || m == 0xD9 {
			break
		}
		i += 2 + n
	}
	if h.sof == 0 {
		return h, malformed("jpeg: no frame header")
	}
	return h, nil
}

// decodeJPEG picks the decoder by the stream's SOF marker rather than by the
// transfer syntax alone, so that mislabelled streams still decode.
func decodeJPEG(data []byte, f *format, ts string) (*samples, error) {
	jh, err := jpegFrameHeader(data)
	if err != nil {
		return nil, err
	}
	if jh.sof == 0xC3 {
		return decodeJPEGLossless(data, f)
	}
	return decodeJPEGBaseline(data, f, ts, jh)
}

// decodeJPEGBaseline decodes an 8-bit DCT JPEG frame with image/jpeg.
func decodeJPEGBaseline(data []byte, f *format, ts string, jh jpegHeader) (s *samples, err error) {
	if jh.precision != 8 || (jh.sof != 0xC0 && jh.sof != 0xC1 && jh.sof != 0xC2) {
		return nil, fmt.Errorf("pixel: %d-bit JPEG (SOF%d) is not supported by image/jpeg: %w", jh.precision, jh.sof-0xC0, unsupportedTS(ts))
	}
	// The DICOM photometric interpretation says whether the components were
	// colour transformed (PS3.5 §8.2.1), as DCMTK decides; the Adobe marker is
	// not trusted. A JFIF marker or chroma subsampling means YCbCr even when
	// the header says RGB (some encoders write RGB for YCbCr data).
	raw := f.photometric == "RGB" && !jh.jfif && !jh.subsample
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("%w: jpeg decoder: %v", ErrMalformed, p)
		}
	}()
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: jpeg: %v", ErrMalformed, err)
	}
	if cfg.Width != f.cols || cfg.Height != f.rows {
		return nil, malformed("jpeg frame is %dx%d, the dataset says %dx%d", cfg.Width, cfg.Height, f.cols, f.rows)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxJPEGRatio*int64(len(data)) {
		return nil, malformed("jpeg stream of %d bytes cannot hold %dx%d pixels", len(data), cfg.Width, cfg.Height)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: jpeg: %v", ErrMalformed, err)
	}
	w, h := f.cols, f.rows
	out := &samples{w: w, h: h, bits: 8}
	if g, ok := img.(*image.Gray); ok {
		out.spp, out.photometric = 1, f.photometric
		if f.spp != 1 {
			out.photometric = "MONOCHROME2"
		}
		out.v = make([]int32, w*h)
		for y := 0; y < h; y++ {
			row := g.Pix[y*g.Stride : y*g.Stride+w]
			for x, b := range row {
				out.v[y*w+x] = int32(b)
			}
		}
		return out, nil
	}
	// Colour: image/jpeg converts YCbCr to RGB; raw RGB components come back
	// as the Y, Cb, Cr planes of an *image.YCbCr. When image/jpeg decided the
	// data were RGB (Adobe transform 0, component ids R G B) but the header
	// says YBR, the conversion is ours.
	out.spp, out.photometric = 3, "RGB"
	if _, ok := img.(*image.YCbCr); !ok && !raw && strings.HasPrefix(f.photometric, "YBR") {
		out.photometric = "YBR_FULL"
	}
	out.v = make([]int32, 3*w*h)
	b := img.Bounds()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var r, g, bl uint8
			switch im := img.(type) {
			case *image.YCbCr:
				c := im.YCbCrAt(b.Min.X+x, b.Min.Y+y)
				if raw {
					r, g, bl = c.Y, c.Cb, c.Cr
				} else {
					r, g, bl = color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				}
			default:
				c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
				r, g, bl = c.R, c.G, c.B
			}
			i := 3 * (y*w + x)
			out.v[i], out.v[i+1], out.v[i+2] = int32(r), int32(g), int32(bl)
		}
	}
	return out, nil
}
