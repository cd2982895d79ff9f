package cuda

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/kernels/kerneltest"
)

func openFake(t *testing.T, f *fakeGPU, opts Options) *Backend {
	t.Helper()
	opts.Driver = f.driver()
	b, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestOpen_NoLibrary(t *testing.T) {
	_, err := Open(Options{LibraryPath: "/nonexistent/libcuda.so.1"})
	if !errors.Is(err, ErrNoDriver) || !errors.Is(err, kernels.ErrUnavailable) {
		t.Fatalf("err %v, want ErrNoDriver and ErrUnavailable", err)
	}
	d := &Driver{}
	err = d.bind(func(sym string) (uintptr, error) {
		if sym == "cuLaunchKernel" || sym == "cuMemAlloc_v2" {
			return 0, errors.New("undefined symbol")
		}
		return 1, nil
	}, func(any, uintptr) {})
	if !errors.Is(err, ErrNoDriver) || !strings.Contains(err.Error(), "cuMemAlloc_v2") || !strings.Contains(err.Error(), "cuLaunchKernel") {
		t.Fatalf("bind error %v should name both missing symbols", err)
	}
	partial := newFakeGPU().driver()
	partial.LaunchKernel = nil
	if _, err := Open(Options{Driver: partial}); !errors.Is(err, ErrNoDriver) || !strings.Contains(err.Error(), "cuLaunchKernel") {
		t.Fatalf("partial table: %v", err)
	}
}

// TestLoadDriver_System loads the real library when there is one; on a
// machine without the NVIDIA driver it must fail cleanly.
func TestLoadDriver_System(t *testing.T) {
	d, err := LoadDriver("")
	if err != nil {
		if !errors.Is(err, ErrNoDriver) {
			t.Fatalf("err %v, want ErrNoDriver", err)
		}
		t.Logf("no driver here: %v", err)
		return
	}
	if err := d.complete(); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_NoDevice(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*fakeGPU)
		dev  int
		want string
	}{
		{"init says no device", func(f *fakeGPU) { f.initResult = resNoDevice }, 0, "cuInit: CUDA_ERROR_NO_DEVICE"},
		{"zero devices", func(f *fakeGPU) { f.devices = 0 }, 0, "device 0 asked, 0 present"},
		{"device out of range", func(f *fakeGPU) {}, 2, "device 2 asked, 1 present"},
		{"too old", func(f *fakeGPU) { f.ccMajor = 7 }, 0, "sm_70"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeGPU()
			c.set(f)
			_, err := Open(Options{Driver: f.driver(), Device: c.dev})
			if !errors.Is(err, ErrNoDevice) || !errors.Is(err, kernels.ErrUnavailable) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want ErrNoDevice mentioning %q", err, c.want)
			}
			if f.live != 0 {
				t.Errorf("%d driver objects left after a failed Open", f.live)
			}
		})
	}
	f := newFakeGPU()
	f.initResult = 35 // insufficient driver
	if _, err := Open(Options{Driver: f.driver()}); !errors.Is(err, ErrNoDriver) || !strings.Contains(err.Error(), "CUDA_ERROR_INSUFFICIENT_DRIVER") {
		t.Fatalf("old driver: %v", err)
	}
}

func TestOpen_NotEnoughFreeMemory(t *testing.T) {
	f := newFakeGPU()
	f.free = 3 << 30
	f.total = 8 << 30
	_, err := Open(Options{Driver: f.driver(), MinFreeBytes: 5 << 30})
	if !errors.Is(err, ErrOutOfMemory) || !errors.Is(err, kernels.ErrUnavailable) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"3.00 GiB free of 8.00 GiB", "needs 5.00 GiB", "Fake GPU"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if f.live != 0 {
		t.Errorf("%d driver objects left after a failed Open", f.live)
	}
	b := openFake(t, f, Options{MinFreeBytes: 2 << 30})
	if c := b.Capabilities(); c.MemoryBytes != 8<<30 || !strings.Contains(c.Device, "Fake GPU") || !c.SupportsWeight(kernels.Q8_0) {
		t.Errorf("capabilities %+v", c)
	}
}

func TestUpload_OutOfMemory(t *testing.T) {
	f := newFakeGPU()
	b := openFake(t, f, Options{})
	f.free = 100
	_, err := b.Upload("model.embed_tokens.weight", kernels.F32, kernels.Shape{64, 64}, make([]byte, 64*64*4))
	if !errors.Is(err, ErrOutOfMemory) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"cuMemAlloc_v2", "CUDA_ERROR_OUT_OF_MEMORY", "model.embed_tokens.weight", "free of"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if _, err := b.Alloc(kernels.F32, kernels.Shape{1 << 20, 64}); !errors.Is(err, ErrOutOfMemory) {
		t.Fatalf("alloc: %v", err)
	}
	var ce *CallError
	if !errors.As(err, &ce) || ce.Call != "cuMemAlloc_v2" {
		t.Fatalf("no CallError in %v", err)
	}
}

func TestClose_ReleasesEverything(t *testing.T) {
	f := newFakeGPU()
	opts := Options{Driver: f.driver()}
	b, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := b.Upload("w", kernels.BF16, kernels.Shape{4, 32}, make([]byte, 4*32*2))
	x, _ := b.Alloc(kernels.F32, kernels.Shape{3, 32})
	_, _ = w, x
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if f.live != 0 || len(f.mem) != 0 {
		t.Fatalf("after Close: %d driver objects, allocations %v", f.live, f.allocations())
	}
	if _, err := b.Alloc(kernels.F32, kernels.Shape{1, 1}); err == nil {
		t.Fatal("alloc after Close succeeded")
	}
}

// TestMemory_Fake runs the conformance suite's memory test and more
// against the fake device, where copies really move bytes.
func TestMemory_Fake(t *testing.T) {
	f := newFakeGPU()
	b := openFake(t, f, Options{ArenaChunk: 1 << 16})
	r := rand.New(rand.NewPCG(1, 2))
	v := kerneltest.Random(r, 7*64, 1)
	x, err := b.Upload("x", kernels.F32, kernels.Shape{7, 64}, kerneltest.Encode(kernels.F32, v))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, 7*64)
	if err := b.Download(x, got); err != nil || !slices.Equal(got, v) {
		t.Fatalf("download %v", err)
	}
	rows, err := b.Rows(x, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := b.Alloc(kernels.F32, kernels.Shape{3, 64})
	if err := b.Copy(d, rows); err != nil {
		t.Fatal(err)
	}
	if err := b.Download(d, got[:3*64]); err != nil || !slices.Equal(got[:3*64], v[2*64:5*64]) {
		t.Fatalf("rows+copy %v", err)
	}
	if err := b.Write(d, kerneltest.Encode(kernels.F32, v[:3*64])); err != nil {
		t.Fatal(err)
	}
	if err := b.Download(d, got[:3*64]); err != nil || !slices.Equal(got[:3*64], v[:3*64]) {
		t.Fatalf("write %v", err)
	}
	if err := b.Write(d, make([]byte, 5)); err == nil {
		t.Fatal("short write accepted")
	}
	if err := b.Download(x, got[:5]); err == nil {
		t.Fatal("short download accepted")
	}
	// Add through the emulated kernel checks argument packing.
	y, _ := b.Alloc(kernels.F32, kernels.Shape{3, 64})
	if err := b.Add(y, d, rows); err != nil {
		t.Fatal(err)
	}
	b.Download(y, got[:3*64])
	for i := range 3 * 64 {
		if got[i] != v[i]+v[2*64+i] {
			t.Fatalf("add[%d] = %g, want %g", i, got[i], v[i]+v[2*64+i])
		}
	}
	// Alloc is zeroed; freed arena memory is reused.
	z, _ := b.Alloc(kernels.F32, kernels.Shape{2, 5})
	b.Download(z, got[:10])
	if slices.ContainsFunc(got[:10], func(v float32) bool { return v != 0 }) {
		t.Fatal("alloc not zeroed")
	}
	used := b.arena.used
	b.Free(z)
	b.Free(rows) // a view: no-op
	if b.arena.used != used-256 {
		t.Fatalf("arena used %d → %d after free", used, b.arena.used)
	}
	if _, err := b.Alloc(kernels.BF16, kernels.Shape{2}); !errors.Is(err, kernels.ErrNotImplemented) {
		t.Fatalf("alloc bf16: %v", err)
	}
	if _, err := b.Upload("bad", kernels.F32, kernels.Shape{2, 3}, make([]byte, 20)); err == nil {
		t.Fatal("size mismatch accepted")
	}
	other := openFake(t, newFakeGPU(), Options{})
	if err := other.Copy(d, x); err == nil {
		t.Fatal("tensor of another backend accepted")
	}
	b.Free(x)
	if err := b.Download(x, got); err == nil {
		t.Fatal("download after free accepted")
	}
}

