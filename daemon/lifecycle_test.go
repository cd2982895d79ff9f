package daemon_test

import (
	"context"
	"testing"
	"time"
)

// TestStop_RightAfterStart: a service manager may stop the daemon the
// moment it started (a quick restart); Stop must not wait for a listener
// that never got going.
func TestStop_RightAfterStart(t *testing.T) {
	for i := 0; i < 3; i++ {
		d := startDaemon(t, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		err := d.Stop(ctx)
		cancel()
		if err != nil {
			t.Fatalf("stop right after start: %v (after %s)", err, time.Since(start))
		}
	}
}
