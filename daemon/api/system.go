package api

import (
	"runtime"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/load"
	"github.com/shirou/gopsutil/v3/mem"

	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/store"
)

type systemResponse struct {
	Version string       `json:"version"`
	UptimeS int64        `json:"uptime_s"`
	CPU     cpuInfo      `json:"cpu"`
	Memory  memInfo      `json:"memory"`
	Disk    diskInfo     `json:"disk"`
	Model   infer.Status `json:"model"`
	Queue   queueInfo    `json:"queue"`
	Process processInfo  `json:"process"`
	// Errors names the figures that could not be read (they are zero).
	Errors []string `json:"errors,omitempty"`
}

type cpuInfo struct {
	LogicalCores int `json:"logical_cores"`
	// UsedPercent: busy time of all cores since the previous GET /system
	// (since boot on the first).
	UsedPercent float64 `json:"used_percent"`
	Load1       float64 `json:"load1"`
	Load5       float64 `json:"load5"`
	Load15      float64 `json:"load15"`
}

type memInfo struct {
	TotalBytes     uint64  `json:"total_bytes"`
	AvailableBytes uint64  `json:"available_bytes"`
	UsedPercent    float64 `json:"used_percent"`
}

type diskInfo struct {
	Path        string  `json:"path"` // the data directory
	TotalBytes  uint64  `json:"total_bytes"`
	FreeBytes   uint64  `json:"free_bytes"`
	UsedPercent float64 `json:"used_percent"`
}

type queueInfo struct {
	InferQueued  int `json:"infer_queued"`
	InferRunning int `json:"infer_running"`
	JobsQueued   int `json:"jobs_queued"`
	JobsRunning  int `json:"jobs_running"`
}

type processInfo struct {
	Goroutines int    `json:"goroutines"`
	HeapBytes  uint64 `json:"heap_bytes"`
}

// system: GET /api/v1/system (admin) → version, uptime, host CPU, memory
// and the data directory's disk (gopsutil), the model's state and the
// queues. Shows no patient data.
func (s *Server) system(c *fiber.Ctx) error {
	out := systemResponse{Version: s.cfg.Version, UptimeS: s.uptime()}
	fail := func(what string, err error) {
		s.log.Warn("system figures", "what", what, "err", err)
		out.Errors = append(out.Errors, what)
	}
	if n, err := cpu.Counts(true); err == nil {
		out.CPU.LogicalCores = n
	} else {
		fail("cpu_count", err)
	}
	if p, err := s.cpu.sample(); err == nil {
		out.CPU.UsedPercent = p
	} else {
		fail("cpu_percent", err)
	}
	if l, err := load.Avg(); err == nil {
		out.CPU.Load1, out.CPU.Load5, out.CPU.Load15 = l.Load1, l.Load5, l.Load15
	} else {
		fail("load", err)
	}
	if m, err := mem.VirtualMemory(); err == nil {
		out.Memory = memInfo{TotalBytes: m.Total, AvailableBytes: m.Available, UsedPercent: m.UsedPercent}
	} else {
		fail("memory", err)
	}
	out.Disk.Path = s.st.Dir()
	if d, err := disk.Usage(s.st.Dir()); err == nil {
		out.Disk.TotalBytes, out.Disk.FreeBytes, out.Disk.UsedPercent = d.Total, d.Free, d.UsedPercent
	} else {
		fail("disk", err)
	}
	if s.cfg.Infer != nil {
		out.Model = s.cfg.Infer.Status()
	} else {
		out.Model = infer.Status{State: infer.StateDisabled}
	}
	out.Queue.InferQueued, out.Queue.InferRunning = out.Model.Queued, out.Model.Running
	var err error
	if out.Queue.JobsQueued, err = s.countJobs(store.JobQueued); err != nil {
		fail("jobs_queued", err)
	}
	if out.Queue.JobsRunning, err = s.countJobs(store.JobRunning); err != nil {
		fail("jobs_running", err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out.Process = processInfo{Goroutines: runtime.NumGoroutine(), HeapBytes: ms.HeapAlloc}
	return c.JSON(out)
}

// countJobs counts jobs in a state (at most 100 pages).
func (s *Server) countJobs(state string) (int, error) {
	n, cursor := 0, ""
	for range 100 {
		jobs, next, err := s.st.ListJobs(store.JobFilter{State: state}, store.MaxLimit, cursor)
		if err != nil {
			return n, err
		}
		n += len(jobs)
		if next == "" {
			break
		}
		cursor = next
	}
	return n, nil
}

// cpuSampler measures CPU use between successive samples.
type cpuSampler struct {
	mu   sync.Mutex
	last *cpu.TimesStat
}

func (cs *cpuSampler) sample() (float64, error) {
	ts, err := cpu.Times(false)
	if err != nil || len(ts) == 0 {
		return 0, err
	}
	cur := ts[0]
	cs.mu.Lock()
	prev := cs.last
	cs.last = &cur
	cs.mu.Unlock()
	busy := func(t cpu.TimesStat) (float64, float64) {
		total := t.User + t.System + t.Idle + t.Nice + t.Iowait + t.Irq + t.Softirq + t.Steal
		return total - t.Idle - t.Iowait, total
	}
	b1, t1 := busy(cur)
	if prev != nil {
		b0, t0 := busy(*prev)
		b1, t1 = b1-b0, t1-t0
	}
	if t1 <= 0 {
		return 0, nil
	}
	return min(100, max(0, 100*b1/t1)), nil
}
