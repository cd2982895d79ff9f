package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

func TestWriter_LayoutAndOffsets(t *testing.T) {
	var buf bytes.Buffer
	specs := []TensorSpec{
		{Name: "a", Type: F32, Shape: []int{3}},             // 12 bytes → padded to 32
		{Name: "b.weight", Type: Q8_0, Shape: []int{2, 64}}, // 2·68 = 136 bytes
	}
	kvs := []KV{{"general.architecture", "qwen2"}, {"x.u32", uint32(7)}, {"x.list", []int32{1, -2}}, {"x.f", float32(1.5)}, {"x.b", true}, {"x.s", []string{"p", "qq"}}}
	w, err := NewWriter(&buf, kvs, specs)
	if err != nil {
		t.Fatal(err)
	}
	if s, rem, ok := w.Next(); !ok || s.Name != "a" || rem != 12 {
		t.Fatalf("Next = %v %d %v", s, rem, ok)
	}
	// Data in odd pieces spanning both tensors.
	data := make([]byte, 12+136)
	for i := range data {
		data[i] = byte(i + 1)
	}
	for _, piece := range [][]byte{data[:5], data[5:40], data[40:]} {
		if _, err := w.Write(piece); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	le := binary.LittleEndian
	if string(b[:4]) != "GGUF" || le.Uint32(b[4:]) != 3 || le.Uint64(b[8:]) != 2 || le.Uint64(b[16:]) != uint64(len(kvs)) {
		t.Fatalf("header % x", b[:24])
	}
	// The tensor infos end the header; find "b.weight"'s info and check
	// dims (innermost first), type and offset.
	i := bytes.Index(b, []byte("b.weight"))
	p := i + len("b.weight")
	if nd := le.Uint32(b[p:]); nd != 2 || le.Uint64(b[p+4:]) != 64 || le.Uint64(b[p+12:]) != 2 ||
		le.Uint32(b[p+20:]) != uint32(Q8_0) || le.Uint64(b[p+24:]) != 32 {
		t.Fatalf("tensor info of b.weight: % x", b[p:p+32])
	}
	dataStart := alignUp(int64(p+32), 32)
	if got := b[dataStart : dataStart+12]; !bytes.Equal(got, data[:12]) {
		t.Fatalf("tensor a data % x", got)
	}
	if !bytes.Equal(b[dataStart+12:dataStart+32], make([]byte, 20)) {
		t.Fatal("padding after a is not zero")
	}
	if got := b[dataStart+32 : dataStart+32+136]; !bytes.Equal(got, data[12:]) {
		t.Fatal("tensor b data differs")
	}
	if int64(len(b)) != dataStart+32+alignUp(136, 32) {
		t.Fatalf("file of %d bytes, want %d", len(b), dataStart+32+alignUp(136, 32))
	}
	// Metadata encodings: a float32 and an int32 array.
	if j := bytes.Index(b, []byte("x.f")); le.Uint32(b[j+3:]) != GGUFFloat32 || math.Float32frombits(le.Uint32(b[j+7:])) != 1.5 {
		t.Fatal("float32 value encoded wrongly")
	}
	if j := bytes.Index(b, []byte("x.list")); le.Uint32(b[j+6:]) != GGUFArray || le.Uint32(b[j+10:]) != GGUFInt32 ||
		le.Uint64(b[j+14:]) != 2 || int32(le.Uint32(b[j+26:])) != -2 {
		t.Fatal("int32 array encoded wrongly")
	}
}

func TestWriter_Errors(t *testing.T) {
	one := []TensorSpec{{Name: "t", Type: F16, Shape: []int{4}}}
	cases := map[string]func() error{
		"duplicate key": func() error {
			_, err := NewWriter(&bytes.Buffer{}, []KV{{"k", uint32(1)}, {"k", uint32(2)}}, nil)
			return err
		},
		"bad value": func() error { _, err := NewWriter(&bytes.Buffer{}, []KV{{"k", 3}}, nil); return err },
		"bad alignment": func() error {
			_, err := NewWriter(&bytes.Buffer{}, []KV{{"general.alignment", uint32(24)}}, nil)
			return err
		},
		"duplicate tensor": func() error { _, err := NewWriter(&bytes.Buffer{}, nil, append(one, one...)); return err },
		"q8 row": func() error {
			_, err := NewWriter(&bytes.Buffer{}, nil, []TensorSpec{{Name: "q", Type: Q8_0, Shape: []int{2, 48}}})
			return err
		},
		"long name": func() error {
			_, err := NewWriter(&bytes.Buffer{}, nil, []TensorSpec{{Name: strings.Repeat("n", 64), Type: F32, Shape: []int{1}}})
			return err
		},
		"5 dims": func() error {
			_, err := NewWriter(&bytes.Buffer{}, nil, []TensorSpec{{Name: "c", Type: F32, Shape: []int{1, 1, 1, 1, 1}}})
			return err
		},
		"missing data": func() error {
			w, _ := NewWriter(&bytes.Buffer{}, nil, one)
			w.Write(make([]byte, 7))
			return w.Close()
		},
		"too much data": func() error {
			w, _ := NewWriter(&bytes.Buffer{}, nil, one)
			_, err := w.Write(make([]byte, 9))
			return err
		},
		"wrong name": func() error {
			w, _ := NewWriter(&bytes.Buffer{}, nil, one)
			return w.WriteTensor("u", make([]byte, 8))
		},
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	w, _ := NewWriter(&bytes.Buffer{}, []KV{{"general.alignment", uint32(64)}}, one)
	if err := w.WriteTensor("t", make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestComparison_KnownAnswers(t *testing.T) {
	var self Comparison
	logits := []float32{1, 2, 3, 0.5}
	for i := 0; i < 10; i++ {
		if err := self.Add(logits, logits, i%4); err != nil {
			t.Fatal(err)
		}
	}
	r := self.Result()
	if r.KLDMean != 0 || r.KLDP99 != 0 || r.Top1Agreement != 1 || r.PPLRef != r.PPLQuant || r.Positions != 10 {
		t.Fatalf("self comparison %+v", r)
	}
	// Two tokens: p = (0.5, 0.5), q = (e/(1+e), 1/(1+e)).
	var c Comparison
	if err := c.Add([]float32{0, 0}, []float32{1, 0}, 1); err != nil {
		t.Fatal(err)
	}
	q0 := math.E / (1 + math.E)
	want := 0.5*math.Log(0.5/q0) + 0.5*math.Log(0.5/(1-q0))
	r = c.Result()
	if math.Abs(r.KLDMean-want) > 1e-12 || r.Top1Agreement != 1 { // tie in ref picks id 0, quant's argmax is 0
		t.Fatalf("KLD %g, want %g; agreement %g", r.KLDMean, want, r.Top1Agreement)
	}
	if math.Abs(r.PPLRef-2) > 1e-12 || math.Abs(r.PPLQuant-(1+math.E)) > 1e-9 {
		t.Fatalf("ppl %g %g", r.PPLRef, r.PPLQuant)
	}
	if err := c.Add([]float32{1}, []float32{1, 2}, 0); err == nil {
		t.Error("length mismatch accepted")
	}
	if err := c.Add([]float32{float32(math.NaN())}, []float32{1}, 0); err == nil {
		t.Error("NaN logits accepted")
	}
	// p99 by nearest rank over 200 positions: the 198th smallest.
	var p Comparison
	for i := 0; i < 200; i++ {
		d := float32(i) / 100
		p.Add([]float32{0, 0}, []float32{d, 0}, -1)
	}
	r = p.Result()
	if r.KLDP99 <= 0 || r.KLDP99 >= r.KLDMax || !math.IsNaN(r.PPLRef) {
		t.Fatalf("p99 %g max %g ppl %g", r.KLDP99, r.KLDMax, r.PPLRef)
	}
}
