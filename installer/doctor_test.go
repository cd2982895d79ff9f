package installer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

type fakeListener struct{ net.Listener }

func (fakeListener) Close() error { return nil }

// healthy is a host where every check passes.
func healthy(t *testing.T) (DoctorInput, Probes) {
	in := DoctorInput{
		ConfigFile: "/etc/lingshu/lingshu.toml", DataDir: t.TempDir(), MinFreeMB: 1024,
		DICOMAddr: ":11112", HTTPAddr: ":8080", ModelPath: "/models/m.gguf", Backend: "auto",
	}
	p := Probes{
		DiskFree:  func(string) (uint64, error) { return 500 << 30, nil },
		Writable:  func(string) error { return nil },
		Listen:    func(string, string) (net.Listener, error) { return fakeListener{}, nil },
		PortOwner: func(int) PortOwner { return PortOwner{} },
		CPU: func() CPUInfo {
			return CPUInfo{Arch: "amd64", Cores: 8, Present: []string{"AVX2", "AVX-512F"}, Missing: []string{"AMX-TILE"}, Baseline: true}
		},
		Memory: func() (uint64, uint64, error) { return 64 << 30, 40 << 30, nil },
		GPU:    func() GPUInfo { return GPUInfo{Library: "libcuda.so.1", LoadErr: "not found"} },
		OpenModel: func(string, bool) (ModelInfo, error) {
			return ModelInfo{Format: "gguf", Files: []string{"/models/m.gguf"}, Bytes: 8 << 30, SHA256: "ab12"}, nil
		},
		Now:         func() time.Time { return time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC) },
		ClockSynced: func(context.Context) (bool, bool, string) { return true, true, "fake" },
	}
	return in, p
}

func byName(r Report, name string) Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

func TestDoctor_Healthy(t *testing.T) {
	in, p := healthy(t)
	r := Doctor(context.Background(), in, p)
	want := []string{"config", "data_dir", "disk_space", "dicom_port", "http_port", "cpu", "memory", "gpu", "model", "clock"}
	if len(r.Checks) != len(want) {
		t.Fatalf("checks %+v", r.Checks)
	}
	for i, c := range r.Checks {
		if c.Name != want[i] || c.Status != StatusOK || c.Detail == "" || c.Fix != "" {
			t.Errorf("check %d: %+v", i, c)
		}
	}
	if r.Failed() {
		t.Error("healthy host failed")
	}
	if d := byName(r, "gpu").Detail; !strings.Contains(d, "CPU backend will be used") {
		t.Errorf("gpu detail %q", d)
	}
}

