package weights

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"github.com/lingshu-edge/lingshu/kernels"
)

const goldenDir = "../../../shared/golden"

func goldenPath(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{goldenDir}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("golden data not available: %v", err)
	}
	return p
}

// bf16Tensor makes a BF16 tensor whose values are base+i/1024.
func bf16Tensor(name string, base float32, shape ...int) WriteTensor {
	s := kernels.Shape(shape)
	data := make([]byte, 2*s.Numel())
	for i := 0; i < s.Numel(); i++ {
		binary.LittleEndian.PutUint16(data[2*i:], F32ToBF16(base+float32(i)/1024))
	}
	return WriteTensor{Name: name, DType: kernels.BF16, Shape: s, Data: data}
}

func writeST(t testing.TB, path string, tensors ...WriteTensor) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSafetensors(f, tensors, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rawST builds a safetensors file from a literal header and a data section.
func rawST(header string, data []byte) []byte {
	out := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(out, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

// insideMapping reports whether b lies within the mapped bytes of ck.
func insideMapping(ck *Checkpoint, b []byte) bool {
	if len(b) == 0 {
		return true
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	for _, f := range ck.files {
		if len(f.data) == 0 {
			continue
		}
		lo := uintptr(unsafe.Pointer(unsafe.SliceData(f.data)))
		if p >= lo && p+uintptr(len(b)) <= lo+uintptr(len(f.data)) {
			return true
		}
	}
	return false
}

// fakeTensor and fakeUploader record uploads.
type fakeTensor struct {
	name  string
	dt    kernels.DType
	shape kernels.Shape
	data  []byte
}

func (f *fakeTensor) DType() kernels.DType { return f.dt }
func (f *fakeTensor) Shape() kernels.Shape { return f.shape }

type fakeUploader struct {
	uploads []string
	failOn  string
}

func (u *fakeUploader) Upload(name string, dt kernels.DType, shape kernels.Shape, data []byte) (kernels.Tensor, error) {
	if name == u.failOn {
		return nil, fmt.Errorf("device full")
	}
	u.uploads = append(u.uploads, name)
	return &fakeTensor{name, dt, shape, data}, nil
}

func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }
