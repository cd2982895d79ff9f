package daemon_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon"
	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
	"github.com/lingshu-edge/lingshu/internal/golden"
	"github.com/lingshu-edge/lingshu/model/vlm"
)

// This file shows the draft pipeline end to end with the tiny random
// Qwen2.5-VL checkpoint from the golden set (its text is noise; what is
// checked is the plumbing, provenance and durability).

// tinyModel returns the tiny checkpoint's folder and the SHA-256 of its
// weights (skipping when the golden set is absent).
func tinyModel(t *testing.T) (dir, sha string) {
	t.Helper()
	dir = golden.Dir(t, "qwen25vl-tiny", "expected.json")
	var g struct {
		Model struct {
			SHA256 string `json:"safetensors_sha256"`
		} `json:"model"`
	}
	golden.ReadJSON(t, filepath.Join(dir, "expected.json"), &g)
	return dir, g.Model.SHA256
}

// buildLingshu builds ./cmd/lingshu into a temporary folder: the daemon's
// model runner is the same binary (`lingshu runner`), which a test binary
// is not.
func buildLingshu(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "lingshu")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", exe, "../cmd/lingshu")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/lingshu: %v\n%s", err, out)
	}
	return exe
}

// startModelDaemon is startDaemon with a model runner command; its logs
// (warnings up) go to stderr.
func startModelDaemon(t *testing.T, runner []string, mutate func(*daemon.Config)) *daemon.Daemon {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return startDaemonWith(t, daemon.Options{Runner: runner, Logger: log}, 20*time.Second, mutate)
}

type reportList struct {
	Items []store.Report `json:"items"`
}

type jobList struct {
	Items []store.Job `json:"items"`
}