// TestUpload_Layouts checks the device layout of Q8_0 (values and scales
// split), 1-D half tensors (f32 copy) and I32 (host copy, row views).
func TestUpload_Layouts(t *testing.T) {
	f := newFakeGPU()
	b := openFake(t, f, Options{})
	r := rand.New(rand.NewPCG(3, 4))
	v := kerneltest.Random(r, 3*64, 1)
	raw := kerneltest.Encode(kernels.Q8_0, v)
	wt, err := b.Upload("q", kernels.Q8_0, kernels.Shape{3, 64}, raw)
	if err != nil {
		t.Fatal(err)
	}
	w := wt.(*tensor)
	qs, sc := f.resolve(w.ptr, 3*64), f.resolve(w.scl, 6*2)
	for blk := range 6 {
		src := raw[blk*34:]
		if sc[2*blk] != src[0] || sc[2*blk+1] != src[1] || !slices.Equal(qs[blk*32:blk*32+32], src[2:34]) {
			t.Fatalf("block %d repacked wrongly", blk)
		}
	}
	row1, _ := b.Rows(w, 1, 2)
	if r1 := row1.(*tensor); r1.ptr != w.ptr+64 || r1.scl != w.scl+4 {
		t.Fatalf("Q8_0 row view offsets %#x %#x", r1.ptr-w.ptr, r1.scl-w.scl)
	}
	bias, _ := b.Upload("bias", kernels.BF16, kernels.Shape{4}, kerneltest.Encode(kernels.BF16, []float32{1, -2, 0.5, 3}))
	bt := bias.(*tensor)
	vec := f.resolve(bt.vec, 16)
	if got := math.Float32frombits(uint32(vec[4]) | uint32(vec[5])<<8 | uint32(vec[6])<<16 | uint32(vec[7])<<24); got != -2 {
		t.Fatalf("bf16 bias f32 copy[1] = %g", got)
	}
	bv, _ := b.Rows(bias, 2, 2)
	if bv.(*tensor).vec != bt.vec+8 || bv.(*tensor).ptr != bt.ptr+4 {
		t.Fatal("1-D half view offsets")
	}
	ids, _ := b.Upload("ids", kernels.I32, kernels.Shape{4}, kerneltest.I32Bytes([]int{5, 6, 7, 8}))
	iv, _ := b.Rows(ids, 1, 2)
	if !slices.Equal(iv.(*tensor).host, []int32{6, 7}) {
		t.Fatalf("I32 view host copy %v", iv.(*tensor).host)
	}
	if err := b.Write(iv, kerneltest.I32Bytes([]int{60, 70})); err != nil {
		t.Fatal(err)
	}
	if h := ids.(*tensor).host; !slices.Equal(h, []int32{5, 60, 70, 8}) {
		t.Fatalf("write through an I32 view: host %v", h)
	}
	if d := f.resolve(ids.(*tensor).ptr, 16); d[4] != 60 || d[8] != 70 {
		t.Fatalf("write through an I32 view: device %v", d)
	}
}

