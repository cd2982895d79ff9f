package pixel

import (
	"fmt"
)

// JPEG lossless (ITU-T T.81 Annex H, process 14): SOF3 frames, Huffman-coded
// prediction differences, predictors 1..7, point transform, restart markers,
// 2..16-bit precision, one or more components (each sampled 1×1).

const maxLosslessComponents = 4

// huffTable is a canonical Huffman decoding table (T.81 F.2.2.3) with an
// 8-bit fast path.
type huffTable struct {
	maxcode [18]int32
	valptr  [17]int32
	mincode [17]int32
	vals    []byte
	fast    [256]uint16 // length<<8 | value for codes of up to 8 bits; 0 = slow path
}

func newHuffTable(counts [16]int, vals []byte) (*huffTable, error) {
	t := &huffTable{vals: vals}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		t.valptr[l], t.mincode[l] = k, code
		code += n
		k += n
		if code > 1<<uint(l) {
			return nil, malformed("jpeg: huffman table has too many codes of length %d", l)
		}
		t.maxcode[l] = code - 1
		if n == 0 {
			t.maxcode[l] = -1
		}
		if l <= 8 {
			for c := t.mincode[l]; c < code; c++ {
				v := vals[t.valptr[l]+c-t.mincode[l]]
				lo := c << uint(8-l)
				for j := int32(0); j < 1<<uint(8-l); j++ {
					t.fast[lo+j] = uint16(l)<<8 | uint16(v)
				}
			}
		}
		code <<= 1
	}
	t.maxcode[17] = 0x7FFFFFFF
	return t, nil
}

// bitReader reads entropy-coded data MSB first, removing stuffed zero bytes
// and stopping (feeding zeros) at a marker.
type bitReader struct {
	data   []byte
	pos    int
	acc    uint64
	n      uint
	marker bool
	fake   int // zero bytes fed past a marker or the end
}

func (b *bitReader) fill() {
	for b.n <= 56 {
		var c byte
		switch {
		case b.marker || b.pos >= len(b.data):
			b.fake++
		case b.data[b.pos] == 0xFF:
			if b.pos+1 < len(b.data) && b.data[b.pos+1] == 0x00 {
				c = 0xFF
				b.pos += 2
			} else {
				b.marker = true
				b.fake++
			}
		default:
			c = b.data[b.pos]
			b.pos++
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// overrun reports whether more zero bits were consumed than padding allows.
func (b *bitReader) overrun() bool { return b.fake*8-int(b.n) > 16 }

func (b *bitReader) bits(k uint) int32 {
	v := int32(b.acc >> (64 - k))
	b.acc <<= k
	b.n -= k
	return v
}

func (b *bitReader) decode(t *huffTable) (int, error) {
	if e := t.fast[b.acc>>56]; e != 0 {
		b.acc <<= e >> 8
		b.n -= uint(e >> 8)
		return int(e & 0xFF), nil
	}
	for l := 9; l <= 16; l++ {
		code := int32(b.acc >> (64 - uint(l)))
		if code <= t.maxcode[l] {
			b.acc <<= uint(l)
			b.n -= uint(l)
			return int(t.vals[t.valptr[l]+code-t.mincode[l]]), nil
		}
	}
	return 0, malformed("jpeg: invalid huffman code")
}

// restart discards the remaining bits and skips the next RSTn marker.
func (b *bitReader) restart() error {
	b.acc, b.n, b.marker, b.fake = 0, 0, false, 0
	for i := b.pos; i+1 < len(b.data); i++ {
		if b.data[i] == 0xFF && b.data[i+1] >= 0xD0 && b.data[i+1] <= 0xD7 {
			b.pos = i + 2
			return nil
		}
	}
	return malformed("jpeg: missing restart marker")
}

type llComponent struct {
	id    byte
	plane []int32
	done  bool
}

type llDecoder struct {
	w, h, precision int
	comps           []llComponent
	tables          [4]*huffTable
	restart         int
	dataLen         int
}

// decodeLossless decodes a lossless JPEG stream into one plane per component.
func decodeLossless(data []byte, maxPixels int) (*llDecoder, error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, malformed("jpeg: stream does not start with SOI")
	}
	d := &llDecoder{dataLen: len(data)}
	pos := 2
	for {
		for pos < len(data) && data[pos] == 0xFF && pos+1 < len(data) && data[pos+1] == 0xFF {
			pos++ // fill bytes
		}
		if pos+2 > len(data) {
			return nil, malformed("jpeg: missing EOI")
		}
		if data[pos] != 0xFF {
			return nil, malformed("jpeg: expected a marker at byte %d", pos)
		}
		m := data[pos+1]
		pos += 2
		if m == 0xD9 {
			break
		}
		if m == 0x01 || (m >= 0xD0 && m <= 0xD8) {
			continue
		}
		if pos+2 > len(data) {
			return nil, malformed("jpeg: truncated segment %02X", m)
		}
		n := int(data[pos])<<8 | int(data[pos+1])
		if n < 2 || pos+n > len(data) {
			return nil, malformed("jpeg: segment %02X of length %d overruns the stream", m, n)
		}
		seg := data[pos+2 : pos+n]
		pos += n
		var err error
		switch {
		case m == 0xC3:
			err = d.readSOF(seg, maxPixels)
		case m == 0xC4:
			err = d.readDHT(seg)
		case m == 0xDD:
			if len(seg) < 2 {
				return nil, malformed("jpeg: short DRI")
			}
			d.restart = int(seg[0])<<8 | int(seg[1])
		case m == 0xDA:
			pos, err = d.readScan(seg, data, pos)
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			err = fmt.Errorf("%w: jpeg SOF%d is not lossless process 14", ErrUnsupported, m-0xC0)
		}
		if err != nil {
			return nil, err
		}
	}
	if d.comps == nil {
		return nil, malformed("jpeg: no SOF3 frame header")
	}
	for _, c := range d.comps {
		if !c.done {
			return nil, malformed("jpeg: component %d has no scan", c.id)
		}
	}
	return d, nil
}

func (d *llDecoder) readSOF(seg []byte, maxPixels int) error {
	if d.comps != nil {
		return malformed("jpeg: second frame header")
	}
	if len(seg) < 6 {
		return malformed("jpeg: short SOF3")
	}
	d.precision = int(seg[0])
	d.h = int(seg[1])<<8 | int(seg[2])
	d.w = int(seg[3])<<8 | int(seg[4])
	nc := int(seg[5])
	switch {
	case d.precision < 2 || d.precision > 16:
		return malformed("jpeg: precision %d", d.precision)
	case d.w == 0 || d.h == 0:
		return malformed("jpeg: image size %dx%d (DNL is not supported)", d.w, d.h)
	case nc < 1 || nc > maxLosslessComponents || len(seg) < 6+3*nc:
		return malformed("jpeg: %d components", nc)
	case d.w*d.h*nc > maxPixels:
		return fmt.Errorf("%w: jpeg frame %dx%dx%d", ErrTooLarge, d.w, d.h, nc)
	case int64(d.w*d.h*nc) > 8*int64(d.dataLen)+64:
		// Every sample takes at least one bit: refuse before allocating.
		return malformed("jpeg: %d bytes cannot hold %dx%dx%d samples", d.dataLen, d.w, d.h, nc)
	}
	d.comps = make([]llComponent, nc)
	for i := range d.comps {
		c := seg[6+3*i:]
		if c[1] != 0x11 {
			return fmt.Errorf("%w: jpeg lossless sampling factors %#x", ErrUnsupported, c[1])
		}
		d.comps[i] = llComponent{id: c[0], plane: make([]int32, d.w*d.h)}
	}
	return nil
}

func (d *llDecoder) readDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return malformed("jpeg: short DHT")
		}
		class, id := seg[0]>>4, seg[0]&0x0F
		if id > 3 || class > 1 {
			return malformed("jpeg: huffman table %d/%d", class, id)
		}
		var counts [16]int
		total := 0
		for i := range counts {
			counts[i] = int(seg[1+i])
			total += counts[i]
		}
		if total > 256 || len(seg) < 17+total {
			return malformed("jpeg: DHT with %d values", total)
		}
		vals := append([]byte(nil), seg[17:17+total]...)
		seg = seg[17+total:]
		if class != 0 {
			continue // AC tables are meaningless in lossless mode
		}
		t, err := newHuffTable(counts, vals)
		if err != nil {
			return err
		}
		d.tables[id] = t
	}
	return nil
}