// getJSON GETs base+path with the token and decodes a 200 answer.
func getJSON(t *testing.T, base, path, token string, out any) {
	t.Helper()
	body, status := httpGet(t, base+path, token)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

// waitFor polls cond every 100 ms until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDraft_OrthancForwardToAPIDraft is issue 5's path end to end: storescu
// sends a CT and a CR study to Orthanc, whose Lua rule forwards them to
// lingshu; each study becomes stable, the rule queues a draft, the runner
// child process writes it, and the REST API shows it with its provenance.
func TestDraft_OrthancForwardToAPIDraft(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Orthanc and a model runner; skipped with -short")
	}
	requireTool(t, "Orthanc", "storescu")
	modelDir, sha := tinyModel(t)
	exe := buildLingshu(t)
	ct := writePhantom(t, phantom.Options{Modality: "CT", Slices: 20, Seed: 51})
	cr := writePhantom(t, phantom.Options{Modality: "CR", Seed: 52})
	d := startModelDaemon(t, []string{exe, "runner"}, func(c *daemon.Config) {
		c.Model.Path, c.Model.Backend = modelDir, "cpu"
		c.Store.StableAfter = daemon.Duration{Duration: time.Second}
		c.Drafts.MaxTokens = 12
		c.Drafts.KeyImages = 3
	})
	_, lport := hostPort(t, d.DICOMAddr().String())
	orthancDICOM, _ := startOrthanc(t, lport)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	files := append(slices.Clone(ct), cr...)
	args := append([]string{"-aet", "MODALITY", "-aec", "ORTHANC", "127.0.0.1", strconv.Itoa(orthancDICOM)}, files...)
	if out, err := runPeer(ctx, "storescu", args...); err != nil {
		t.Fatalf("storescu to Orthanc failed: %v\n%s", err, out)
	}
	base := "http://" + d.HTTPAddr().String() + "/api/v1"
	token := login(t, base, "admin", adminPassword)
	for _, set := range []struct {
		name     string
		files    []string
		modality string
		images   int
	}{{"CT", ct, "CT", 3}, {"CR", cr, "CR", 1}} {
		sum := readSummary(t, set.files[0])
		sent := map[string]bool{}
		for _, f := range set.files {
			sent[readSummary(t, f).SOPInstanceUID] = true
		}
		var reps reportList
		waitFor(t, 2*time.Minute, set.name+" draft in the API", func() bool {
			getJSON(t, base, "/studies/"+sum.StudyInstanceUID+"/reports", token, &reps)
			return len(reps.Items) > 0
		})
		r := reps.Items[0]
		p := r.Provenance
		if len(reps.Items) != 1 || r.Version != 1 || r.Kind != store.ReportAIDraft || r.Status != store.ReportStatusDraft ||
			r.Author != "ai" || p == nil {
			t.Fatalf("%s: reports %+v", set.name, reps.Items)
		}
		if p.ModelHash != sha || p.Backend != "cpu" || p.PromptVersion != vlm.ReportPromptVersion ||
			p.Prompt != vlm.ReportPrompt([]string{set.modality}, sum.BodyPartExamined, set.images) || p.MaxTokens != 12 ||
			p.Trigger != store.TriggerStudyStable || p.JobID == "" {
			t.Errorf("%s: provenance %+v (want model hash %s)", set.name, p, sha)
		}
		if len(p.SOPInstanceUIDs) != set.images || len(p.Frames) != set.images {
			t.Errorf("%s: key images %v frames %v, want %d", set.name, p.SOPInstanceUIDs, p.Frames, set.images)
		}
		for _, uid := range p.SOPInstanceUIDs {
			if !sent[uid] {
				t.Errorf("%s: key image %s was not sent", set.name, uid)
			}
		}
		for _, k := range []string{"render", "queue", "prefill", "decode", "total"} {
			if _, ok := p.TimingsMS[k]; !ok {
				t.Errorf("%s: timings_ms lacks %s: %v", set.name, k, p.TimingsMS)
			}
		}
		var jobs jobList
		getJSON(t, base, "/jobs?study_uid="+sum.StudyInstanceUID, token, &jobs)
		if len(jobs.Items) != 1 || jobs.Items[0].State != store.JobDone || jobs.Items[0].ReportVersion != 1 || jobs.Items[0].ID != p.JobID {
			t.Errorf("%s: jobs %+v", set.name, jobs.Items)
		}
		var study struct {
			AIStatus string `json:"ai_status"`
		}
		getJSON(t, base, "/studies/"+sum.StudyInstanceUID, token, &study)
		if study.AIStatus != store.AIDraftReady {
			t.Errorf("%s: ai_status %q, want draft_ready", set.name, study.AIStatus)
		}
		t.Logf("%s: draft %q after %.1f s from the first send; timings_ms %v", set.name, r.Text,
			time.Since(start).Seconds(), p.TimingsMS)
	}

	// A draft on demand (POST .../reports {}) is a new version; the first
	// one stays as it was.
	uid := readSummary(t, cr[0]).StudyInstanceUID
	job := requestDraft(t, base, uid, token)
	if job.Trigger != store.TriggerOnDemand || job.RequestedBy != "admin" {
		t.Fatalf("on-demand job %+v", job)
	}
	var reps reportList
	waitFor(t, time.Minute, "on-demand draft", func() bool {
		getJSON(t, base, "/studies/"+uid+"/reports", token, &reps)
		return len(reps.Items) == 2
	})
	if p := reps.Items[1].Provenance; reps.Items[1].Version != 2 || p == nil || p.JobID != job.ID || p.Trigger != store.TriggerOnDemand ||
		reps.Items[0].Provenance.Trigger != store.TriggerStudyStable {
		t.Fatalf("reports after the on-demand draft: %+v", reps.Items)
	}
	metrics, status := httpGet(t, "http://"+d.HTTPAddr().String()+"/metrics", "")
	if want := `lingshu_draft_attempts_total{result="done"} 3`; status != http.StatusOK || !strings.Contains(string(metrics), want) {
		t.Errorf("/metrics (%d) lacks %s", status, want)
	}
}

// requestDraft POSTs {} to a study's reports and returns the queued job.
func requestDraft(t *testing.T, base, uid, token string) store.Job {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/studies/"+uid+"/reports", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Job store.Job `json:"job"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST reports: %d %v", resp.StatusCode, err)
	}
	return out.Job
}

func readSummary(t *testing.T, file string) *dicom.Summary {
	t.Helper()
	f, err := dicom.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return f.Summary
}

// firstWords is the first n words of s, for logging model text.
func firstWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}