func TestDoctor_Problems(t *testing.T) {
	addrInUse := &net.OpError{Op: "listen", Net: "tcp", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	tests := []struct {
		name   string
		edit   func(*DoctorInput, *Probes)
		check  string
		status Status
		detail string // substring of Detail
		fix    string // substring of Fix
	}{
		{"broken config names the key", func(in *DoctorInput, _ *Probes) {
			in.ConfigErr = errors.New("config key dicom.addr: \"11112\" is not HOST:PORT: missing port in address\nconfig key http.session_ttl: must be at least 1m, got 0s")
		}, "config", StatusFail, "config key dicom.addr", "fix dicom.addr, http.session_ttl"},
		{"unknown key", func(in *DoctorInput, _ *Probes) {
			in.ConfigErr = errors.New("config /etc/lingshu/lingshu.toml: unknown key(s): dicom.ae_titel")
		}, "config", StatusFail, "dicom.ae_titel", "unknown key(s) dicom.ae_titel"},
		{"toml syntax", func(in *DoctorInput, _ *Probes) {
			in.ConfigErr = errors.New("config x.toml: toml: line 3: expected '.' or '=', but got '\\n' instead")
		}, "config", StatusFail, "line 3", "TOML error"},
		{"dicom port busy names the owner", func(_ *DoctorInput, p *Probes) {
			p.Listen = func(_, addr string) (net.Listener, error) {
				if addr == ":11112" {
					return nil, addrInUse
				}
				return fakeListener{}, nil
			}
			p.PortOwner = func(int) PortOwner { return PortOwner{Name: "storescp", PID: 4242} }
		}, "dicom_port", StatusFail, "in use by storescp (pid 4242)", "change dicom.addr"},
		{"http port held by our service", func(_ *DoctorInput, p *Probes) {
			p.Listen = func(string, string) (net.Listener, error) { return nil, addrInUse }
			p.PortOwner = func(int) PortOwner { return PortOwner{Name: "lingshu", PID: 7, Self: true} }
		}, "http_port", StatusOK, "held by lingshu (pid 7)", ""},
		{"port held by an unknown process", func(_ *DoctorInput, p *Probes) {
			p.Listen = func(string, string) (net.Listener, error) { return nil, addrInUse }
		}, "http_port", StatusFail, "in use by another program", "http.addr"},
		{"low port without privilege", func(in *DoctorInput, p *Probes) {
			in.DICOMAddr = ":104"
			p.Listen = func(_, addr string) (net.Listener, error) {
				if addr == ":104" {
					return nil, &net.OpError{Op: "listen", Err: os.NewSyscallError("bind", syscall.EACCES)}
				}
				return fakeListener{}, nil
			}
		}, "dicom_port", StatusWarn, "port 104 needs privileges", "CAP_NET_BIND_SERVICE"},
		{"address not on this machine", func(in *DoctorInput, p *Probes) {
			in.HTTPAddr = "10.9.9.9:8080"
			p.Listen = func(string, string) (net.Listener, error) { return nil, errors.New("cannot assign requested address") }
		}, "http_port", StatusFail, "cannot listen on 10.9.9.9:8080", "address of this machine"},
		{"disk below min_free_mb", func(_ *DoctorInput, p *Probes) {
			p.DiskFree = func(string) (uint64, error) { return 500 << 20, nil }
		}, "disk_space", StatusFail, "500.0 MiB free", "free disk space"},
		{"disk below warning", func(_ *DoctorInput, p *Probes) {
			p.DiskFree = func(string) (uint64, error) { return 5 << 30, nil }
		}, "disk_space", StatusWarn, "below 10.0 GiB", "plan more disk"},
		{"data dir not writable", func(_ *DoctorInput, p *Probes) {
			p.Writable = func(string) error { return os.ErrPermission }
		}, "data_dir", StatusFail, "not writable", "chown -R lingshu:lingshu"},
		{"data dir missing", func(in *DoctorInput, _ *Probes) {
			in.DataDir = filepath.Join(in.DataDir, "a", "b")
		}, "data_dir", StatusWarn, "does not exist yet", "service install"},
		{"missing model", func(_ *DoctorInput, p *Probes) {
			p.OpenModel = func(string, bool) (ModelInfo, error) {
				return ModelInfo{}, fmt.Errorf("weights: open /models/m.gguf: %w", os.ErrNotExist)
			}
		}, "model", StatusFail, "file does not exist", "model.path"},
		{"no model configured", func(in *DoctorInput, _ *Probes) { in.ModelPath = "" }, "model", StatusWarn, "no model configured", "set model.path"},
		{"ram below 1.2x model", func(_ *DoctorInput, p *Probes) {
			p.Memory = func() (uint64, uint64, error) { return 9 << 30, 4 << 30, nil }
		}, "memory", StatusWarn, "needs about 9.6 GiB", "quantized"},
		{"no avx2", func(_ *DoctorInput, p *Probes) {
			p.CPU = func() CPUInfo { return CPUInfo{Arch: "amd64", Cores: 2, Missing: []string{"AVX2"}} }
		}, "cpu", StatusWarn, "no AVX2", "generic Go kernels"},
		{"cuda requested, no driver", func(in *DoctorInput, _ *Probes) { in.Backend = "cuda" },
			"gpu", StatusFail, "no GPU driver found", "install the NVIDIA driver"},
		{"driver without device", func(_ *DoctorInput, p *Probes) {
			p.GPU = func() GPUInfo {
				return GPUInfo{Library: "libcuda.so.1", Loaded: true, Err: "cuInit: CUDA_ERROR_NO_DEVICE"}
			}
		}, "gpu", StatusWarn, "CUDA_ERROR_NO_DEVICE", "nvidia-smi"},
		{"gpu found", func(_ *DoctorInput, p *Probes) {
			p.GPU = func() GPUInfo {
				return GPUInfo{Library: "libcuda.so.1", Loaded: true, DriverVersion: 12080,
					Devices: []GPUDevice{{Name: "NVIDIA H200", CCMajor: 9, TotalBytes: 141 << 30, FreeBytes: 140 << 30}}}
			}
		}, "gpu", StatusOK, "CUDA driver 12.8; 0: NVIDIA H200, compute 9.0, 141.0 GiB (140.0 GiB free)", ""},
		{"old gpu", func(_ *DoctorInput, p *Probes) {
			p.GPU = func() GPUInfo {
				return GPUInfo{Loaded: true, DriverVersion: 11040, Devices: []GPUDevice{{Name: "Tesla T4", CCMajor: 7, CCMinor: 5}}}
			}
		}, "gpu", StatusWarn, "compute 7.5", "8.0"},
		{"clock in 1970", func(_ *DoctorInput, p *Probes) { p.Now = func() time.Time { return time.Unix(0, 0) } },
			"clock", StatusFail, "1970", "enable NTP"},
		{"clock not synchronized", func(_ *DoctorInput, p *Probes) {
			p.ClockSynced = func(context.Context) (bool, bool, string) { return false, true, "timedatectl NTPSynchronized=no" }
		}, "clock", StatusWarn, "not synchronized", "set-ntp"},
		{"sync unknown", func(_ *DoctorInput, p *Probes) {
			p.ClockSynced = func(context.Context) (bool, bool, string) { return false, false, "no timedatectl" }
		}, "clock", StatusOK, "not checked (no timedatectl)", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, p := healthy(t)
			tc.edit(&in, &p)
			r := Doctor(context.Background(), in, p)
			c := byName(r, tc.check)
			if c.Status != tc.status || !strings.Contains(c.Detail, tc.detail) || !strings.Contains(c.Fix, tc.fix) {
				t.Errorf("%s = %+v\nwant status %s, detail ~ %q, fix ~ %q", tc.check, c, tc.status, tc.detail, tc.fix)
			}
			if tc.status != StatusOK && c.Fix == "" {
				t.Error("no fix for a problem")
			}
			if r.Failed() != (tc.status == StatusFail) {
				t.Errorf("Failed() = %v", r.Failed())
			}
		})
	}
}

func TestReport_Output(t *testing.T) {
	r := Report{Checks: []Check{
		{Name: "config", Status: StatusOK, Detail: "valid"},
		{Name: "disk_space", Status: StatusFail, Detail: "1 MiB free", Fix: "free disk space"},
	}}
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Checks []map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Checks) != 2 || back.Checks[1]["status"] != "fail" || back.Checks[1]["fix"] != "free disk space" || back.Checks[0]["name"] != "config" {
		t.Errorf("json %s", js.String())
	}
	if _, ok := back.Checks[0]["fix"]; ok {
		t.Error("empty fix serialised")
	}
	var tb bytes.Buffer
	if err := r.WriteTable(&tb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CHECK", "disk_space  fail    1 MiB free", "fix: free disk space", "2 checks: 1 ok, 0 warn, 1 fail"} {
		if !strings.Contains(tb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tb.String())
		}
	}
}

func TestDoctor_Interrupted(t *testing.T) {
	in, p := healthy(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := Doctor(ctx, in, p)
	if !r.Failed() || len(r.Checks) != 1 {
		t.Errorf("interrupted doctor: %+v", r.Checks)
	}
}

// fakeCUDA is a driver with the given devices.
func fakeCUDA(initResult int32, names []string) *cudaAPI {
	return &cudaAPI{
		Init:             func(uint32) int32 { return initResult },
		DriverGetVersion: func(v *int32) int32 { *v = 12080; return 0 },
		DeviceGetCount:   func(n *int32) int32 { *n = int32(len(names)); return 0 },
		DeviceGet:        func(d *int32, i int32) int32 { *d = i; return 0 },
		DeviceGetName: func(b *byte, n int32, d int32) int32 {
			copy(unsafeBytes(b, int(n)), names[d]+"\x00garbage")
			return 0
		},
		DeviceGetAttr: func(v *int32, attr, d int32) int32 {
			if attr == cuAttrCCMajor {
				*v = 9
			} else {
				*v = 0
			}
			return 0
		},
		DeviceTotalMem:    func(b *uint64, d int32) int32 { *b = 141 << 30; return 0 },
		PrimaryCtxRetain:  func(c *uintptr, d int32) int32 { *c = 1; return 0 },
		PrimaryCtxRelease: func(int32) int32 { return 0 },
		CtxSetCurrent:     func(uintptr) int32 { return 0 },
		MemGetInfo:        func(f, tot *uint64) int32 { *f, *tot = 100<<30, 141<<30; return 0 },
	}
}

func TestQueryCUDA(t *testing.T) {
	g := queryCUDA(fakeCUDA(0, []string{"NVIDIA H200", "NVIDIA L4"}), GPUInfo{Loaded: true})
	if g.Err != "" || g.DriverVersionString() != "12.8" || len(g.Devices) != 2 {
		t.Fatalf("%+v", g)
	}
	d := g.Devices[1]
	if d.Name != "NVIDIA L4" || d.CCMajor != 9 || d.TotalBytes != 141<<30 || d.FreeBytes != 100<<30 {
		t.Errorf("device %+v", d)
	}
	g = queryCUDA(fakeCUDA(100, nil), GPUInfo{Loaded: true})
	if g.Err != "cuInit: CUDA_ERROR_NO_DEVICE" || len(g.Devices) != 0 {
		t.Errorf("no device: %+v", g)
	}
	api := fakeCUDA(0, []string{"X"})
	api.MemGetInfo = nil
	if g := queryCUDA(api, GPUInfo{}); g.Devices[0].MemInfoError == "" || g.Devices[0].FreeBytes != 0 {
		t.Errorf("without cuMemGetInfo: %+v", g.Devices[0])
	}
}

// TestProbeGPU_ThisHost runs the real driver probe: on a machine without
// the NVIDIA driver it must say so, not fail.
func TestProbeGPU_ThisHost(t *testing.T) {
	g := ProbeGPU()
	t.Logf("%+v", g)
	if !g.Loaded && g.LoadErr == "" {
		t.Error("not loaded, no reason")
	}
	if g.Loaded {
		for _, d := range g.Devices {
			if d.Name == "" || d.TotalBytes == 0 {
				t.Errorf("device %+v", d)
			}
		}
	}
}

// TestDoctor_ThisHost runs every real probe on this machine with free
// ports and a temporary data dir: it must print every check and fail none.
func TestDoctor_ThisHost(t *testing.T) {
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	in := DoctorInput{DataDir: t.TempDir(), MinFreeMB: 1, DICOMAddr: free(), HTTPAddr: free(), Backend: "auto"}
	r := Doctor(context.Background(), in, SystemProbes())
	var b bytes.Buffer
	r.WriteTable(&b)
	t.Logf("\n%s", b.String())
	if len(r.Checks) != 10 {
		t.Errorf("%d checks", len(r.Checks))
	}
	for _, c := range r.Checks {
		if c.Status == StatusFail && c.Name != "disk_space" {
			t.Errorf("failed on this host: %+v", c)
		}
	}
}

// TestOpenModel_Real opens a checkpoint from model/weights' testdata
// through the real probe: size and sha256 must match the file.
func TestOpenModel_Real(t *testing.T) {
	path := filepath.Join("..", "model", "weights", "testdata", "seed.safetensors")
	st, err := os.Stat(path)
	if err != nil {
		t.Skip(err)
	}
	m, err := openModel(path, true)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := fmt.Sprintf("%x", sha256.Sum256(b))
	if m.Format != "safetensors" || m.Bytes != st.Size() || m.SHA256 != want || len(m.Files) != 1 {
		t.Errorf("%+v, want sha256 %s", m, want)
	}
	if m2, _ := openModel(path, false); m2.SHA256 != "" {
		t.Error("hashed although asked not to")
	}
	if _, err := openModel(filepath.Join(t.TempDir(), "missing.gguf"), true); err == nil {
		t.Error("missing model opened")
	}
}
