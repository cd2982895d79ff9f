package phantom

import (
	"os"
	"testing"
	"time"
)

// BenchmarkCTStudy measures one default 40-slice CT study in memory.
func BenchmarkCTStudy(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := NewStudy(Options{Modality: "CT", Seed: uint64(i)}, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTiming1000Slices writes 25 default CT studies (1,000 slices of
// 512×512) and reports the time. Opt-in: PHANTOM_TIMING=1.
func TestTiming1000Slices(t *testing.T) {
	if os.Getenv("PHANTOM_TIMING") == "" {
		t.Skip("set PHANTOM_TIMING=1")
	}
	start := time.Now()
	res, err := Generate(Options{OutDir: t.TempDir(), Modality: "CT", Studies: 25, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files, %.0f MB in %v", res.Files, float64(res.Bytes)/1e6, time.Since(start))
}

func BenchmarkStudy(b *testing.B) {
	for _, o := range []Options{{Modality: "CR"}, {Modality: "DX", TransferSyntax: "jpeg"},
		{Modality: "DX", TransferSyntax: "deflate"}, {Modality: "MR"}, {Modality: "CT", Slices: 4}} {
		b.Run(o.Modality+"/"+o.TransferSyntax, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := NewStudy(o, i); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
