package pixel

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxSamples bounds rows*columns*samples of one frame (decoded as int32).
const maxSamples = 1 << 27

// format is the validated Image Pixel module of an instance.
type format struct {
	rows, cols, spp, frames        int
	bitsAlloc, bitsStored, highBit int
	signed                         bool
	planar                         int
	photometric                    string
}

// Info describes the image in an instance without decoding its pixels.
type Info struct {
	Rows, Columns, Frames, SamplesPerPixel int
	Photometric                            string // e.g. MONOCHROME2, RGB, YBR_FULL_422
	PlanarConfiguration                    int
	BitsAllocated, BitsStored, HighBit     int
	PixelRepresentation                    int // 0 unsigned, 1 two's complement
	// Default VOI window from the file (first value), when HasWindow.
	WindowCenter, WindowWidth float64
	HasWindow                 bool
	VOILUTFunction            string // LINEAR (default), LINEAR_EXACT or SIGMOID
	RescaleSlope              float64
	RescaleIntercept          float64
	HasModalityLUT            bool // a Modality LUT Sequence replaces the rescale
	TransferSyntaxUID         string
	TransferSyntaxName        string
	Encapsulated              bool
	// Decodable is false when Render will fail with *UnsupportedTransferSyntaxError
	// (for JPEG Extended, only 8-bit streams decode: 12-bit ones fail at Render).
	Decodable bool
}

// pixelTransform holds the rescale and window attributes, taken, in order of
// precedence, from the frame's Per-Frame Functional Groups, the Shared
// Functional Groups (enhanced multi-frame objects) and the top level.
type pixelTransform struct {
	slope, intercept float64
	center, width    float64
	hasWindow        bool
	voiFunc          string
}

func (ds *dataset) transform(frame int) pixelTransform {
	t := pixelTransform{slope: 1}
	var src []item
	groups := []item{}
	if pf := ds.top.seqs[tagPerFrameFGSeq]; frame < len(pf) {
		groups = append(groups, pf[frame])
	}
	if sh, ok := ds.top.firstItem(tagSharedFGSeq); ok {
		groups = append(groups, sh)
	}
	for _, g := range groups {
		if pv, ok := g.firstItem(tagPixelValueTransSeq); ok {
			src = append(src, pv)
		}
		if fv, ok := g.firstItem(tagFrameVOILUTSeq); ok {
			src = append(src, fv)
		}
	}
	src = append(src, ds.top)
	var haveRescale bool
	for _, it := range src {
		if s, ok := it.num(tagRescaleSlope); ok && s != 0 && !haveRescale {
			t.slope = s
			t.intercept, _ = it.num(tagRescaleIntercept)
			haveRescale = true
		}
		c, okc := it.num(tagWindowCenter)
		w, okw := it.num(tagWindowWidth)
		if okc && okw && w > 0 && !t.hasWindow {
			t.center, t.width, t.hasWindow = c, w, true
			t.voiFunc = strings.ToUpper(it.str(tagVOILUTFunction))
		}
	}
	if t.voiFunc == "" {
		t.voiFunc = "LINEAR"
	}
	return t
}

// format validates the Image Pixel attributes.
func (ds *dataset) format() (*format, error) {
	if ds.pixel == nil {
		return nil, ErrNoPixelData
	}
	top, bo := ds.top, ds.bo
	f := &format{
		rows:        top.us(tagRows, bo, 0),
		cols:        top.us(tagColumns, bo, 0),
		spp:         top.us(tagSamplesPerPixel, bo, 1),
		bitsAlloc:   top.us(tagBitsAllocated, bo, 0),
		planar:      top.us(tagPlanarConfig, bo, 0),
		photometric: strings.ToUpper(top.str(tagPhotometric)),
		signed:      top.us(tagPixelRepresentation, bo, 0) == 1,
		frames:      1,
	}
	f.bitsStored = top.us(tagBitsStored, bo, f.bitsAlloc)
	f.highBit = top.us(tagHighBit, bo, f.bitsStored-1)
	if s := top.str(tagNumberOfFrames); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, malformed("number of frames %q", s)
		}
		if n > 0 {
			f.frames = n
		}
	}
	if f.photometric == "" {
		if f.spp == 3 {
			f.photometric = "RGB"
		} else {
			f.photometric = "MONOCHROME2"
		}
	}
	switch {
	case f.rows <= 0 || f.cols <= 0:
		return nil, malformed("image size %dx%d", f.cols, f.rows)
	case f.spp != 1 && f.spp != 3:
		return nil, fmt.Errorf("%w: %d samples per pixel", ErrUnsupported, f.spp)
	case f.bitsAlloc != 1 && f.bitsAlloc != 8 && f.bitsAlloc != 16 && f.bitsAlloc != 32:
		return nil, fmt.Errorf("%w: %d bits allocated", ErrUnsupported, f.bitsAlloc)
	case f.bitsStored < 1 || f.bitsStored > f.bitsAlloc:
		return nil, malformed("bits stored %d with bits allocated %d", f.bitsStored, f.bitsAlloc)
	case f.highBit < f.bitsStored-1 || f.highBit >= f.bitsAlloc:
		return nil, malformed("high bit %d with bits stored %d, allocated %d", f.highBit, f.bitsStored, f.bitsAlloc)
	case f.planar != 0 && f.planar != 1:
		return nil, malformed("planar configuration %d", f.planar)
	case f.rows*f.cols*f.spp > maxSamples:
		return nil, fmt.Errorf("%w: %dx%d with %d samples per pixel", ErrTooLarge, f.cols, f.rows, f.spp)
	}
	return f, nil
}

// nativeFrameBytes is the size of one frame of native pixel data.
func (f *format) nativeFrameBytes() int64 {
	n := int64(f.rows) * int64(f.cols) * int64(f.spp)
	if f.photometric == "YBR_FULL_422" || f.photometric == "YBR_PARTIAL_422" {
		n = int64(f.rows) * int64(f.cols) * 2
	}
	if f.bitsAlloc == 1 {
		return (n + 7) / 8
	}
	return n * int64(f.bitsAlloc/8)
}

func (ds *dataset) info() (Info, error) {
	f, err := ds.format()
	if err != nil {
		return Info{}, err
	}
	t := ds.transform(0)
	in := Info{
		Rows: f.rows, Columns: f.cols, Frames: f.frames, SamplesPerPixel: f.spp,
		Photometric: f.photometric, PlanarConfiguration: f.planar,
		BitsAllocated: f.bitsAlloc, BitsStored: f.bitsStored, HighBit: f.highBit,
		WindowCenter: t.center, WindowWidth: t.width, HasWindow: t.hasWindow, VOILUTFunction: t.voiFunc,
		RescaleSlope: t.slope, RescaleIntercept: t.intercept,
		HasModalityLUT:     len(ds.top.seqs[tagModalityLUTSeq]) > 0,
		TransferSyntaxUID:  ds.ts,
		TransferSyntaxName: tsName(ds.ts),
		Encapsulated:       ds.pixel.encapsulated,
		Decodable:          tsDecodable(ds.ts),
	}
	if f.signed {
		in.PixelRepresentation = 1
	}
	if math.IsNaN(in.RescaleSlope) {
		in.RescaleSlope = 1
	}
	return in, nil
}
