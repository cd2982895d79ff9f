package weights

import (
	"fmt"

	"github.com/lingshu-edge/lingshu/quant"
)

// convertChunkValues bounds the values converted per step (1 Mi values:
// 4 MiB of float32 scratch), whatever the tensor size.
const convertChunkValues = 1 << 20

// converter turns source tensor data into the target type a chunk of
// rows at a time; its scratch buffers are reused across tensors.
type converter struct {
	f32     []float32
	out     []byte
	release func([]byte) // drops source pages once converted (may be nil)
}

// write streams tensor t into w.
func (c *converter) write(w *quant.Writer, t exportTensor) error {
	st, _ := sourceType(t.src)
	src := t.src.Data
	inner := t.src.Shape[len(t.src.Shape)-1]
	srcRow, err := st.RowBytes(inner)
	if err != nil {
		return err
	}
	if t.plane >= 0 { // temporal slice of a (C, 3, T, P, P) patch embedding
		return c.writePlane(w, t, st)
	}
	if len(t.src.Shape) == 1 && t.rowHi > 0 { // a third of a fused 1-D bias: elements lo..hi
		lo, hi := t.rowLo, t.rowHi
		a, errA := st.RowBytes(lo)
		b, errB := st.RowBytes(hi)
		if errA != nil || errB != nil || b > len(src) {
			return fmt.Errorf("cannot take values %d..%d of a %s tensor of %d bytes", lo, hi, st, len(src))
		}
		return c.rows(w, st, t.spec.Type, src[a:b], hi-lo)
	}
	rows := len(src) / srcRow
	lo, hi := 0, rows
	if t.rowHi > 0 {
		lo, hi = t.rowLo, t.rowHi
	}
	if len(src) != rows*srcRow || hi > rows {
		return fmt.Errorf("source data of %d bytes does not hold rows %d..%d of %d bytes", len(src), lo, hi, srcRow)
	}
	return c.rows(w, st, t.spec.Type, src[lo*srcRow:hi*srcRow], inner)
}

// rows converts whole rows of `inner` values from type st to dt.
func (c *converter) rows(w *quant.Writer, st, dt quant.Type, src []byte, inner int) error {
	srcRow, _ := st.RowBytes(inner)
	if st == dt { // same type: copy the stored bytes, no re-rounding
		for off := 0; off < len(src); off += convertChunkValues {
			chunk := src[off:min(len(src), off+convertChunkValues)]
			if _, err := w.Write(chunk); err != nil {
				return err
			}
			c.drop(chunk)
		}
		return nil
	}
	dstRow, err := dt.RowBytes(inner)
	if err != nil {
		return err
	}
	per := max(1, convertChunkValues/inner)
	for off := 0; off < len(src); off += per * srcRow {
		n := min(per, (len(src)-off)/srcRow)
		vals := c.floats(n * inner)
		if err := quant.DecodeRow(vals, st, src[off:off+n*srcRow]); err != nil {
			return err
		}
		buf := c.bytes(n * dstRow)
		for r := 0; r < n; r++ { // row by row: Q8_0 blocks never straddle rows
			if err := quant.EncodeRow(buf[r*dstRow:(r+1)*dstRow], dt, vals[r*inner:(r+1)*inner]); err != nil {
				return err
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		c.drop(src[off : off+n*srcRow])
	}
	return nil
}

func (c *converter) drop(b []byte) {
	if c.release != nil {
		c.release(b)
	}
}

// writePlane writes slice t.plane of the temporal axis of a 5-D
// (C, In, T, P, P) tensor: for every (c, in), P·P contiguous values.
func (c *converter) writePlane(w *quant.Writer, t exportTensor, st quant.Type) error {
	s := t.src.Shape
	if len(s) != 5 || t.plane >= s[2] {
		return fmt.Errorf("shape %v has no temporal plane %d", s, t.plane)
	}
	pp := s[3] * s[4]
	ppBytes, err := st.RowBytes(pp)
	if err != nil {
		return err
	}
	for ci := 0; ci < s[0]*s[1]; ci++ {
		off := (ci*s[2] + t.plane) * ppBytes
		if off+ppBytes > len(t.src.Data) {
			return fmt.Errorf("source data of %d bytes is short", len(t.src.Data))
		}
		if err := c.rows(w, st, t.spec.Type, t.src.Data[off:off+ppBytes], pp); err != nil {
			return err
		}
	}
	return nil
}

func (c *converter) floats(n int) []float32 {
	if cap(c.f32) < n {
		c.f32 = make([]float32, n)
	}
	return c.f32[:n]
}

func (c *converter) bytes(n int) []byte {
	if cap(c.out) < n {
		c.out = make([]byte, n)
	}
	return c.out[:n]
}
