package pixel

import (
	"bytes"
	"github.com/lingshu-edge/lingshu/internal/cputime"
	"os"
	"testing"
	"time"
)

func cpuNow() time.Duration {
	d, _ := cputime.Process()
	return d
}

// TestCPUTime reports process CPU time per render, which stays meaningful on
// a loaded machine where wall time does not
// (opt-in: PIXEL_CPU_TIMING=1 go test -run TestCPUTime -v).
func TestCPUTime(t *testing.T) {
	if os.Getenv("PIXEL_CPU_TIMING") == "" {
		t.Skip("PIXEL_CPU_TIMING not set")
	}
	file, auto := ct512Files()
	for _, c := range []struct {
		name string
		file []byte
		opt  Options
	}{{"file window", file, Options{}}, {"auto window", auto, Options{}}, {"file window, MaxSize 256", file, Options{MaxSize: 256}}} {
		const n = 200
		c0, w0 := cpuNow(), time.Now()
		for i := 0; i < n; i++ {
			if _, err := Render(bytes.NewReader(c.file), int64(len(c.file)), c.opt); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("512x512 CT, %s: CPU %.2f ms/op, wall %.2f ms/op", c.name,
			float64((cpuNow()-c0).Microseconds())/1000/n, float64(time.Since(w0).Microseconds())/1000/n)
	}
}
