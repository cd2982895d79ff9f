package pixel

import (
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"sort"
)

// maxLUTRange bounds the stored-value range for which a lookup table is built.
const maxLUTRange = 1 << 20

// modalityLUT maps stored values to modality values (PS3.3 C.11.1).
type modalityLUT struct {
	slope, intercept float64
	table            []float64 // Modality LUT Sequence data, when present
	first            int64     // stored value mapped to table[0]
}

func (m *modalityLUT) apply(x int64) float64 {
	if m.table == nil {
		return float64(x)*m.slope + m.intercept
	}
	i := x - m.first
	if i < 0 {
		i = 0
	} else if i >= int64(len(m.table)) {
		i = int64(len(m.table)) - 1
	}
	return m.table[i]
}

// newModalityLUT prefers the Modality LUT Sequence over Rescale Slope/Intercept.
func newModalityLUT(ds *dataset, f *format, t pixelTransform) (*modalityLUT, error) {
	m := &modalityLUT{slope: t.slope, intercept: t.intercept}
	it, ok := ds.top.firstItem(tagModalityLUTSeq)
	if !ok || f.spp != 1 {
		return m, nil
	}
	table, first, err := readLUT(it, tagLUTDescriptor, tagLUTData, ds.bo, f.signed)
	if err != nil {
		return nil, fmt.Errorf("pixel: modality LUT: %w", err)
	}
	m.table, m.first = table, first
	return m, nil
}

// readLUT decodes a LUT Descriptor (entries, first mapped value, bits) and its data.
func readLUT(it item, descTag, dataTag uint32, bo binary.ByteOrder, signed bool) ([]float64, int64, error) {
	d := it.uint16s(descTag, bo)
	if len(d) < 3 {
		return nil, 0, malformed("LUT descriptor has %d values", len(d))
	}
	n := int(d[0])
	if n == 0 {
		n = 65536
	}
	first := int64(d[1])
	if signed {
		first = int64(int16(d[1]))
	}
	raw := it.vals[dataTag].data
	table := make([]float64, n)
	switch {
	case len(raw) >= 2*n:
		for i := range table {
			table[i] = float64(bo.Uint16(raw[2*i:]))
		}
	case len(raw) >= n && d[2] <= 8:
		for i := range table {
			table[i] = float64(raw[i])
		}
	default:
		return nil, 0, malformed("LUT data has %d bytes for %d entries", len(raw), n)
	}
	return table, first, nil
}

// window is a VOI transformation to 8 bits: a window (PS3.3 C.11.2.1.2) or a
// VOI LUT (C.11.2.1.1).
type window struct {
	center, width float64
	fn            string // LINEAR, LINEAR_EXACT, SIGMOID, or "" with a LUT
	lut           *modalityLUT
	lutMax        float64 // largest LUT output (2^bits − 1)
}

// newVOILUT reads the first item of the VOI LUT Sequence.
func newVOILUT(ds *dataset, f *format) (window, error) {
	it, _ := ds.top.firstItem(tagVOILUTSeq)
	table, first, err := readLUT(it, tagLUTDescriptor, tagLUTData, ds.bo, f.signed)
	if err != nil {
		return window{}, fmt.Errorf("pixel: VOI LUT: %w", err)
	}
	bits := 16
	if d := it.uint16s(tagLUTDescriptor, ds.bo); len(d) >= 3 && d[2] >= 1 && d[2] <= 16 {
		bits = int(d[2])
	}
	return window{lut: &modalityLUT{table: table, first: first}, lutMax: float64(int(1)<<uint(bits) - 1)}, nil
}

func (w window) apply(x float64) uint8 {
	var y float64
	if w.lut != nil {
		return clampf(w.lut.apply(int64(math.Floor(x))) * 255 / w.lutMax)
	}
	switch w.fn {
	case "SIGMOID":
		y = 255 / (1 + math.Exp(-4*(x-w.center)/w.width))
	case "LINEAR_EXACT":
		switch {
		case x <= w.center-w.width/2:
			y = 0
		case x > w.center+w.width/2:
			y = 255
		default:
			y = ((x-w.center)/w.width + 0.5) * 255
		}
	default: // LINEAR
		c, wm1 := w.center-0.5, w.width-1
		switch {
		case x <= c-wm1/2:
			y = 0
		case x > c+wm1/2:
			y = 255
		default:
			y = ((x-c)/wm1 + 0.5) * 255
		}
	}
	if y <= 0 || math.IsNaN(y) {
		return 0
	}
	if y >= 255 {
		return 255
	}
	return uint8(y + 0.5)
}

// padding is the Pixel Padding Value range in stored values (PS3.3 C.7.5.1.1.2).
type padding struct {
	lo, hi int64
	ok     bool
}