// TestMatMul_KernelChoice checks which kernels each weight dtype and row
// count launches, and their grids.
func TestMatMul_KernelChoice(t *testing.T) {
	f := newFakeGPU()
	b := openFake(t, f, Options{})
	for _, c := range []struct {
		dt      kernels.DType
		T, in   int
		want    []string
		grid    dim3 // of the last kernel
		wantErr bool
	}{
		{kernels.Q8_0, 1, 64, []string{"quantize_q8", "mv_q8"}, dim3{13, 1, 1}, false},
		{kernels.Q8_0, 8, 64, []string{"quantize_q8", "mv_q8"}, dim3{13, 1, 1}, false},
		{kernels.Q8_0, 9, 64, []string{"quantize_q8", "mm_q8"}, dim3{2, 1, 1}, false},
		{kernels.Q8_0, 130, 64, []string{"quantize_q8", "mm_q8"}, dim3{2, 3, 1}, false},
		{kernels.F16, 20, 64, []string{"split_f16", "mm_f16"}, dim3{2, 1, 1}, false},
		{kernels.F16, 20, 40, []string{"mm_f16w"}, dim3{2, 1, 1}, false},
		{kernels.F16, 2, 64, []string{"mv_f16x8"}, dim3{13, 1, 1}, false},
		{kernels.F16, 2, 33, []string{"mv_f16"}, dim3{13, 1, 1}, false},
		{kernels.BF16, 3, 64, []string{"mv_bf16x8"}, dim3{13, 1, 1}, false},
		{kernels.BF16, 64, 64, []string{"mm_bf16"}, dim3{2, 1, 1}, false},
		{kernels.F32, 1, 7, []string{"mv_f32"}, dim3{13, 1, 1}, false},
		{kernels.F32, 65, 7, []string{"mm_f32"}, dim3{2, 2, 1}, false},
	} {
		const out = 100
		x, _ := b.Alloc(kernels.F32, kernels.Shape{c.T, c.in})
		wb, _ := c.dt.RowBytes(c.in)
		w, err := b.Upload("w", c.dt, kernels.Shape{out, c.in}, make([]byte, out*wb))
		if err != nil {
			t.Fatal(err)
		}
		d, _ := b.Alloc(kernels.F32, kernels.Shape{c.T, out})
		f.kernels()
		if err := b.MatMul(d, x, w, nil); err != nil {
			t.Fatal(err)
		}
		last := f.launches[len(f.launches)-1]
		if got := f.kernels(); !slices.Equal(got, c.want) || last.grid != c.grid {
			t.Errorf("%s T=%d in=%d: kernels %v grid %v, want %v grid %v", c.dt, c.T, c.in, got, last.grid, c.want, c.grid)
		}
	}
	x, _ := b.Alloc(kernels.F32, kernels.Shape{2, 64})
	w, _ := b.Upload("w", kernels.F32, kernels.Shape{3, 32}, make([]byte, 3*32*4))
	d, _ := b.Alloc(kernels.F32, kernels.Shape{2, 3})
	if err := b.MatMul(d, x, w, nil); err == nil || !strings.Contains(err.Error(), "want (rows, 64)") {
		t.Fatalf("shape mismatch: %v", err)
	}
}

