package installer

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestProbeGPU_FakeDriver builds testdata/fakecuda.c into a shared
// library and probes it through the same dlopen/purego path as the real
// driver: argument passing, out-pointers, the name buffer, the context
// dance for free memory.
func TestProbeGPU_FakeDriver(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler to build the fake driver")
	}
	lib := filepath.Join(t.TempDir(), "libcuda.so.1")
	if out, err := exec.Command(cc, "-shared", "-fPIC", "-O1", "-o", lib, filepath.Join("testdata", "fakecuda.c")).CombinedOutput(); err != nil {
		t.Skipf("cannot build the fake driver: %v\n%s", err, out)
	}
	g := probeGPU(func() (func(string) (uintptr, error), string, error) { return dlopenCUDA(lib) })
	if !g.Loaded || g.Err != "" || g.DriverVersion != 12080 || len(g.Devices) != 2 {
		t.Fatalf("%+v", g)
	}
	want := []GPUDevice{
		{Name: "Fake H200", CCMajor: 9, CCMinor: 0, TotalBytes: 1 << 34, FreeBytes: 1 << 30},
		{Name: "Fake L4", CCMajor: 8, CCMinor: 9, TotalBytes: 2 << 34, FreeBytes: 2 << 30},
	}
	for i, d := range g.Devices {
		if d != want[i] {
			t.Errorf("device %d = %+v, want %+v", i, d, want[i])
		}
	}
	c := checkGPU(DoctorInput{Backend: "auto"}, g)
	t.Logf("%s %s: %s", c.Name, c.Status, c.Detail)
	if c.Status != StatusOK {
		t.Errorf("%+v", c)
	}
}

func TestProbeGPU_NotADriver(t *testing.T) {
	g := probeGPU(func() (func(string) (uintptr, error), string, error) { return dlopenCUDA("libc.so.6") })
	if !g.Loaded || g.Err == "" || len(g.Devices) != 0 {
		t.Errorf("libc as a driver: %+v", g)
	}
}