// readScan parses a SOS header, decodes its entropy-coded segment starting at
// data[pos] and returns the position of the marker that ends it.
func (d *llDecoder) readScan(seg, data []byte, pos int) (int, error) {
	if d.comps == nil {
		return 0, malformed("jpeg: scan before frame header")
	}
	if len(seg) < 1 || len(seg) < 1+2*int(seg[0])+3 {
		return 0, malformed("jpeg: short SOS")
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(d.comps) {
		return 0, malformed("jpeg: scan with %d components", ns)
	}
	planes := make([][]int32, ns)
	tables := make([]*huffTable, ns)
	for i := 0; i < ns; i++ {
		id, td := seg[1+2*i], seg[2+2*i]>>4
		idx := -1
		for j := range d.comps {
			if d.comps[j].id == id && !d.comps[j].done {
				idx = j
			}
		}
		if idx < 0 || td > 3 || d.tables[td] == nil {
			return 0, malformed("jpeg: scan component %d or table %d", id, td)
		}
		d.comps[idx].done = true
		planes[i], tables[i] = d.comps[idx].plane, d.tables[td]
	}
	p := seg[1+2*ns:]
	ss, pt := int(p[0]), int(p[2]&0x0F)
	if ss < 1 || ss > 7 {
		return 0, malformed("jpeg: predictor %d", ss)
	}
	if pt >= d.precision {
		return 0, malformed("jpeg: point transform %d with precision %d", pt, d.precision)
	}
	br := &bitReader{data: data, pos: pos}
	if err := d.decodeScan(br, planes, tables, ss, pt); err != nil {
		return 0, err
	}
	for _, pl := range planes {
		if pt > 0 {
			for i := range pl {
				pl[i] <<= uint(pt)
			}
		}
	}
	for i := br.pos; i+1 < len(data); i++ { // the marker that ends the scan
		if data[i] == 0xFF && data[i+1] != 0 && (data[i+1] < 0xD0 || data[i+1] > 0xD7) && data[i+1] != 0xFF {
			return i, nil
		}
	}
	return 0, malformed("jpeg: scan not terminated by a marker")
}
