//go:build unix

package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// serveProc is one `lingshu serve` process (in its own process group,
// with its runner child) and its log.
type serveProc struct {
	cmd  *exec.Cmd
	log  string
	base string // http://host:port/api/v1
}

// startServe runs the built binary as `lingshu serve` and waits until its
// health endpoint answers.
func startServe(t *testing.T, exe, logName string, args ...string) *serveProc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), logName)
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), "LINGSHU_ADMIN_PASSWORD="+adminPassword)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := &serveProc{cmd: cmd, log: logPath}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever is left of the group
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s:\n%s", logName, b)
		}
	})
	for _, a := range args {
		if strings.HasPrefix(a, "--http-addr=") {
			p.base = "http://" + strings.TrimPrefix(a, "--http-addr=") + "/api/v1"
		}
	}
	waitFor(t, time.Minute, "serve health", func() bool {
		resp, err := http.Get(p.base + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

func (p *serveProc) logText(t *testing.T) string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var runnerPIDRe = regexp.MustCompile(`runner started[^\n]*?runner_pid=(\d+)`)

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil && !errors.Is(err, os.ErrNotExist)
	}
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// TestDraft_SIGKILLDuringDraftGivesOneDraft is the durability contract for
// jobs: `lingshu serve` is killed with SIGKILL while a draft job runs; after
// a restart the job runs again and the study has exactly one AI draft.
func TestDraft_SIGKILLDuringDraftGivesOneDraft(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lingshu and runs it twice with a model; skipped with -short")
	}
	requireTool(t, "storescu")
	modelDir, _ := tinyModel(t)
	exe := buildLingshu(t)
	data := t.TempDir()
	cfgFile := filepath.Join(t.TempDir(), "lingshu.toml")
	// Long drafts (a thousand tokens) so that the kill lands inside one.
	writeTestFile(t, cfgFile, "[store]\nstable_after = \"1s\"\nmin_free_mb = 0\n[drafts]\nmax_tokens = 1200\nkey_images = 4\n[log]\nlevel = \"info\"\n")
	dicomPort, httpPort := freePort(t), freePort(t)
	args := []string{"--config", cfgFile, "--data", data, "--model", modelDir, "--backend", "cpu",
		fmt.Sprintf("--dicom-addr=127.0.0.1:%d", dicomPort), fmt.Sprintf("--http-addr=127.0.0.1:%d", httpPort)}

	first := startServe(t, exe, "serve-1.log", args...)
	files := writePhantom(t, phantom.Options{Modality: "CT", Slices: 12, Seed: 61})
	uid := readSummary(t, files[0]).StudyInstanceUID
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := runPeer(ctx, "storescu", append([]string{"-aet", "PACS", "-aec", "LINGSHU", "127.0.0.1", strconv.Itoa(dicomPort)}, files...)...); err != nil {
		t.Fatalf("storescu: %v\n%s", err, out)
	}
	token := login(t, first.base, "admin", adminPassword)
	var running jobList
	waitFor(t, time.Minute, "draft job running", func() bool {
		getJSON(t, first.base, "/jobs?state=running&study_uid="+uid, token, &running)
		return len(running.Items) == 1
	})
	// Let the runner load the model and start generating.
	waitFor(t, time.Minute, "model loaded", func() bool { return strings.Contains(first.logText(t), "model ready") })
	time.Sleep(time.Second)
	getJSON(t, first.base, "/jobs?study_uid="+uid, token, &running)
	if len(running.Items) != 1 || running.Items[0].State != store.JobRunning {
		t.Fatalf("the draft was not running at the kill: %+v (make drafts.max_tokens larger)", running.Items)
	}
	m := runnerPIDRe.FindStringSubmatch(first.logText(t))
	if m == nil {
		t.Fatalf("no runner pid in the log")
	}
	runnerPID, _ := strconv.Atoi(m[1])

	// SIGKILL the daemon alone first: its runner must not outlive it for
	// long (its stdin closes); then the rest of the group, as a power cut.
	killed := time.Now()
	if err := syscall.Kill(first.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.cmd.Wait()
	for alive(runnerPID) && time.Since(killed) < 30*time.Second {
		time.Sleep(50 * time.Millisecond)
	}
	orphan := time.Since(killed)
	if alive(runnerPID) {
		t.Errorf("runner %d still alive %.1f s after its parent was killed", runnerPID, orphan.Seconds())
	}
	syscall.Kill(-first.cmd.Process.Pid, syscall.SIGKILL)
	t.Logf("runner exited %.0f ms after the daemon was SIGKILLed", float64(orphan.Microseconds())/1000)

	restart := time.Now()
	second := startServe(t, exe, "serve-2.log", args...)
	token = login(t, second.base, "admin", adminPassword)
	var jobs jobList
	waitFor(t, 3*time.Minute, "draft job done after restart", func() bool {
		getJSON(t, second.base, "/jobs?study_uid="+uid, token, &jobs)
		return len(jobs.Items) == 1 && (jobs.Items[0].State == store.JobDone || jobs.Items[0].State == store.JobFailed)
	})
	took := time.Since(restart)
	time.Sleep(2 * time.Second) // nothing else may follow
	getJSON(t, second.base, "/jobs?study_uid="+uid, token, &jobs)
	var reps reportList
	getJSON(t, second.base, "/studies/"+uid+"/reports", token, &reps)
	if len(jobs.Items) != 1 || jobs.Items[0].State != store.JobDone || jobs.Items[0].Attempts < 2 || jobs.Items[0].ReportVersion != 1 {
		t.Fatalf("jobs after restart %+v, want one done job with attempts >= 2", jobs.Items)
	}
	drafts := 0
	for _, r := range reps.Items {
		if r.Kind == store.ReportAIDraft {
			drafts++
		}
	}
	if drafts != 1 || len(reps.Items) != 1 || reps.Items[0].Provenance == nil || reps.Items[0].Provenance.JobID != jobs.Items[0].ID {
		t.Fatalf("reports after restart %+v, want exactly one AI draft", reps.Items)
	}
	t.Logf("after restart: job %s done in %.1f s, attempts %d, text starts %q", jobs.Items[0].ID, took.Seconds(),
		jobs.Items[0].Attempts, firstWords(reps.Items[0].Text, 5))

	// A clean stop ends the process (and its runner) in bounded time.
	stopAt := time.Now()
	second.cmd.Process.Signal(syscall.SIGTERM)
	waited := make(chan error, 1)
	go func() { waited <- second.cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("serve did not stop within 40 s of SIGTERM")
	}
	t.Logf("SIGTERM → exit in %.0f ms", float64(time.Since(stopAt).Microseconds())/1000)
}
