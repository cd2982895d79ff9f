package installer

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/mem"
	psnet "github.com/shirou/gopsutil/v3/net"

	"github.com/lingshu-edge/lingshu/model/weights"
)

// Probes are how the doctor looks at the host. Tests replace any of them
// (a busy port, a full disk, a missing model); nil fields get the real
// probes of SystemProbes.
type Probes struct {
	DiskFree    func(path string) (uint64, error)
	Writable    func(dir string) error
	Listen      func(network, addr string) (net.Listener, error)
	PortOwner   func(port int) PortOwner
	CPU         func() CPUInfo
	Memory      func() (total, available uint64, err error)
	GPU         func() GPUInfo
	OpenModel   func(path string, hash bool) (ModelInfo, error)
	Now         func() time.Time
	ClockSynced func(ctx context.Context) (synced, known bool, how string)
}

// SystemProbes are the real probes of this host.
func SystemProbes() Probes {
	var p Probes
	p.fill()
	return p
}

func (p *Probes) fill() {
	if p.DiskFree == nil {
		p.DiskFree = diskFree
	}
	if p.Writable == nil {
		p.Writable = fileWritable
	}
	if p.Listen == nil {
		p.Listen = net.Listen
	}
	if p.PortOwner == nil {
		p.PortOwner = portOwner
	}
	if p.CPU == nil {
		p.CPU = probeCPU
	}
	if p.Memory == nil {
		p.Memory = memory
	}
	if p.GPU == nil {
		p.GPU = ProbeGPU
	}
	if p.OpenModel == nil {
		p.OpenModel = openModel
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.ClockSynced == nil {
		p.ClockSynced = clockSynced
	}
}

func diskFree(path string) (uint64, error) {
	u, err := disk.Usage(path)
	if err != nil {
		return 0, fmt.Errorf("installer: disk usage of %s: %w", path, err)
	}
	return u.Free, nil
}

func memory() (uint64, uint64, error) {
	v, err := mem.VirtualMemory()
	if err != nil {
		return 0, 0, fmt.Errorf("installer: memory: %w", err)
	}
	return v.Total, v.Available, nil
}

// PortOwner is the process listening on a port, when it can be found
// (other users' processes need root to see).
type PortOwner struct {
	Name string
	PID  int32
	Self bool // the process is a lingshu
}

func (o PortOwner) String() string {
	if o.Name == "" {
		return "an unknown process"
	}
	return fmt.Sprintf("%s (pid %d)", o.Name, o.PID)
}

func portOwner(port int) PortOwner {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conns, err := psnet.ConnectionsWithContext(ctx, "tcp")
	if err != nil {
		return PortOwner{}
	}
	for _, c := range conns {
		if c.Status != "LISTEN" || int(c.Laddr.Port) != port || c.Pid == 0 {
			continue
		}
		o := PortOwner{PID: c.Pid}
		o.Name = processName(c.Pid)
		if o.Name == "" {
			o.Name = "pid " + fmt.Sprint(c.Pid)
		}
		base := strings.TrimSuffix(strings.ToLower(o.Name), ".exe")
		o.Self = base == "lingshu" || c.Pid == int32(os.Getpid())
		return o
	}
	return PortOwner{}
}

// openModel opens the checkpoint (which checks its headers and files),
// sums the weight files and, when asked, hashes them.
func openModel(path string, hash bool) (ModelInfo, error) {
	ck, err := weights.Open(path)
	if err != nil {
		return ModelInfo{}, err
	}
	defer ck.Close()
	m := ModelInfo{Format: ck.Format, Files: ck.Files()}
	for _, f := range m.Files {
		st, err := os.Stat(f)
		if err != nil {
			return m, fmt.Errorf("installer: model file: %w", err)
		}
		m.Bytes += st.Size()
	}
	if hash {
		if m.SHA256, err = ck.Hash(); err != nil {
			return m, fmt.Errorf("installer: hash model: %w", err)
		}
	}
	return m, nil
}

// clockSynced asks systemd-timesyncd/chrony through timedatectl when it
// is there.
func clockSynced(ctx context.Context) (bool, bool, string) {
	path, err := exec.LookPath("timedatectl")
	if err != nil {
		return false, false, "no timedatectl on " + runtime.GOOS
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "show", "-p", "NTPSynchronized", "--value").Output()
	if err != nil {
		return false, false, "timedatectl unavailable: " + strings.TrimSpace(err.Error())
	}
	switch strings.TrimSpace(string(out)) {
	case "yes":
		return true, true, "timedatectl NTPSynchronized=yes"
	case "no":
		return false, true, "timedatectl NTPSynchronized=no"
	}
	return false, false, fmt.Sprintf("timedatectl answered %q", strings.TrimSpace(string(out)))
}
