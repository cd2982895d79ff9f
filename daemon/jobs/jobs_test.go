package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
	"github.com/lingshu-edge/lingshu/model/vlm"
)

// fakeEngine answers every request with a fixed text; fail makes the next
// n calls fail; block makes calls wait until released or cancelled.
type fakeEngine struct {
	mu    sync.Mutex
	reqs  []infer.Request
	fail  int
	block chan struct{}
	calls chan struct{}
}

func newFake() *fakeEngine { return &fakeEngine{calls: make(chan struct{}, 100)} }

func (f *fakeEngine) Do(ctx context.Context, req infer.Request, onToken func(infer.Token) error) (*infer.Result, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	fail := f.fail > 0
	if fail {
		f.fail--
	}
	block := f.block
	f.mu.Unlock()
	f.calls <- struct{}{}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail {
		return nil, fmt.Errorf("fake: %w", infer.ErrRunnerDied)
	}
	onToken(infer.Token{ID: 1, Text: "FINDINGS"})
	return &infer.Result{Text: fmt.Sprintf("FINDINGS: %d images.", len(req.Images)), Stop: "eos", ModelHash: "hash123",
		ModelPath: "/models/tiny", Backend: "cpu", TimingsMS: map[string]float64{"prefill": 3, "total": 9}}, nil
}

func (f *fakeEngine) requests() []infer.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]infer.Request(nil), f.reqs...)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T, dir string, stable time.Duration) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{StableAfter: stable, BcryptCost: 4, Logger: quiet(),
		FreeSpace: func(string) (int64, error) { return 1 << 40, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// putStudy stores a phantom study as if sent by AE sender.
func putStudy(t *testing.T, st *store.Store, opts phantom.Options, sender string) *phantom.Study {
	t.Helper()
	ps, err := phantom.NewStudy(opts, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range ps.Instances {
		_, err := st.PutInstance(context.Background(), store.Incoming{
			Meta: dicom.FileMeta{MediaStorageSOPClassUID: in.SOPClassUID, MediaStorageSOPInstanceUID: in.SOPInstanceUID,
				TransferSyntaxUID: in.TransferSyntaxUID, SourceApplicationEntityTitle: sender},
			Dataset: in.Dataset, SenderAE: sender})
		if err != nil {
			t.Fatal(err)
		}
	}
	return ps
}

func startQueue(t *testing.T, st *store.Store, eng Inferer, cfg Config) *Queue {
	t.Helper()
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = time.Millisecond
	}
	q := New(st, eng, cfg, quiet())
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Error(err)
		}
	})
	return q
}

