package weights

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	"github.com/lingshu-edge/lingshu/kernels"
)

// WriteTensor is one tensor for WriteSafetensors. Exactly one of Data and
// Fill is set: Fill streams the tensor's bytes (it must write exactly
// numel × element size bytes), so large tensors need not be held in memory.
type WriteTensor struct {
	Name  string
	DType kernels.DType // F32, F16, BF16 or I32
	Shape kernels.Shape
	Data  []byte
	Fill  func(w io.Writer) error
}

// byteSize is the number of bytes the tensor takes in a safetensors file.
func (t WriteTensor) byteSize() (int64, error) {
	switch t.DType {
	case kernels.F32, kernels.F16, kernels.BF16, kernels.I32:
	default:
		return 0, fmt.Errorf("weights: write safetensors: tensor %s: dtype %s has no safetensors equivalent", t.Name, t.DType)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return 0, fmt.Errorf("weights: write safetensors: tensor %s: negative dimension in %v", t.Name, t.Shape)
		}
	}
	n, err := t.DType.RowBytes(t.Shape.Numel())
	return int64(n), err
}

// SafetensorsHeader returns the 8-byte length and JSON header (padded with
// spaces to a multiple of 8 bytes) for tensors laid out in the given order.
func SafetensorsHeader(tensors []WriteTensor, metadata map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata)
		if err != nil {
			return nil, fmt.Errorf("weights: write safetensors: metadata: %w", err)
		}
		buf.WriteString(`"__metadata__":`)
		buf.Write(m)
	}
	seen := map[string]bool{}
	var off int64
	for i, t := range tensors {
		if t.Name == "" || t.Name == "__metadata__" || seen[t.Name] {
			return nil, fmt.Errorf("weights: write safetensors: bad or duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = true
		size, err := t.byteSize()
		if err != nil {
			return nil, err
		}
		if i > 0 || len(metadata) > 0 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(t.Name)
		shape := t.Shape
		if shape == nil {
			shape = kernels.Shape{}
		}
		sh, _ := json.Marshal([]int(shape))
		fmt.Fprintf(&buf, `%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, name, t.DType, sh, off, off+size)
		off += size
	}
	buf.WriteByte('}')
	for buf.Len()%8 != 0 {
		buf.WriteByte(' ')
	}
	out := make([]byte, 8, 8+buf.Len())
	binary.LittleEndian.PutUint64(out, uint64(buf.Len()))
	return append(out, buf.Bytes()...), nil
}

// WriteSafetensors writes a safetensors file: header first, then each
// tensor's bytes in the given order. Metadata keys are written sorted.
func WriteSafetensors(w io.Writer, tensors []WriteTensor, metadata map[string]string) error {
	hdr, err := SafetensorsHeader(tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.Write(hdr); err != nil {
		return fmt.Errorf("weights: write safetensors: %w", err)
	}
	for _, t := range tensors {
		size, _ := t.byteSize()
		cw := &countingWriter{w: bw}
		switch {
		case t.Fill != nil && t.Data != nil:
			return fmt.Errorf("weights: write safetensors: tensor %s: both Data and Fill set", t.Name)
		case t.Fill != nil:
			err = t.Fill(cw)
		default:
			_, err = cw.Write(t.Data)
		}
		if err != nil {
			return fmt.Errorf("weights: write safetensors: tensor %s: %w", t.Name, err)
		}
		if cw.n != size {
			return fmt.Errorf("weights: write safetensors: tensor %s: wrote %d bytes, want %d", t.Name, cw.n, size)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("weights: write safetensors: %w", err)
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
