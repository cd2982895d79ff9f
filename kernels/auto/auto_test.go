package auto

import (
	"errors"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
)

func TestOpen(t *testing.T) {
	for _, name := range []string{"", "auto", "cpu", "CPU"} {
		be, _, err := Open(name, Options{Threads: 1})
		if err != nil || be.Name() != "cpu" {
			t.Fatalf("Open(%q) = %v, %v", name, be, err)
		}
		be.Close()
	}
	if _, why, _ := Open("auto", Options{}); why == "" {
		t.Error("auto did not say why it fell back to the cpu")
	}
	for _, name := range []string{"cuda", "cuda:1"} {
		if _, _, err := Open(name, Options{}); !errors.Is(err, kernels.ErrUnavailable) {
			t.Errorf("Open(%q) error %v, want ErrUnavailable", name, err)
		}
	}
	for _, name := range []string{"tpu", "cpu:1", "cuda:x", "cuda:-1"} {
		if _, _, err := Open(name, Options{}); err == nil || errors.Is(err, kernels.ErrUnavailable) {
			t.Errorf("Open(%q) error %v, want a usage error", name, err)
		}
	}
}
