package cpu

import (
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/kerneltest"
)

func TestConformance(t *testing.T) {
	for _, threads := range []int{1, 3} {
		be := New(threads)
		ref := NewReference()
		t.Run(be.Capabilities().Device, func(t *testing.T) { kerneltest.Run(t, be, ref) })
		be.Close()
		ref.Close()
	}
}

func TestF16ToF32_AllValues(t *testing.T) {
	for h := range 1 << 16 {
		got, want := f16ToF32(uint16(h)), f16ToF32Generic(uint16(h))
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("f16 %#04x: %g, want %g", h, got, want)
		}
		if want == want && kerneltest.F32ToF16(want) != uint16(h) {
			t.Fatalf("f16 %#04x → %g → %#04x", h, want, kerneltest.F32ToF16(want))
		}
	}
}

func TestUpload_AliasesAlignedData(t *testing.T) {
	be := New(1)
	defer be.Close()
	data := kerneltest.Encode(kernels.BF16, []float32{1, 2, 3, 4})
	w, err := be.Upload("w", kernels.BF16, kernels.Shape{2, 2}, data)
	if err != nil {
		t.Fatal(err)
	}
	if !sameMemory(data, w.(*tensor)) {
		t.Fatal("aligned bf16 upload was copied")
	}
	if err := be.Write(w, data); err == nil {
		t.Fatal("write to an aliased upload succeeded")
	}
	if _, err := be.Upload("w", kernels.BF16, kernels.Shape{2, 3}, data); err == nil {
		t.Fatal("size mismatch accepted")
	}
}

func TestTopK_NaNAndShortRows(t *testing.T) {
	got := topK([]float32{float32(math.NaN()), 1, 3, 3, -1}, 4)
	want := []kernels.Scored{{ID: 2, Value: 3}, {ID: 3, Value: 3}, {ID: 1, Value: 1}, {ID: 4, Value: -1}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("topK = %v, want %v", got, want)
		}
	}
}

func TestPool_CoversEveryIndexOnce(t *testing.T) {
	p := newPool(3)
	defer p.close()
	for _, c := range [][2]int{{0, 1}, {1, 1}, {10, 3}, {1000, 7}, {5, 100}} {
		seen := make([]int32, c[0])
		var mu sync.Mutex
		p.run(c[0], c[1], func(lo, hi int) {
			mu.Lock()
			defer mu.Unlock()
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, v := range seen {
			if v != 1 {
				t.Fatalf("n=%d grain=%d: index %d visited %d times", c[0], c[1], i, v)
			}
		}
	}
	if g := p.grainForWork(100, 10, 1, 1); g != 100 {
		t.Errorf("small op split into grain %d", g)
	}
	if g := p.grainForWork(4864, 896, 8, 8); g%8 != 0 || g >= 4864 {
		t.Errorf("large op grain %d", g)
	}
}

func TestPool_ConcurrentCallersAndClose(t *testing.T) {
	p := newPool(3)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				n := 1 + (g*37+i)%300
				var sum atomic.Int64
				p.run(n, 7, func(lo, hi int) {
					for j := lo; j < hi; j++ {
						sum.Add(int64(j))
					}
				})
				if want := int64(n * (n - 1) / 2); sum.Load() != want {
					t.Errorf("caller %d run %d: sum %d, want %d", g, i, sum.Load(), want)
					return
				}
				if i%50 == 0 {
					time.Sleep(2 * spinFor) // let the workers park
				}
			}
		}()
	}
	wg.Wait()
	p.close()
	p.close()
}
