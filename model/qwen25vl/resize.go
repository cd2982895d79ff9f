package qwen25vl

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// RGB is an 8-bit image, rows of W pixels of (R, G, B): Pix (H·W·3).
type RGB struct {
	W, H int
	Pix  []uint8
}

// ToRGB converts img to 8-bit RGB as Pillow's convert("RGB") does for the
// modes it is used on: grey L → R = G = B = L; colour keeps R, G, B and
// drops alpha (non-premultiplied values).
func ToRGB(img image.Image) *RGB {
	b := img.Bounds()
	out := &RGB{W: b.Dx(), H: b.Dy(), Pix: make([]uint8, 3*b.Dx()*b.Dy())}
	i := 0
	switch m := img.(type) {
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := range out.W {
				v := row[x]
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = v, v, v
				i += 3
			}
		}
	case *image.NRGBA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := range out.W {
				copy(out.Pix[i:i+3], row[4*x:4*x+3])
				i += 3
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c.R, c.G, c.B
				i += 3
			}
		}
	}
	return out
}

// SmartResize picks the size (multiples of factor) an image of h×w is
// resized to, as Qwen2-VL's smart_resize: each side rounded to the nearest
// multiple (half to even, as Python's round), then scaled down or up,
// keeping the aspect ratio, to fit [minPixels, maxPixels].
func SmartResize(h, w, factor, minPixels, maxPixels int) (rh, rw int, err error) {
	if h <= 0 || w <= 0 || factor <= 0 {
		return 0, 0, fmt.Errorf("qwen25vl: smart resize: size %d×%d factor %d", h, w, factor)
	}
	if float64(max(h, w))/float64(min(h, w)) > 200 {
		return 0, 0, fmt.Errorf("qwen25vl: smart resize: aspect ratio of %d×%d exceeds 200", h, w)
	}
	f := float64(factor)
	hb := int(math.RoundToEven(float64(h)/f)) * factor
	wb := int(math.RoundToEven(float64(w)/f)) * factor
	if hb*wb > maxPixels {
		beta := math.Sqrt(float64(h) * float64(w) / float64(maxPixels))
		hb = int(math.Floor(float64(h)/beta/f)) * factor
		wb = int(math.Floor(float64(w)/beta/f)) * factor
	} else if hb*wb < minPixels {
		beta := math.Sqrt(float64(minPixels) / (float64(h) * float64(w)))
		hb = int(math.Ceil(float64(h)*beta/f)) * factor
		wb = int(math.Ceil(float64(w)*beta/f)) * factor
	}
	if hb <= 0 || wb <= 0 {
		return 0, 0, fmt.Errorf("qwen25vl: smart resize: %d×%d collapses to %d×%d", h, w, hb, wb)
	}
	return hb, wb, nil
}

// precisionBits is Pillow's fixed-point precision for 8-bit resampling.
const precisionBits = 32 - 8 - 2

// bicubic is Pillow's cubic kernel with a = -0.5.
func bicubic(x float64) float64 {
	const a = -0.5
	x = math.Abs(x)
	switch {
	case x < 1:
		return ((a+2)*x-(a+3))*x*x + 1
	case x < 2:
		return (((x-5)*x+8)*x - 4) * a
	}
	return 0
}

// filterTaps is one output sample's first input index and integer weights.
type filterTaps struct {
	start   int
	weights []int64
}

// bicubicTaps builds Pillow's fixed-point weights for resampling inSize
// samples to outSize (the whole image as the box): support 2 widened by
// the down-scale factor, weights normalised then rounded half away from
// zero at 22 bits.
func bicubicTaps(inSize, outSize int) []filterTaps {
	scale := float64(inSize) / float64(outSize)
	fscale := max(scale, 1)
	support := 2 * fscale
	ss := 1 / fscale
	taps := make([]filterTaps, outSize)
	for xx := range taps {
		center := (float64(xx) + 0.5) * scale
		xmin := max(int(center-support+0.5), 0) // C truncation; clamped
		xmax := min(int(center+support+0.5), inSize) - xmin
		k := make([]float64, max(xmax, 0))
		var ww float64
		for x := range k {
			k[x] = bicubic((float64(x+xmin) - center + 0.5) * ss)
			ww += k[x]
		}
		w := make([]int64, len(k))
		for x, v := range k {
			if ww != 0 {
				v /= ww
			}
			if v < 0 {
				w[x] = int64(-0.5 + v*(1<<precisionBits))
			} else {
				w[x] = int64(0.5 + v*(1<<precisionBits))
			}
		}
		taps[xx] = filterTaps{start: xmin, weights: w}
	}
	return taps
}

// clip8 rounds a fixed-point sum to a byte.
func clip8(acc int64) uint8 {
	v := (acc + 1<<(precisionBits-1)) >> precisionBits
	return uint8(min(max(v, 0), 255))
}

// ResizeBicubic resizes like Pillow's Image.resize(size, BICUBIC) on an
// 8-bit RGB image, bit for bit: a horizontal pass then a vertical pass,
// each only when that side changes, with a uint8 intermediate. An
// unchanged size is a copy.
func ResizeBicubic(src *RGB, outW, outH int) (*RGB, error) {
	if outW <= 0 || outH <= 0 || src.W <= 0 || src.H <= 0 || len(src.Pix) != 3*src.W*src.H {
		return nil, fmt.Errorf("qwen25vl: resize %d×%d (%d bytes) to %d×%d", src.W, src.H, len(src.Pix), outW, outH)
	}
	cur := &RGB{W: src.W, H: src.H, Pix: append([]uint8(nil), src.Pix...)}
	if outW != cur.W { // horizontal: (H, W, 3) → (H, outW, 3)
		taps := bicubicTaps(cur.W, outW)
		next := &RGB{W: outW, H: cur.H, Pix: make([]uint8, 3*outW*cur.H)}
		for y := range cur.H {
			in := cur.Pix[3*y*cur.W:]
			out := next.Pix[3*y*outW:]
			for x, tp := range taps {
				for c := range 3 {
					var acc int64
					for i, w := range tp.weights {
						acc += int64(in[3*(tp.start+i)+c]) * w
					}
					out[3*x+c] = clip8(acc)
				}
			}
		}
		cur = next
	}
	if outH != cur.H { // vertical: (H, W, 3) → (outH, W, 3)
		taps := bicubicTaps(cur.H, outH)
		row := 3 * cur.W
		next := &RGB{W: cur.W, H: outH, Pix: make([]uint8, row*outH)}
		for y, tp := range taps {
			out := next.Pix[y*row : (y+1)*row]
			for j := range out {
				var acc int64
				for i, w := range tp.weights {
					acc += int64(cur.Pix[(tp.start+i)*row+j]) * w
				}
				out[j] = clip8(acc)
			}
		}
		cur = next
	}
	return cur, nil
}
