package pixel

// decodeScan decodes the differences of one scan and reconstructs the samples
// (T.81 H.1.2): the first line of the scan and of each restart interval is
// predicted from the left neighbour (its first sample from 2^(P−Pt−1)), the
// first column from the sample above, the rest with selection value ss.
func (d *llDecoder) decodeScan(br *bitReader, planes [][]int32, tables []*huffTable, ss, pt int) error {
	w, n := d.w, d.w*d.h
	initial := int32(1) << uint(d.precision-pt-1)
	left := d.restart
	start, startRow := 0, 0
	for i := 0; i < n; i++ {
		if d.restart > 0 {
			if left == 0 {
				if err := br.restart(); err != nil {
					return err
				}
				left = d.restart
				start, startRow = i, i/w
			}
			left--
		}
		x, y := i%w, i/w
		for c, pl := range planes {
			if br.n < 32 {
				br.fill()
			}
			s, err := br.decode(tables[c])
			if err != nil {
				return err
			}
			var diff int32
			switch {
			case s == 0:
			case s == 16:
				diff = 32768
			case s < 16:
				v := br.bits(uint(s))
				if v < 1<<uint(s-1) {
					v -= 1<<uint(s) - 1
				}
				diff = v
			default:
				return malformed("jpeg: difference category %d", s)
			}
			var pred int32
			switch {
			case i == start:
				pred = initial
			case y == startRow:
				pred = pl[i-1]
			case x == 0:
				pred = pl[i-w]
			default:
				ra, rb, rc := pl[i-1], pl[i-w], pl[i-w-1]
				switch ss {
				case 1:
					pred = ra
				case 2:
					pred = rb
				case 3:
					pred = rc
				case 4:
					pred = ra + rb - rc
				case 5:
					pred = ra + (rb-rc)>>1
				case 6:
					pred = rb + (ra-rc)>>1
				case 7:
					pred = (ra + rb) >> 1
				}
			}
			pl[i] = (pred + diff) & 0xFFFF
		}
		if br.overrun() {
			return malformed("jpeg: entropy-coded data ends early")
		}
	}
	return nil
}

// decodeJPEGLossless decodes one JPEG lossless frame into stored values.
func decodeJPEGLossless(data []byte, f *format) (*samples, error) {
	d, err := decodeLossless(data, maxSamples)
	if err != nil {
		return nil, err
	}
	if d.w != f.cols || d.h != f.rows || len(d.comps) != f.spp {
		return nil, malformed("jpeg frame is %dx%d with %d components, the dataset says %dx%d with %d",
			d.w, d.h, len(d.comps), f.cols, f.rows, f.spp)
	}
	bits := min(f.bitsStored, d.precision)
	c := newStoredConv(bits, bits-1, f.signed)
	n := d.w * d.h
	v := make([]int32, n*f.spp)
	for k, comp := range d.comps {
		for i, x := range comp.plane {
			v[i*f.spp+k] = c.conv(uint32(x))
		}
	}
	return &samples{w: d.w, h: d.h, spp: f.spp, v: v, photometric: f.photometric, bits: bits, signed: f.signed}, nil
}
