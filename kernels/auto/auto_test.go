package auto

import (
	"bytes"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/kernels/cuda"
)

func TestOpen(t *testing.T) {
	for _, name := range []string{"", "auto", "cpu", "CPU"} {
		be, _, err := Open(name, Options{Threads: 1, CUDADriver: fakeDriver(0, 0)})
		if err != nil || be.Name() != "cpu" {
			t.Fatalf("Open(%q) = %v, %v", name, be, err)
		}
		be.Close()
	}
	for _, name := range []string{"cuda", "cuda:1"} {
		if _, _, err := Open(name, Options{CUDADriver: fakeDriver(0, 0)}); !errors.Is(err, kernels.ErrUnavailable) {
			t.Errorf("Open(%q) error %v, want ErrUnavailable", name, err)
		}
	}
	for _, name := range []string{"tpu", "cpu:1", "cuda:x", "cuda:-1"} {
		if _, _, err := Open(name, Options{}); err == nil || errors.Is(err, kernels.ErrUnavailable) {
			t.Errorf("Open(%q) error %v, want a usage error", name, err)
		}
	}
}

// TestOpen_SystemDriver uses whatever this machine has: with no NVIDIA
// driver, auto falls back and says why.
func TestOpen_SystemDriver(t *testing.T) {
	be, why, err := Open("auto", Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	if be.Name() == "cpu" && why == "" {
		t.Error("auto did not say why it fell back to the cpu")
	}
	t.Logf("auto chose %s (%s)", be.Name(), why)
}

func TestOpen_AutoPicksCUDAWhenItFits(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	be, why, err := Open("auto", Options{CUDADriver: fakeDriver(1, 8<<30), NeedBytes: 4 << 30, Logger: log})
	if err != nil || be.Name() != "cuda" || why != "" {
		t.Fatalf("auto = %v, %q, %v", be, why, err)
	}
	be.Close()
	if n := strings.Count(logs.String(), "backend selected"); n != 1 || !strings.Contains(logs.String(), "backend=cuda:0") {
		t.Errorf("log %q", logs.String())
	}

	logs.Reset()
	be, why, err = Open("auto", Options{CUDADriver: fakeDriver(1, 2<<30), NeedBytes: 4 << 30, Logger: log})
	if err != nil || be.Name() != "cpu" || !strings.Contains(why, "out of device memory") || !strings.Contains(why, "needs 4.00 GiB") {
		t.Fatalf("auto with too little memory = %v, %q, %v", be, why, err)
	}
	be.Close()
	if n := strings.Count(logs.String(), "backend selected"); n != 1 || !strings.Contains(logs.String(), "backend=cpu") {
		t.Errorf("log %q", logs.String())
	}
	_, _, err = Open("cuda:0", Options{CUDADriver: fakeDriver(1, 2<<30), NeedBytes: 4 << 30})
	if !errors.Is(err, cuda.ErrOutOfMemory) || !strings.Contains(err.Error(), "2.00 GiB free") {
		t.Fatalf("cuda with too little memory: %v", err)
	}
}

// fakeDriver is a driver table whose every call succeeds, with devices
// sm_90 devices and free bytes of free memory (outputs not set stay zero).
func fakeDriver(devices int32, free uint64) *cuda.Driver {
	d := &cuda.Driver{}
	v := reflect.ValueOf(d).Elem()
	for i := range v.NumField() {
		ft := v.Field(i).Type()
		v.Field(i).Set(reflect.MakeFunc(ft, func([]reflect.Value) []reflect.Value {
			return []reflect.Value{reflect.ValueOf(cuda.Success)}
		}))
	}
	d.DeviceGetCount = func(n *int32) cuda.Result { *n = devices; return cuda.Success }
	d.DeviceGetAttr = func(v *int32, attr, dev int32) cuda.Result { *v = 9; return cuda.Success }
	d.DeviceTotalMem = func(b *uint64, dev int32) cuda.Result { *b = 16 << 30; return cuda.Success }
	d.MemGetInfo = func(f, total *uint64) cuda.Result { *f, *total = free, 16<<30; return cuda.Success }
	return d
}