// TestOps_Validation checks that shape errors match the CPU backend's
// (the op fails before anything is launched).
func TestOps_Validation(t *testing.T) {
	f := newFakeGPU()
	b := openFake(t, f, Options{})
	ref := cpu.NewReference()
	defer ref.Close()
	mk := func(be kernels.Backend, dt kernels.DType, s ...int) kernels.Tensor {
		n := kernels.Shape(s).Numel()
		data := kerneltest.Encode(dt, make([]float32, n))
		if dt == kernels.I32 {
			data = kerneltest.I32Bytes(make([]int, n))
		}
		t2, err := be.Upload("t", dt, kernels.Shape(s), data)
		if err != nil {
			t.Fatal(err)
		}
		return t2
	}
	type op func(be kernels.Backend, mk func(dt kernels.DType, s ...int) kernels.Tensor) error
	for name, fn := range map[string]op{
		"attention heads": func(be kernels.Backend, m func(kernels.DType, ...int) kernels.Tensor) error {
			return be.Attention(m(kernels.F32, 2, 16), m(kernels.F32, 2, 16), m(kernels.F32, 2, 8), m(kernels.F32, 2, 8),
				kernels.AttentionParams{Heads: 3, KVHeads: 2, HeadDim: 8})
		},
		"attention short cache": func(be kernels.Backend, m func(kernels.DType, ...int) kernels.Tensor) error {
			return be.Attention(m(kernels.F32, 2, 16), m(kernels.F32, 2, 16), m(kernels.F32, 3, 8), m(kernels.F32, 3, 8),
				kernels.AttentionParams{Heads: 2, KVHeads: 1, HeadDim: 8, Start: 2})
		},
		"rope pos shape": func(be kernels.Backend, m func(kernels.DType, ...int) kernels.Tensor) error {
			return be.RoPE(m(kernels.F32, 2, 16), m(kernels.I32, 3), kernels.RoPEParams{Heads: 1, HeadDim: 16, Theta: 1e4})
		},
		"embedding id range": func(be kernels.Backend, m func(kernels.DType, ...int) kernels.Tensor) error {
			ids, _ := be.Upload("ids", kernels.I32, kernels.Shape{2}, kerneltest.I32Bytes([]int{1, 9}))
			return be.Embedding(m(kernels.F32, 2, 32), m(kernels.BF16, 9, 32), ids)
		},
		"rmsnorm weight": func(be kernels.Backend, m func(kernels.DType, ...int) kernels.Tensor) error {
			return be.RMSNorm(m(kernels.F32, 2, 32), m(kernels.F32, 2, 32), m(kernels.F32, 31), 1e-6)
		},
		"add shapes": func(be kernels.Backend, m func(kernels.DType, ...int) kernels.Tensor) error {
			return be.Add(m(kernels.F32, 2, 32), m(kernels.F32, 2, 32), m(kernels.F32, 1, 64))
		},
		"softmax dst": func(be kernels.Backend, m func(kernels.DType, ...int) kernels.Tensor) error {
			return be.Softmax(m(kernels.F32, 2, 3), m(kernels.F32, 2, 4))
		},
		"topk row": func(be kernels.Backend, m func(kernels.DType, ...int) kernels.Tensor) error {
			_, err := be.TopK(m(kernels.F32, 2, 3), 2, 1)
			return err
		},
	} {
		f.kernels()
		errGPU := fn(b, func(dt kernels.DType, s ...int) kernels.Tensor { return mk(b, dt, s...) })
		errCPU := fn(ref, func(dt kernels.DType, s ...int) kernels.Tensor { return mk(ref, dt, s...) })
		if errGPU == nil || errCPU == nil {
			t.Errorf("%s: cuda %v, cpu %v: both should fail", name, errGPU, errCPU)
		}
		if k := f.kernels(); len(k) != 0 {
			t.Errorf("%s: launched %v before failing", name, k)
		}
	}
}

