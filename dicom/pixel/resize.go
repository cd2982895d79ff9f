package pixel

import "image"

// downscale shrinks img so that its longest side is at most maxSize, by area
// averaging (a box filter with exact fractional coverage). Smaller images are
// returned unchanged.
func downscale(img image.Image, maxSize int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= maxSize && h <= maxSize {
		return img
	}
	dw, dh := maxSize, maxSize
	if w >= h {
		dh = max(1, (h*maxSize+w/2)/w)
	} else {
		dw = max(1, (w*maxSize+h/2)/h)
	}
	switch im := img.(type) {
	case *image.Gray:
		out := image.NewGray(image.Rect(0, 0, dw, dh))
		out.Pix = resample(im.Pix, im.Stride, w, h, 1, dw, dh)
		return out
	case *image.RGBA:
		out := image.NewRGBA(image.Rect(0, 0, dw, dh))
		out.Pix = resample(im.Pix, im.Stride, w, h, 4, dw, dh)
		return out
	}
	return img
}

// span is the contribution of source pixels to one destination pixel.
type span struct {
	first   int
	weights []float32 // sum to 1
}

// boxSpans computes, for each of dn destination pixels, the coverage of the n source pixels.
func boxSpans(n, dn int) []span {
	spans := make([]span, dn)
	scale := float64(n) / float64(dn)
	for i := range spans {
		lo, hi := float64(i)*scale, float64(i+1)*scale
		first := int(lo)
		last := int(hi)
		if float64(last) == hi {
			last--
		}
		if last >= n {
			last = n - 1
		}
		ws := make([]float32, last-first+1)
		for j := first; j <= last; j++ {
			a, b := max(lo, float64(j)), min(hi, float64(j+1))
			ws[j-first] = float32((b - a) / scale)
		}
		spans[i] = span{first: first, weights: ws}
	}
	return spans
}

// resample area-averages an 8-bit image with ch channels from w×h to dw×dh.
func resample(pix []uint8, stride, w, h, ch, dw, dh int) []uint8 {
	xs, ys := boxSpans(w, dw), boxSpans(h, dh)
	tmp := make([]float32, dw*h*ch) // horizontal pass
	for y := 0; y < h; y++ {
		row := pix[y*stride:]
		for x, sp := range xs {
			for c := 0; c < ch; c++ {
				var acc float32
				for k, wt := range sp.weights {
					acc += wt * float32(row[(sp.first+k)*ch+c])
				}
				tmp[(y*dw+x)*ch+c] = acc
			}
		}
	}
	out := make([]uint8, dw*dh*ch)
	for y, sp := range ys {
		for i := 0; i < dw*ch; i++ {
			var acc float32
			for k, wt := range sp.weights {
				acc += wt * tmp[(sp.first+k)*dw*ch+i]
			}
			v := acc + 0.5
			if v > 255 {
				v = 255
			}
			out[y*dw*ch+i] = uint8(v)
		}
	}
	return out
}