func newPadding(ds *dataset, f *format) padding {
	p, ok := ds.top.pixelValue(tagPixelPadding, ds.bo, f.signed)
	if !ok {
		return padding{}
	}
	lim, ok := ds.top.pixelValue(tagPixelPaddingLimit, ds.bo, f.signed)
	if !ok {
		lim = p
	}
	if lim < p {
		p, lim = lim, p
	}
	return padding{lo: p, hi: lim, ok: true}
}

func (p padding) contains(x int64) bool { return p.ok && x >= p.lo && x <= p.hi }

// renderGray applies the modality LUT, the VOI window and MONOCHROME1 inversion.
func renderGray(s *samples, m *modalityLUT, w window, auto bool, pad padding) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, s.w, s.h))
	invert := s.photometric == "MONOCHROME1"
	if s.u32 {
		grayValues(img.Pix, s.wide(), m, w, auto, pad, invert)
	} else {
		grayValues(img.Pix, s.v, m, w, auto, pad, invert)
	}
	return img
}

// grayValues maps values through a lookup table over their range when it is
// small enough, else one by one.
func grayValues[T int32 | int64](pix []uint8, v []T, m *modalityLUT, w window, auto bool, pad padding, invert bool) {
	lo, hi := minMax(v)
	if int64(hi)-int64(lo) < maxLUTRange {
		var hist []uint32
		if auto {
			hist = make([]uint32, int(hi-lo)+1)
			for _, x := range v {
				hist[x-lo]++
			}
			w = autoWindowHist(hist, lo, m, pad)
		}
		lut := make([]uint8, int(hi-lo)+1)
		for i := range lut {
			y := w.apply(m.apply(int64(lo) + int64(i)))
			if invert {
				y = 255 - y
			}
			lut[i] = y
		}
		for i, x := range v {
			pix[i] = lut[x-lo]
		}
		return
	}
	if auto {
		w = autoWindowSort(v, m, pad)
	}
	for i, x := range v {
		y := w.apply(m.apply(int64(x)))
		if invert {
			y = 255 - y
		}
		pix[i] = y
	}
}

func minMax[T int32 | int64](v []T) (T, T) {
	if len(v) == 0 {
		return 0, 0
	}
	lo, hi := v[0], v[0]
	for _, x := range v {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	return lo, hi
}

// Percentiles of the automatic window.
const (
	autoLow  = 0.005
	autoHigh = 0.995
)

type valueCount struct {
	v float64
	n uint64
}

// autoWindowHist finds the 0.5–99.5 % percentiles of the modality values,
// ignoring padding, from a histogram of stored values starting at lo.
func autoWindowHist[T int32 | int64](hist []uint32, lo T, m *modalityLUT, pad padding) window {
	vc := make([]valueCount, 0, 256)
	var all []valueCount
	for i, n := range hist {
		if n == 0 {
			continue
		}
		x := int64(lo) + int64(i)
		c := valueCount{m.apply(x), uint64(n)}
		all = append(all, c)
		if !pad.contains(x) {
			vc = append(vc, c)
		}
	}
	if len(vc) == 0 {
		vc = all
	}
	return percentileWindow(vc)
}

// autoWindowSort is the fallback for value ranges too wide for a histogram.
func autoWindowSort[T int32 | int64](v []T, m *modalityLUT, pad padding) window {
	vc := make([]valueCount, 0, len(v))
	for _, x := range v {
		if !pad.contains(int64(x)) {
			vc = append(vc, valueCount{m.apply(int64(x)), 1})
		}
	}
	if len(vc) == 0 {
		for _, x := range v {
			vc = append(vc, valueCount{m.apply(int64(x)), 1})
		}
	}
	return percentileWindow(vc)
}

func percentileWindow(vc []valueCount) window {
	if len(vc) == 0 {
		return window{center: 0, width: 1, fn: "LINEAR_EXACT"}
	}
	sort.Slice(vc, func(i, j int) bool { return vc[i].v < vc[j].v })
	var total uint64
	for _, c := range vc {
		total += c.n
	}
	pick := func(q float64) float64 {
		target := uint64(q * float64(total))
		var acc uint64
		for _, c := range vc {
			acc += c.n
			if acc > target {
				return c.v
			}
		}
		return vc[len(vc)-1].v
	}
	lo, hi := pick(autoLow), pick(autoHigh)
	if hi <= lo {
		// Flat image (or one value besides outliers): centre it on mid-grey.
		return window{center: lo, width: 1, fn: "LINEAR_EXACT"}
	}
	return window{center: (lo + hi) / 2, width: hi - lo, fn: "LINEAR_EXACT"}
}