// TestRoPETable_MatchesCPU rotates on the host with the table the kernel
// gets and compares with the CPU reference backend.
func TestRoPETable_MatchesCPU(t *testing.T) {
	ref := cpu.NewReference()
	defer ref.Close()
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		p   kernels.RoPEParams
		pos []int
	}{
		{kernels.RoPEParams{Heads: 2, HeadDim: 16, Theta: 1e6}, []int{0, 1, 32767}},
		{kernels.RoPEParams{Heads: 3, HeadDim: 12, Dim: 8, Theta: 1e4}, []int{7, 100, 4095}},
		{kernels.RoPEParams{Heads: 4, HeadDim: 16, Theta: 1e6, Sections: []int{2, 3, 3}}, []int{4, 9, 4, 5, 4, 7}},
		{kernels.RoPEParams{Heads: 2, HeadDim: 16, Theta: 1e4, Sections: []int{4, 4}, SectionFreqs: true}, []int{0, 5, 35, 1, 2, 17}},
	} {
		axes := max(len(c.p.Sections), 1)
		T := len(c.pos) / axes
		cols := c.p.Heads * c.p.HeadDim
		x := kerneltest.Random(r, T*cols, 2)
		shape := kernels.Shape{T}
		if c.p.Sections != nil {
			shape = kernels.Shape{axes, T}
		}
		xt, _ := ref.Upload("x", kernels.F32, kernels.Shape{T, cols}, kerneltest.Encode(kernels.F32, x))
		xc, _ := ref.Alloc(kernels.F32, kernels.Shape{T, cols})
		ref.Copy(xc, xt)
		pt, _ := ref.Upload("pos", kernels.I32, shape, kerneltest.I32Bytes(c.pos))
		if err := ref.RoPE(xc, pt, c.p); err != nil {
			t.Fatal(err)
		}
		want := make([]float32, T*cols)
		ref.Download(xc, want)
		pos32 := make([]int32, len(c.pos))
		for i, p := range c.pos {
			pos32[i] = int32(p)
		}
		tab := ropeTable(pos32, T, c.p)
		half := c.p.RotDim() / 2
		got := slices.Clone(x)
		for tt := range T {
			for h := range c.p.Heads {
				v := got[tt*cols+h*c.p.HeadDim:]
				for i := range half {
					co, si := tab[2*(tt*half+i)], tab[2*(tt*half+i)+1]
					a, bb := v[i], v[i+half]
					v[i], v[i+half] = a*co-bb*si, bb*co+a*si
				}
			}
		}
		if e := kerneltest.NMSE(got, want); e > 1e-12 {
			t.Errorf("%+v: NMSE %g", c.p, e)
		}
	}
}

func TestTopK_Host(t *testing.T) {
	got := topK([]float32{float32(math.NaN()), 1, 3, 3, -1}, 4)
	want := []kernels.Scored{{ID: 2, Value: 3}, {ID: 3, Value: 3}, {ID: 1, Value: 1}, {ID: 4, Value: -1}}
	if !slices.Equal(got, want) {
		t.Fatalf("topK = %v, want %v", got, want)
	}
}

func TestLaunch_ChecksSignature(t *testing.T) {
	b := openFake(t, newFakeGPU(), Options{})
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.launch("gelu", grid1(1), grid1(1), uint64(1), uint64(2)); err == nil {
		t.Error("short argument list accepted")
	}
	if err := b.launch("gelu", grid1(1), grid1(1), uint64(1), 2, 3); err == nil {
		t.Error("int for a pointer accepted")
	}
	if err := b.launch("gelu", grid1(1), grid1(1), uint64(1), uint64(2), 1<<40); err == nil {
		t.Error("int32 overflow accepted")
	}
	if err := b.launch("nope", grid1(1), grid1(1)); err == nil {
		t.Error("unknown kernel accepted")
	}
}