// waitJob polls until the job reaches one of the states.
func waitJob(t *testing.T, st *store.Store, id string, states ...string) store.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := st.GetJob(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if j.State == s {
				return j
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %+v never reached %v", j, states)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitJobs polls until the study has n jobs, all finished.
func waitJobs(t *testing.T, st *store.Store, study string, n int) []store.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		js, _, err := st.ListJobs(store.JobFilter{StudyUID: study}, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		done := len(js) == n
		for _, j := range js {
			done = done && (j.State == store.JobDone || j.State == store.JobFailed)
		}
		if done {
			return js
		}
		if time.Now().After(deadline) {
			t.Fatalf("study jobs %+v, want %d finished", js, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRequestDraft_CTKeySlicesAndProvenance(t *testing.T) {
	st := openStore(t, t.TempDir(), time.Hour)
	ct := putStudy(t, st, phantom.Options{Modality: "CT", Slices: 12, Seed: 1}, "MODALITY")
	eng := newFake()
	q := startQueue(t, st, eng, Config{KeyImages: 3, MaxTokens: 32, Seed: 7})
	j, err := q.RequestDraft(context.Background(), ct.StudyInstanceUID, "dr.wu")
	if err != nil || j.Trigger != store.TriggerOnDemand || j.RequestedBy != "dr.wu" {
		t.Fatalf("request: %+v %v", j, err)
	}
	j = waitJob(t, st, j.ID, store.JobDone, store.JobFailed)
	if j.State != store.JobDone || j.ReportVersion != 1 || j.Attempts != 1 {
		t.Fatalf("job %+v", j)
	}
	r, err := st.GetReport(ct.StudyInstanceUID, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Provenance
	if r.Kind != store.ReportAIDraft || r.Author != "ai" || r.Text != "FINDINGS: 3 images." || p == nil {
		t.Fatalf("report %+v", r)
	}
	// 12 slices, 3 evenly spaced: indices 2, 6, 10 (instance numbers 3, 7, 11).
	want := []string{ct.Instances[2].SOPInstanceUID, ct.Instances[6].SOPInstanceUID, ct.Instances[10].SOPInstanceUID}
	if strings.Join(p.SOPInstanceUIDs, ",") != strings.Join(want, ",") || len(p.Frames) != 3 {
		t.Errorf("key images %v frames %v, want %v", p.SOPInstanceUIDs, p.Frames, want)
	}
	if p.ModelHash != "hash123" || p.ModelPath != "/models/tiny" || p.Backend != "cpu" || p.PromptVersion != vlm.ReportPromptVersion ||
		p.Prompt != vlm.ReportPrompt([]string{"CT"}, "CHEST", 3) || p.MaxTokens != 32 || p.Seed != 7 || p.JobID != j.ID ||
		p.Trigger != store.TriggerOnDemand {
		t.Errorf("provenance %+v", p)
	}
	if p.TimingsMS["render"] <= 0 || p.TimingsMS["prefill"] != 3 || p.TimingsMS["job_total"] < p.TimingsMS["render"] {
		t.Errorf("timings %v", p.TimingsMS)
	}
	reqs := eng.requests()
	if len(reqs) != 1 || reqs[0].Priority != infer.Background || len(reqs[0].Images) != 3 || reqs[0].MaxTokens != 32 {
		t.Fatalf("engine requests %+v", reqs)
	}
	if b := reqs[0].Images[0].Bounds(); b.Dx() == 0 || b.Dx() > DefaultRenderMaxSize {
		t.Errorf("rendered image %v", b)
	}
	if _, err := q.RequestDraft(context.Background(), "9.9.9", "dr.wu"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown study: %v", err)
	}
}

func TestRules_StableStudyDraftedThenLateArrivalRedrafted(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir, 100*time.Millisecond)
	eng := newFake()
	startQueue(t, st, eng, Config{Enabled: true, Rules: []Rule{{Name: "chest-x-ray", Modalities: []string{"cr", "DX"}}}})
	cr := putStudy(t, st, phantom.Options{Modality: "CR", Seed: 2}, "MODALITY")
	ct := putStudy(t, st, phantom.Options{Modality: "CT", Slices: 4, Seed: 3}, "MODALITY") // no rule for CT
	js := waitJobs(t, st, cr.StudyInstanceUID, 1)
	if js[0].Trigger != store.TriggerStudyStable || js[0].RequestedBy != "rule:chest-x-ray" || js[0].State != store.JobDone {
		t.Fatalf("job %+v", js[0])
	}
	// Late instance: the study changes, becomes stable again, and gets a
	// second draft as version 2; version 1 stays.
	late, err := phantom.NewStudy(phantom.Options{Modality: "CR", Seed: 2}, 0)
	if err != nil {
		t.Fatal(err)
	}
	putRenamed(t, st, late.Instances[0], late.Instances[0].SOPInstanceUID+".9")
	js = waitJobs(t, st, cr.StudyInstanceUID, 2)
	if js[0].Trigger != store.TriggerLateArrival {
		t.Fatalf("second job %+v", js[0])
	}
	reps, _ := st.ListReports(cr.StudyInstanceUID)
	if len(reps) != 2 || reps[0].Version != 1 || reps[1].Version != 2 {
		t.Fatalf("reports %+v", reps)
	}
	if ctJobs, _, _ := st.ListJobs(store.JobFilter{StudyUID: ct.StudyInstanceUID}, 0, ""); len(ctJobs) != 0 {
		t.Errorf("CT study drafted without a rule: %+v", ctJobs)
	}
}

// putRenamed stores a copy of a phantom instance under a new SOP Instance
// UID (the dataset keeps the old UID inside; the index keys by the meta).
func putRenamed(t *testing.T, st *store.Store, in phantom.Instance, uid string) {
	t.Helper()
	sum, err := dicom.ParseSummary(in.Dataset, in.TransferSyntaxUID)
	if err != nil {
		t.Fatal(err)
	}
	sum.SOPInstanceUID = uid
	sum.InstanceNumber = "99"
	_, err = st.PutInstance(context.Background(), store.Incoming{
		Meta: dicom.FileMeta{MediaStorageSOPClassUID: in.SOPClassUID, MediaStorageSOPInstanceUID: uid,
			TransferSyntaxUID: in.TransferSyntaxUID}, Dataset: in.Dataset, Summary: sum, SenderAE: "MODALITY"})
	if err != nil {
		t.Fatal(err)
	}
}

// waitHandled waits until the rule loop has handled the study_stable event
// of a study.
func waitHandled(t *testing.T, st *store.Store, study string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := st.EventsSince(0, store.MaxLimit)
		if err != nil {
			t.Fatal(err)
		}
		cursor, _, _ := st.EventCursor(ConsumerName)
		for _, ev := range evs {
			if ev.Type == store.StudyStable && ev.StudyUID == study && ev.Seq <= cursor {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("stable event of %s not handled (cursor %d)", study, cursor)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRules_SenderAEAndNoRuleMatch(t *testing.T) {
	st := openStore(t, t.TempDir(), 100*time.Millisecond)
	startQueue(t, st, newFake(), Config{Enabled: true, Rules: []Rule{{Name: "ed", SenderAEs: []string{"ED_CR"}}}})
	a := putStudy(t, st, phantom.Options{Modality: "DX", Seed: 4}, "ED_CR")
	b := putStudy(t, st, phantom.Options{Modality: "DX", Seed: 5}, "WARD_CR")
	waitJobs(t, st, a.StudyInstanceUID, 1)
	waitHandled(t, st, b.StudyInstanceUID) // b became stable too; no rule matched it
	if js, _, _ := st.ListJobs(store.JobFilter{StudyUID: b.StudyInstanceUID}, 0, ""); len(js) != 0 {
		t.Fatalf("study from WARD_CR drafted: %+v", js)
	}
	if s, _ := st.AIStatus(a.StudyInstanceUID, b.StudyInstanceUID); s[a.StudyInstanceUID] != store.AIDraftReady || s[b.StudyInstanceUID] != store.AINone {
		t.Errorf("ai status %v", s)
	}
}

// TestRules_NoEventLostAcrossRestart: a study that becomes stable while
// the queue is down is drafted after it starts again (the cursor is in
// the store), and events handled before are not handled twice.
func TestRules_NoEventLostAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir, 100*time.Millisecond)
	eng := newFake()
	q := New(st, eng, Config{Enabled: true, PollInterval: 50 * time.Millisecond}, quiet())
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := putStudy(t, st, phantom.Options{Modality: "CR", Seed: 6}, "M")
	waitJobs(t, st, a.StudyInstanceUID, 1)
	if err := q.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := putStudy(t, st, phantom.Options{Modality: "CR", Seed: 7}, "M")
	deadline := time.Now().Add(5 * time.Second)
	for s, _ := st.Study(b.StudyInstanceUID); !s.Stable; s, _ = st.Study(b.StudyInstanceUID) {
		if time.Now().After(deadline) {
			t.Fatal("study never stable")
		}
		time.Sleep(20 * time.Millisecond)
	}
	startQueue(t, st, eng, Config{Enabled: true})
	waitJobs(t, st, b.StudyInstanceUID, 1)
	time.Sleep(200 * time.Millisecond)
	if js, _, _ := st.ListJobs(store.JobFilter{StudyUID: a.StudyInstanceUID}, 0, ""); len(js) != 1 {
		t.Fatalf("study a has %d jobs after restart, want 1", len(js))
	}
}

func TestRetryThenFail(t *testing.T) {
	st := openStore(t, t.TempDir(), time.Hour)
	cr := putStudy(t, st, phantom.Options{Modality: "CR", Seed: 8}, "M")
	eng := newFake()
	eng.fail = 1
	q := startQueue(t, st, eng, Config{MaxAttempts: 2})
	j, _ := q.RequestDraft(context.Background(), cr.StudyInstanceUID, "u")
	j = waitJob(t, st, j.ID, store.JobDone, store.JobFailed)
	if j.State != store.JobDone || j.Attempts != 2 {
		t.Fatalf("one failure then success: %+v", j)
	}
	eng.mu.Lock()
	eng.fail = 5
	eng.mu.Unlock()
	j, _ = q.RequestDraft(context.Background(), cr.StudyInstanceUID, "u")
	j = waitJob(t, st, j.ID, store.JobDone, store.JobFailed)
	if j.State != store.JobFailed || j.Attempts != 2 || !strings.Contains(j.Error, "runner died") {
		t.Fatalf("bounded retries: %+v", j)
	}
	if reps, _ := st.ListReports(cr.StudyInstanceUID); len(reps) != 1 {
		t.Fatalf("reports %+v", reps)
	}
	if s := q.Stats(); s.Done != 1 || s.Retried != 2 || s.Failed != 1 || s.DraftSecs <= 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestStop_RequeuesRunningJob: a draft in progress at Stop is cancelled
// and its job runs again after the next Start, giving one draft.
func TestStop_RequeuesRunningJob(t *testing.T) {
	st := openStore(t, t.TempDir(), time.Hour)
	cr := putStudy(t, st, phantom.Options{Modality: "CR", Seed: 9}, "M")
	eng := newFake()
	eng.block = make(chan struct{})
	q := New(st, eng, Config{PollInterval: 50 * time.Millisecond}, quiet())
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	j, _ := q.RequestDraft(context.Background(), cr.StudyInstanceUID, "u")
	<-eng.calls
	if err := q.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetJob(j.ID); got.State != store.JobQueued {
		t.Fatalf("after stop: %+v", got)
	}
	if s := q.Stats(); s.Interrupted != 1 || s.Done != 0 {
		t.Errorf("stats %+v", s)
	}
	eng.mu.Lock()
	eng.block = nil
	eng.mu.Unlock()
	startQueue(t, st, eng, Config{})
	got := waitJob(t, st, j.ID, store.JobDone, store.JobFailed)
	if got.State != store.JobDone || got.Attempts != 2 {
		t.Fatalf("job %+v", got)
	}
	if reps, _ := st.ListReports(cr.StudyInstanceUID); len(reps) != 1 {
		t.Fatalf("%d drafts, want 1", len(reps))
	}
}

func TestConfig_PromptsAndValidation(t *testing.T) {
	cfg, err := Config{Prompts: []Prompt{
		{Version: "chest-xr/v2", Modalities: []string{"CR", "DX"}, BodyParts: []string{"chest"},
			Text: "{{.Images}} key images of a {{.Modality}} of the {{.BodyPart}}."},
		{Version: "any-ct/v1", Modalities: []string{"CT"}, Text: "CT study."},
	}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mods              []string
		body, ver, prompt string
	}{
		{[]string{"CR"}, "CHEST", "chest-xr/v2", "1 key images of a CR of the chest."},
		{[]string{"CR"}, "HAND", vlm.ReportPromptVersion, vlm.ReportPrompt([]string{"CR"}, "HAND", 1)},
		{[]string{"CT"}, "", "any-ct/v1", "CT study."},
	} {
		v, p, err := cfg.buildPrompt(c.mods, c.body, 1)
		if err != nil || v != c.ver || p != c.prompt {
			t.Errorf("%v %s: %s %q %v, want %s %q", c.mods, c.body, v, p, err, c.ver, c.prompt)
		}
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{KeyImages: 40}, "drafts.key_images"},
		{Config{MaxTokens: -1}, "drafts.max_tokens"},
		{Config{Temperature: 3}, "drafts.temperature"},
		{Config{Rules: []Rule{{SenderAEs: []string{"WAY_TOO_LONG_AE_TITLE"}}}}, "drafts.rules[0].sender_aes"},
		{Config{Prompts: []Prompt{{Text: "x"}}}, "drafts.prompts[0].version"},
		{Config{Prompts: []Prompt{{Version: vlm.ReportPromptVersion, Text: "x"}}}, "drafts.prompts[0].version"},
		{Config{Prompts: []Prompt{{Version: "v", Text: "{{.Patient}}"}}}, "drafts.prompts[0].text"},
		{Config{Prompts: []Prompt{{Version: "v", Text: "{{"}}}, "drafts.prompts[0].text"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %s", c.cfg, err, c.want)
		}
	}
	q := New(nil, nil, Config{KeyImages: -3}, nil)
	if err := q.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "key_images") {
		t.Errorf("start with a bad config: %v", err)
	}
}

// TestRules_OnDemandBeforeStable: a draft asked for before the study was
// stable does not make the rule's draft a "late arrival", and a rule firing
// while that draft runs queues its own job (the study may have changed).
func TestRules_OnDemandBeforeStable(t *testing.T) {
	st := openStore(t, t.TempDir(), 300*time.Millisecond)
	eng := newFake()
	eng.block = make(chan struct{})
	q := startQueue(t, st, eng, Config{Enabled: true})
	cr := putStudy(t, st, phantom.Options{Modality: "CR", Seed: 10}, "M")
	if _, err := q.RequestDraft(context.Background(), cr.StudyInstanceUID, "dr"); err != nil {
		t.Fatal(err)
	}
	<-eng.calls // the on-demand draft runs (and waits) while the study becomes stable
	deadline := time.Now().Add(10 * time.Second)
	for {
		js, _, _ := st.ListJobs(store.JobFilter{StudyUID: cr.StudyInstanceUID, State: store.JobQueued}, 0, "")
		if len(js) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the rule queued no job")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(eng.block)
	js := waitJobs(t, st, cr.StudyInstanceUID, 2)
	if js[0].Trigger != store.TriggerStudyStable || js[1].Trigger != store.TriggerOnDemand {
		t.Fatalf("jobs %+v", js)
	}
	if reps, _ := st.ListReports(cr.StudyInstanceUID); len(reps) != 2 {
		t.Fatalf("%d reports, want 2 versions", len(reps))
	}
}

func TestCancelJob_QueuedAndRunning(t *testing.T) {
	st := openStore(t, t.TempDir(), time.Hour)
	cr := putStudy(t, st, phantom.Options{Modality: "CR", Seed: 10}, "M")
	ct := putStudy(t, st, phantom.Options{Modality: "CT", Slices: 3, Seed: 11}, "M")
	eng := newFake()
	eng.block = make(chan struct{}) // never released: only a cancel ends the call
	q := startQueue(t, st, eng, Config{})
	running, _ := q.RequestDraft(context.Background(), cr.StudyInstanceUID, "u")
	<-eng.calls // the CR draft is in the model
	queued, _ := q.RequestDraft(context.Background(), ct.StudyInstanceUID, "u")

	if j, err := q.CancelJob(context.Background(), queued.ID, "dr.a"); err != nil || j.State != store.JobCancelled {
		t.Fatalf("cancel queued: %+v, %v", j, err)
	}
	if j, err := q.CancelJob(context.Background(), running.ID, "dr.a"); err != nil || j.State != store.JobCancelled || j.Error != "cancelled by dr.a" {
		t.Fatalf("cancel running: %+v, %v", j, err)
	}
	if _, err := q.CancelJob(context.Background(), running.ID, "dr.a"); !errors.Is(err, store.ErrJobState) {
		t.Errorf("cancel twice: %v, want ErrJobState", err)
	}
	// The running draft's model call was cancelled (the fake returns on
	// ctx), nothing was written, and the job stays cancelled.
	deadline := time.Now().Add(5 * time.Second)
	for q.Stats().Cancelled != 2 || func() bool { q.runMu.Lock(); defer q.runMu.Unlock(); return len(q.running) > 0 }() {
		if time.Now().After(deadline) {
			t.Fatalf("running job still running after cancel: stats %+v", q.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, id := range []string{running.ID, queued.ID} {
		if got, _ := st.GetJob(id); got.State != store.JobCancelled {
			t.Errorf("job %s: %s, want cancelled", id, got.State)
		}
	}
	for _, uid := range []string{cr.StudyInstanceUID, ct.StudyInstanceUID} {
		if reps, _ := st.ListReports(uid); len(reps) != 0 {
			t.Errorf("%d drafts for a cancelled job", len(reps))
		}
	}
}
