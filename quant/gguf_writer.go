package quant

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// GGUF constants of the files this package writes.
const (
	GGUFVersion          = 3
	GGUFDefaultAlignment = 32
	ggufMaxName          = 63 // GGML_MAX_NAME − 1
	ggufMaxDims          = 4
)

// TensorSpec declares one tensor of a GGUF file: its name (GGUF
// convention, e.g. "blk.0.attn_q.weight"), element type and shape,
// outermost first as in PyTorch (the writer stores GGUF's innermost-first
// ne order).
type TensorSpec struct {
	Name  string
	Type  Type
	Shape []int
}

// Bytes is the tensor's data size.
func (t TensorSpec) Bytes() (int64, error) {
	if len(t.Shape) == 0 || len(t.Shape) > ggufMaxDims {
		return 0, fmt.Errorf("quant: gguf: tensor %s: %d dimensions (want 1..%d)", t.Name, len(t.Shape), ggufMaxDims)
	}
	n := int64(1)
	for _, d := range t.Shape {
		if d <= 0 {
			return 0, fmt.Errorf("quant: gguf: tensor %s: shape %v", t.Name, t.Shape)
		}
		if n > (1<<50)/int64(d) {
			return 0, fmt.Errorf("quant: gguf: tensor %s: shape %v too large", t.Name, t.Shape)
		}
		n *= int64(d)
	}
	inner := t.Shape[len(t.Shape)-1]
	row, err := t.Type.RowBytes(inner)
	if err != nil {
		return 0, fmt.Errorf("quant: gguf: tensor %s: %w", t.Name, err)
	}
	return n / int64(inner) * int64(row), nil
}

// Writer streams a GGUF v3 file: NewWriter writes the header, the
// metadata and every tensor info with its computed offset; then the tensor
// data is written in declaration order (through Write, in pieces of any
// size, or WriteTensor), each tensor padded to the alignment. Nothing but
// one bufio buffer is held, so memory stays flat whatever the model size.
type Writer struct {
	bw      *bufio.Writer
	specs   []TensorSpec
	sizes   []int64
	align   int64
	cur     int   // tensor being written
	written int64 // bytes of specs[cur] written so far
	err     error
}

// NewWriter validates the metadata and tensors, then writes everything
// up to the start of the data section. general.alignment, when present in
// kvs, must be a uint32 power of two; otherwise 32 is used.
func NewWriter(w io.Writer, kvs []KV, tensors []TensorSpec) (*Writer, error) {
	gw := &Writer{bw: bufio.NewWriterSize(w, 1<<20), specs: tensors, align: GGUFDefaultAlignment}
	seen := map[string]bool{}
	le := binary.LittleEndian
	hdr := append([]byte("GGUF"), 0, 0, 0, 0)
	le.PutUint32(hdr[4:], GGUFVersion)
	hdr = le.AppendUint64(hdr, uint64(len(tensors)))
	hdr = le.AppendUint64(hdr, uint64(len(kvs)))
	var err error
	for _, kv := range kvs {
		if seen[kv.Key] {
			return nil, fmt.Errorf("quant: gguf: duplicate metadata key %q", kv.Key)
		}
		seen[kv.Key] = true
		if kv.Key == "general.alignment" {
			a, ok := kv.Value.(uint32)
			if !ok || a == 0 || a&(a-1) != 0 {
				return nil, fmt.Errorf("quant: gguf: general.alignment must be a uint32 power of two, got %v (%T)", kv.Value, kv.Value)
			}
			gw.align = int64(a)
		}
		if hdr, err = appendKV(hdr, kv); err != nil {
			return nil, err
		}
	}
	names := map[string]bool{}
	var off int64
	for _, t := range tensors {
		if t.Name == "" || len(t.Name) > ggufMaxName {
			return nil, fmt.Errorf("quant: gguf: tensor name %q must have 1..%d bytes", t.Name, ggufMaxName)
		}
		if names[t.Name] {
			return nil, fmt.Errorf("quant: gguf: duplicate tensor %q", t.Name)
		}
		names[t.Name] = true
		size, err := t.Bytes()
		if err != nil {
			return nil, err
		}
		gw.sizes = append(gw.sizes, size)
		hdr = appendString(hdr, t.Name)
		hdr = le.AppendUint32(hdr, uint32(len(t.Shape)))
		for i := len(t.Shape) - 1; i >= 0; i-- {
			hdr = le.AppendUint64(hdr, uint64(t.Shape[i]))
		}
		hdr = le.AppendUint32(hdr, uint32(t.Type))
		hdr = le.AppendUint64(hdr, uint64(off))
		off = alignUp(off+size, gw.align)
	}
	hdr = append(hdr, make([]byte, alignUp(int64(len(hdr)), gw.align)-int64(len(hdr)))...)
	if _, err := gw.bw.Write(hdr); err != nil {
		return nil, fmt.Errorf("quant: gguf: write header: %w", err)
	}
	return gw, nil
}

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }

// Next returns the tensor whose data is expected now and how many of its
// bytes are still missing; ok is false once every tensor is written.
func (w *Writer) Next() (spec TensorSpec, remaining int64, ok bool) {
	if w.cur >= len(w.specs) {
		return TensorSpec{}, 0, false
	}
	return w.specs[w.cur], w.sizes[w.cur] - w.written, true
}

// Write appends tensor data in declaration order; a piece may span
// tensors. Padding is inserted after each tensor.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n := 0
	for len(p) > 0 {
		if w.cur >= len(w.specs) {
			w.err = errors.New("quant: gguf: more tensor data than declared")
			return n, w.err
		}
		k := min(int64(len(p)), w.sizes[w.cur]-w.written)
		if _, err := w.bw.Write(p[:k]); err != nil {
			w.err = fmt.Errorf("quant: gguf: write tensor %s: %w", w.specs[w.cur].Name, err)
			return n, w.err
		}
		n += int(k)
		p = p[k:]
		w.written += k
		if w.written == w.sizes[w.cur] {
			pad := alignUp(w.sizes[w.cur], w.align) - w.sizes[w.cur]
			if _, err := w.bw.Write(make([]byte, pad)); err != nil {
				w.err = fmt.Errorf("quant: gguf: write padding: %w", err)
				return n, w.err
			}
			w.cur++
			w.written = 0
		}
	}
	return n, nil
}

// WriteTensor writes the whole data of the next tensor, which must be
// called name.
func (w *Writer) WriteTensor(name string, data []byte) error {
	spec, remaining, ok := w.Next()
	switch {
	case !ok:
		return fmt.Errorf("quant: gguf: tensor %s: all declared tensors are written", name)
	case spec.Name != name:
		return fmt.Errorf("quant: gguf: tensor %s written where %s is expected", name, spec.Name)
	case remaining != w.sizes[w.cur] || int64(len(data)) != remaining:
		return fmt.Errorf("quant: gguf: tensor %s: %d bytes, want %d", name, len(data), w.sizes[w.cur])
	}
	_, err := w.Write(data)
	return err
}

// Close checks that every declared tensor was written in full and flushes.
// It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if spec, rem, ok := w.Next(); ok {
		return fmt.Errorf("quant: gguf: closed with tensor %s missing %d bytes (%d of %d tensors complete)", spec.Name, rem, w.cur, len(w.specs))
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("quant: gguf: flush: %w", err)
	}
	return nil
}