// TestOps_LaunchOnFake runs every op once on the fake device: each call
// site's arguments pass launch's check against the kernel signature, and
// RoPE uploads its table once for q and k of the same positions.
func TestOps_LaunchOnFake(t *testing.T) {
	f := newFakeGPU()
	b := openFake(t, f, Options{})
	up := func(dt kernels.DType, s ...int) kernels.Tensor {
		n := kernels.Shape(s).Numel()
		data := kerneltest.Encode(dt, make([]float32, n))
		if dt == kernels.I32 {
			data = kerneltest.I32Bytes(make([]int, n))
		}
		x, err := b.Upload("t", dt, kernels.Shape(s), data)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	x, y := up(kernels.F32, 3, 64), up(kernels.F32, 3, 64)
	ids := up(kernels.I32, 3)
	for _, dt := range []kernels.DType{kernels.F32, kernels.F16, kernels.BF16, kernels.Q8_0} {
		must(b.Embedding(y, up(dt, 10, 64), ids))
	}
	must(b.RMSNorm(y, x, up(kernels.BF16, 64), 1e-6))
	rp := kernels.RoPEParams{Heads: 4, HeadDim: 16, Theta: 1e6}
	f.kernels()
	before := len(f.allocations())
	must(b.RoPE(x, ids, rp))
	must(b.RoPE(y, ids, rp))
	if b.rope == nil || len(f.allocations()) != before+1 {
		t.Fatalf("rope table not cached: %v", f.allocations())
	}
	must(b.Attention(y, x, x, x, kernels.AttentionParams{Heads: 4, KVHeads: 4, HeadDim: 16, Scale: 0.25, Causal: true}))
	must(b.SwiGLU(y, x, y))
	must(b.GELU(y, y))
	must(b.Add(y, x, y))
	must(b.Softmax(y, y))
	if _, err := b.TopK(y, 1, 1); err != nil {
		t.Fatal(err)
	}
	if r, err := b.TopK(y, 1, 3); err != nil || len(r) != 3 {
		t.Fatalf("topk 3: %v %v", r, err)
	}
	want := []string{"rope", "rope", "attention", "swiglu", "gelu", "add_f32", "softmax", "argmax"}
	if got := f.kernels(); !slices.Equal(got, want) {
		t.Fatalf("kernels %v, want %v", got, want)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Memory(); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentUse runs ops from several goroutines (go test -race).
func TestConcurrentUse(t *testing.T) {
	f := newFakeGPU()
	b := openFake(t, f, Options{ArenaChunk: 1 << 16})
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for i := 0; i < 50 && err == nil; i++ {
				v := []float32{float32(g), float32(i)}
				var x, y kernels.Tensor
				if x, err = b.Upload("x", kernels.F32, kernels.Shape{1, 2}, kerneltest.Encode(kernels.F32, v)); err != nil {
					break
				}
				if y, err = b.Alloc(kernels.F32, kernels.Shape{1, 2}); err != nil {
					break
				}
				if err = b.Add(y, x, x); err != nil {
					break
				}
				out := make([]float32, 2)
				if err = b.Download(y, out); err == nil && (out[0] != 2*v[0] || out[1] != 2*v[1]) {
					err = errors.New("wrong sum")
				}
				b.Free(x)
				b.Free(y)
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if b.arena.used != 0 || b.weights != 0 {
		t.Fatalf("leak: arena %d, weights %d", b.arena.used, b.weights)
	}
}

// TestMatMul_ReusesPreparedActivations: back-to-back MatMuls of one x
// quantize (or split) it once; any op in between makes them redo it.
func TestMatMul_ReusesPreparedActivations(t *testing.T) {
	f := newFakeGPU()
	b := openFake(t, f, Options{})
	for _, c := range []struct {
		dt        kernels.DType
		T         int
		prep, run string
	}{{kernels.Q8_0, 1, "quantize_q8", "mv_q8"}, {kernels.Q8_0, 20, "quantize_q8", "mm_q8"}, {kernels.F16, 20, "split_f16", "mm_f16"}} {
		x, _ := b.Alloc(kernels.F32, kernels.Shape{c.T, 64})
		rb, _ := c.dt.RowBytes(64)
		w, _ := b.Upload("w", c.dt, kernels.Shape{16, 64}, make([]byte, 16*rb))
		d1, _ := b.Alloc(kernels.F32, kernels.Shape{c.T, 16})
		d2, _ := b.Alloc(kernels.F32, kernels.Shape{c.T, 16})
		f.kernels()
		for _, d := range []kernels.Tensor{d1, d2, d1} {
			if err := b.MatMul(d, x, w, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Add(x, x, x); err != nil {
			t.Fatal(err)
		}
		if err := b.MatMul(d2, x, w, nil); err != nil {
			t.Fatal(err)
		}
		want := []string{c.prep, c.run, c.run, c.run, "add_f32", c.prep, c.run}
		if got := f.kernels(); !slices.Equal(got, want) {
			t.Errorf("%s T=%d: kernels %v, want %v", c.dt, c.T, got, want)
		}
	}
}
