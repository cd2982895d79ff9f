package store

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestReports_VersionsNeverOverwritten(t *testing.T) {
	clk := newClock()
	s := openTest(t, t.TempDir(), testOptions(clk))
	mustPut(t, s, inst{})
	const study = "1.2.3.1"
	prov := &Provenance{ModelHash: "abc", PromptVersion: "lingshu-report/v1", Prompt: "p", SOPInstanceUIDs: []string{"1.2.3.1.1.1"},
		Frames: []int{0}, MaxTokens: 64, TimingsMS: map[string]float64{"render": 1.5}, JobID: "j1", Trigger: TriggerStudyStable}
	r1, err := s.AddReport(Report{StudyUID: study, Kind: ReportAIDraft, Author: "ai", Text: "draft one", Provenance: prov,
		Status: ReportStatusSigned, SignedBy: "nobody"}) // status and signature are the store's
	if err != nil || r1.Version != 1 || r1.Status != ReportStatusDraft || r1.SignedBy != "" || r1.SignedAt != nil {
		t.Fatalf("add: %+v %v", r1, err)
	}
	r2, err := s.AddReport(Report{StudyUID: study, Kind: ReportEdited, Author: "dr.wu", Text: "edited", BasedOn: 1})
	if err != nil || r2.Version != 2 || r2.BasedOn != 1 {
		t.Fatalf("edit: %+v %v", r2, err)
	}
	if _, err := s.AddReport(Report{StudyUID: study, Kind: ReportEdited, Author: "dr.wu", BasedOn: 7}); !errors.Is(err, ErrInvalidReport) {
		t.Fatalf("based on a missing version: %v", err)
	}
	if _, err := s.AddReport(Report{StudyUID: study, Kind: "final", Author: "x"}); !errors.Is(err, ErrInvalidReport) {
		t.Fatalf("bad kind: %v", err)
	}
	if _, err := s.AddReport(Report{StudyUID: "9.9", Kind: ReportEdited, Author: "x"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown study: %v", err)
	}

	clk.Advance(time.Minute)
	s1, err := s.SignReport(study, 1, "dr.wu")
	if err != nil || s1.Status != ReportStatusSigned || s1.SignedBy != "dr.wu" || s1.SignedAt == nil || s1.Text != "draft one" {
		t.Fatalf("sign v1: %+v %v", s1, err)
	}
	if _, err := s.SignReport(study, 1, "dr.li"); !errors.Is(err, ErrSigned) {
		t.Fatalf("re-sign: %v, want ErrSigned", err)
	}
	if _, err := s.SignReport(study, 3, "dr.li"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("sign missing version: %v", err)
	}
	// Signing v2 supersedes v1; v1's text and signature stay.
	if _, err := s.SignReport(study, 2, "dr.li"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignReport(study, 1, "dr.li"); !errors.Is(err, ErrSigned) {
		t.Fatalf("sign superseded: %v, want ErrSigned", err)
	}
	reps, err := s.ListReports(study)
	if err != nil || len(reps) != 2 {
		t.Fatalf("list %+v %v", reps, err)
	}
	if reps[0].Status != ReportStatusSuperseded || reps[0].Text != "draft one" || reps[0].SignedBy != "dr.wu" ||
		reps[1].Status != ReportStatusSigned || reps[1].SignedBy != "dr.li" {
		t.Fatalf("after second signing: %+v", reps)
	}
	if !reflect.DeepEqual(reps[0].Provenance, prov) {
		t.Errorf("provenance %+v, want %+v", reps[0].Provenance, prov)
	}
	// A re-draft after signing is a new version; the signed one is untouched.
	r3, _ := s.AddReport(Report{StudyUID: study, Kind: ReportAIDraft, Author: "ai", Text: "late"})
	got, err := s.GetReport(study, 2)
	if r3.Version != 3 || err != nil || got.Text != "edited" || got.Status != ReportStatusSigned {
		t.Fatalf("v3 %+v, v2 %+v %v", r3, got, err)
	}
	if _, err := s.GetReport(study, 4); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing version: %v", err)
	}
	// A study whose UID is a prefix of another's sees only its own.
	mustPut(t, s, inst{Study: "1.2.3.11", SOP: "1.2.3.11.1.1"})
	if reps, _ := s.ListReports("1.2.3.11"); len(reps) != 0 {
		t.Fatalf("prefix study sees %+v", reps)
	}
}

func TestReport_JSONShape(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := Report{StudyUID: "1", Version: 2, Kind: ReportAIDraft, Author: "ai", Status: ReportStatusDraft, CreatedAt: now,
		Provenance: &Provenance{SOPInstanceUIDs: []string{"9"}, Frames: []int{0}, TimingsMS: map[string]float64{"total": 1}}}
	raw, _ := json.Marshal(r)
	for _, k := range []string{`"study_uid"`, `"version":2`, `"provenance":{`, `"model_hash"`, `"prompt_version"`, `"sop_instance_uids":["9"]`,
		`"frames":[0]`, `"max_tokens"`, `"timings_ms":{"total":1}`, `"job_id"`, `"trigger"`} {
		if !strings.Contains(string(raw), k) {
			t.Errorf("report JSON lacks %s: %s", k, raw)
		}
	}
	if strings.Contains(string(raw), "signed_at") || strings.Contains(string(raw), "based_on") {
		t.Errorf("unsigned report JSON has signature fields: %s", raw)
	}
	j, _ := json.Marshal(Job{ID: "j1", CreatedAt: now})
	if strings.Contains(string(j), "started_at") || !strings.Contains(string(j), `"created_at"`) {
		t.Errorf("job JSON %s", j)
	}
}

func TestAIStatus(t *testing.T) {
	clk := newClock()
	s := openTest(t, t.TempDir(), testOptions(clk))
	mustPut(t, s, inst{})
	const study = "1.2.3.1"
	check := func(want string) {
		t.Helper()
		got, err := s.AIStatus(study, "9.9")
		if err != nil || got[study] != want || got["9.9"] != AINone {
			t.Fatalf("AIStatus = %v %v, want %s", got, err, want)
		}
	}
	check(AIWaiting)
	clk.Advance(2 * time.Hour)
	s.sweepStable()
	check(AINone)
	j, _ := s.EnqueueJob(draftJob(study, TriggerStudyStable))
	check(AIQueued)
	s.ClaimJob()
	check(AIDrafting)
	s.FailJob(j.ID, "boom", false)
	check(AIFailed)
	j, _ = s.EnqueueJob(draftJob(study, TriggerOnDemand))
	s.ClaimJob()
	if _, err := s.CompleteDraftJob(j.ID, Report{StudyUID: study, Kind: ReportAIDraft, Author: "ai", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	check(AIDraftReady)
	s.SignReport(study, 1, "dr")
	check(AISigned)
	if m, err := s.AIStatus(); err != nil || len(m) != 0 {
		t.Fatalf("no studies: %v %v", m, err)
	}
}

func TestCompleteDraftJob_WrongStudyOrState(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	mustPut(t, s, inst{})
	mustPut(t, s, inst{Study: "1.2.3.2", SOP: "1.2.3.2.1.1"})
	j, _ := s.EnqueueJob(draftJob("1.2.3.1", TriggerOnDemand))
	r := Report{StudyUID: "1.2.3.1", Kind: ReportAIDraft, Author: "ai"}
	if _, err := s.CompleteDraftJob(j.ID, r); !errors.Is(err, ErrJobState) {
		t.Fatalf("complete a queued job: %v", err)
	}
	s.ClaimJob()
	if _, err := s.CompleteDraftJob(j.ID, Report{StudyUID: "1.2.3.2", Kind: ReportAIDraft, Author: "ai"}); !errors.Is(err, ErrInvalidReport) {
		t.Fatalf("other study: %v", err)
	}
	if _, err := s.CompleteDraftJob("nope", r); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
	// Failed attempts left nothing behind.
	if reps, _ := s.ListReports("1.2.3.2"); len(reps) != 0 {
		t.Fatalf("reports %+v", reps)
	}
	if got, _ := s.GetJob(j.ID); got.State != JobRunning {
		t.Fatalf("job %+v", got)
	}
}

func TestAsks(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	mustPut(t, s, inst{})
	a1, err := s.AddAsk(AskRecord{StudyUID: "1.2.3.1", SOPInstanceUID: "1.2.3.1.1.1", User: "dr", Question: "Any fracture?",
		Answer: "No.", Stop: "eos", TimingsMS: map[string]float64{"total": 12}, ModelHash: "h"})
	if err != nil || a1.ID == "" || a1.CreatedAt.IsZero() {
		t.Fatalf("add: %+v %v", a1, err)
	}
	a2, _ := s.AddAsk(AskRecord{StudyUID: "1.2.3.1", SOPInstanceUID: "1.2.3.1.1.1", Frame: 3, User: "dr", Question: "Effusion?"})
	list, err := s.ListAsks("1.2.3.1")
	if err != nil || len(list) != 2 || list[0].ID != a1.ID || list[1].ID != a2.ID || list[0].TimingsMS["total"] != 12 || list[1].Frame != 3 {
		t.Fatalf("list %+v %v", list, err)
	}
	if _, err := s.AddAsk(AskRecord{StudyUID: "1.2.3.1", User: "dr", Question: "?"}); !errors.Is(err, ErrInvalidAsk) {
		t.Fatalf("no instance: %v", err)
	}
	if _, err := s.AddAsk(AskRecord{StudyUID: "9", SOPInstanceUID: "9.1", User: "dr", Question: "?"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown study: %v", err)
	}
	raw, _ := json.Marshal(a1)
	if !strings.Contains(string(raw), `"sop_instance_uid"`) || !strings.Contains(string(raw), `"model_hash":"h"`) {
		t.Errorf("ask JSON %s", raw)
	}
}
