package pixel

import (
	"fmt"
	"image"
)

// to8 maps a stored colour sample of the given bit depth to 0..255.
func to8(v int64, bits int, signed bool) uint8 {
	if signed {
		v += 1 << uint(bits-1)
	}
	if bits == 8 {
		return clamp8(int32(v))
	}
	maxv := int64(1)<<uint(bits) - 1
	x := (v*255 + maxv/2) / maxv
	return clamp8(int32(x))
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

func clampf(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}

// renderColor converts 3-sample frames (RGB, YBR_FULL, YBR_PARTIAL) to RGBA.
func renderColor(s *samples) (*image.RGBA, error) {
	img := image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	n := s.w * s.h
	var conv func(a, b, c uint8) (uint8, uint8, uint8)
	switch s.photometric {
	case "RGB":
	case "YBR_FULL", "YBR_FULL_422":
		conv = ybrFullToRGB
	case "YBR_PARTIAL", "YBR_PARTIAL_422", "YBR_PARTIAL_420":
		conv = ybrPartialToRGB
	default:
		return nil, fmt.Errorf("%w: photometric interpretation %q with 3 samples", ErrUnsupported, s.photometric)
	}
	for i := 0; i < n; i++ {
		a := to8(s.at(3*i), s.bits, s.signed)
		b := to8(s.at(3*i+1), s.bits, s.signed)
		c := to8(s.at(3*i+2), s.bits, s.signed)
		if conv != nil {
			a, b, c = conv(a, b, c)
		}
		p := img.Pix[4*i : 4*i+4 : 4*i+4]
		p[0], p[1], p[2], p[3] = a, b, c, 255
	}
	return img, nil
}

// ybrFullToRGB inverts PS3.3 C.7.6.3.1.2 (YBR_FULL, as in JFIF).
func ybrFullToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	Y, Cb, Cr := float64(y), float64(cb)-128, float64(cr)-128
	return clampf(Y + 1.402*Cr), clampf(Y - 0.344136*Cb - 0.714136*Cr), clampf(Y + 1.772*Cb)
}

// ybrPartialToRGB inverts the ITU-R BT.601 limited-range transform.
func ybrPartialToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	Y, Cb, Cr := 1.164383*(float64(y)-16), float64(cb)-128, float64(cr)-128
	return clampf(Y + 1.596027*Cr), clampf(Y - 0.391762*Cb - 0.812968*Cr), clampf(Y + 2.017232*Cb)
}

// renderPalette maps PALETTE COLOR indices through the red, green and blue LUTs.
func renderPalette(ds *dataset, s *samples) (*image.RGBA, error) {
	if ds.top.has(0x00281221) && !ds.top.has(tagRedData) {
		return nil, fmt.Errorf("%w: segmented palette colour LUTs", ErrUnsupported)
	}
	var luts [3][]uint8
	var firsts [3]int64
	descs := [3]uint32{tagRedDescriptor, tagGreenDescriptor, tagBlueDescriptor}
	datas := [3]uint32{tagRedData, tagGreenData, tagBlueData}
	for k := 0; k < 3; k++ {
		table, first, err := readLUT(ds.top, descs[k], datas[k], ds.bo, false)
		if err != nil {
			return nil, fmt.Errorf("pixel: palette colour LUT: %w", err)
		}
		shift := 0
		if d := ds.top.uint16s(descs[k], ds.bo); len(d) >= 3 && d[2] > 8 {
			shift = int(d[2]) - 8
		}
		luts[k] = make([]uint8, len(table))
		for i, v := range table {
			luts[k][i] = clamp8(int32(v) >> uint(shift))
		}
		firsts[k] = first
	}
	img := image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	for i := range s.v {
		x := s.at(i)
		p := img.Pix[4*i : 4*i+4 : 4*i+4]
		for k := 0; k < 3; k++ {
			j := x - firsts[k]
			if j < 0 {
				j = 0
			} else if j >= int64(len(luts[k])) {
				j = int64(len(luts[k])) - 1
			}
			p[k] = luts[k][j]
		}
		p[3] = 255
	}
	return img, nil
}
