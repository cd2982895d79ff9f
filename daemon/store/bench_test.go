package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPutInstance stores 525 KB CT instances (512x512x16 bit plus
// header) from parallel goroutines, as concurrent associations would, with
// every fsync the durability contract requires. Instances/s is reported as
// inst/s; MB/s comes from SetBytes.
func BenchmarkPutInstance(b *testing.B) {
	for _, par := range []int{1, 4} {
		b.Run(fmt.Sprintf("CT525KB/par%dxGOMAXPROCS", par), func(b *testing.B) {
			opts := testOptions(newClock())
			s := openTest(b, b.TempDir(), opts)
			const sopBase = "1.2.826.0.1.3680043.10.1.000000000000"
			tmpl := inst{Study: "1.2.826.0.1.3680043.10.2.0", Series: "1.2.826.0.1.3680043.10.3.0", SOP: sopBase,
				Rows: 512, Cols: 512, PixelBytes: 525*1024 - 1200}
			ds := tmpl.dataset()
			at := bytes.Index(ds, []byte(sopBase)) + len(sopBase) - 12
			meta := tmpl.incoming().Meta
			var n atomic.Int64
			b.SetBytes(int64(len(ds)))
			b.SetParallelism(par)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				buf := append([]byte(nil), ds...)
				for pb.Next() {
					i := n.Add(1)
					sop := fmt.Sprintf("%012d", i)
					copy(buf[at:], sop)
					m := meta
					m.MediaStorageSOPInstanceUID = sopBase[:len(sopBase)-12] + sop
					if _, err := s.PutInstance(context.Background(), Incoming{Meta: m, Dataset: buf, SenderAE: "BENCH"}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "inst/s")
		})
	}
}

// BenchmarkWriteFsyncBaseline is the floor PutInstance is measured
// against: the same 525 KB written to a new file and fsynced, with the same
// parallelism, and nothing else (no rename, directory fsync or index).
func BenchmarkWriteFsyncBaseline(b *testing.B) {
	for _, par := range []int{1, 4} {
		b.Run(fmt.Sprintf("525KB/par%dxGOMAXPROCS", par), func(b *testing.B) {
			dir := b.TempDir()
			buf := make([]byte, 525*1024)
			var n atomic.Int64
			b.SetBytes(int64(len(buf)))
			b.SetParallelism(par)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					f, err := os.Create(filepath.Join(dir, fmt.Sprint(n.Add(1))))
					if err != nil {
						b.Error(err)
						return
					}
					_, err = f.Write(buf)
					if err == nil {
						err = f.Sync()
					}
					if cerr := f.Close(); err == nil {
						err = cerr
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "inst/s")
		})
	}
}
