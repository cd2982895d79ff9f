package store

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func draftJob(study, trigger string) Job {
	return Job{Kind: JobDraft, StudyUID: study, Trigger: trigger, RequestedBy: "rule"}
}

func TestJobs_Lifecycle(t *testing.T) {
	clk := newClock()
	s := openTest(t, t.TempDir(), testOptions(clk))
	mustPut(t, s, inst{SOP: "1.2.3.1.1.1"})
	mustPut(t, s, inst{Study: "1.2.3.2", SOP: "1.2.3.2.1.1"})

	j1, err := s.EnqueueJob(draftJob("1.2.3.1", TriggerStudyStable))
	if err != nil {
		t.Fatal(err)
	}
	if j1.ID == "" || j1.State != JobQueued || j1.Attempts != 0 || j1.CreatedAt.IsZero() {
		t.Fatalf("enqueued %+v", j1)
	}
	// A second request while one is queued returns the queued job.
	again, err := s.EnqueueJob(draftJob("1.2.3.1", TriggerOnDemand))
	if err != nil || again.ID != j1.ID {
		t.Fatalf("duplicate enqueue gave %+v, %v; want job %s", again, err, j1.ID)
	}
	clk.Advance(time.Second)
	j2, err := s.EnqueueJob(draftJob("1.2.3.2", TriggerOnDemand))
	if err != nil || j2.ID == j1.ID {
		t.Fatalf("second study: %+v %v", j2, err)
	}

	c, ok, err := s.ClaimJob()
	if err != nil || !ok || c.ID != j1.ID || c.State != JobRunning || c.Attempts != 1 || c.StartedAt.IsZero() {
		t.Fatalf("claim = %+v %v %v, want the oldest job running", c, ok, err)
	}
	// A job for a study whose draft is running is a new job (the study
	// may have changed), not the running one.
	j3, err := s.EnqueueJob(draftJob("1.2.3.1", TriggerLateArrival))
	if err != nil || j3.ID == j1.ID {
		t.Fatalf("enqueue while running: %+v %v", j3, err)
	}

	if err := s.FailJob(j1.ID, "runner died", true); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.GetJob(j1.ID); j.State != JobQueued || j.Error != "runner died" || j.Attempts != 1 {
		t.Fatalf("retried job %+v", j)
	}
	c, _, _ = s.ClaimJob()
	if c.ID != j1.ID || c.Attempts != 2 {
		t.Fatalf("reclaimed %+v", c)
	}
	if err := s.FailJob(j1.ID, "bad image", false); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.GetJob(j1.ID); j.State != JobFailed || j.FinishedAt.IsZero() {
		t.Fatalf("failed job %+v", j)
	}
	if err := s.FailJob(j1.ID, "again", true); !errors.Is(err, ErrJobState) {
		t.Fatalf("failing a failed job: %v", err)
	}

	all, next, err := s.ListJobs(JobFilter{}, 0, "")
	if err != nil || next != "" || len(all) != 3 || all[0].ID != j3.ID || all[2].ID != j1.ID {
		t.Fatalf("list = %+v next %q err %v, want 3 newest first", all, next, err)
	}
	page, next, _ := s.ListJobs(JobFilter{}, 2, "")
	rest, next2, _ := s.ListJobs(JobFilter{}, 2, next)
	if len(page) != 2 || next == "" || len(rest) != 1 || rest[0].ID != j1.ID || next2 != "" {
		t.Fatalf("paging: %v %q %v %q", page, next, rest, next2)
	}
	q, _, _ := s.ListJobs(JobFilter{State: JobQueued, StudyUID: "1.2.3.1"}, 0, "")
	if len(q) != 1 || q[0].ID != j3.ID {
		t.Fatalf("filtered %+v", q)
	}
	if _, _, err := s.ListJobs(JobFilter{}, 0, "garbage"); !errors.Is(err, ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
	if _, err := s.GetJob("j999"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown job: %v", err)
	}
}

func TestEnqueueJob_Invalid(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	mustPut(t, s, inst{})
	for _, j := range []Job{
		{Kind: "eval", StudyUID: "1.2.3.1", Trigger: TriggerOnDemand},
		{Kind: JobDraft, StudyUID: "1.2.3.1", Trigger: "whenever"},
		{Kind: JobDraft, Trigger: TriggerOnDemand},
	} {
		if _, err := s.EnqueueJob(j); !errors.Is(err, ErrInvalidJob) {
			t.Errorf("%+v: %v, want ErrInvalidJob", j, err)
		}
	}
	if _, err := s.EnqueueJob(draftJob("9.9", TriggerOnDemand)); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown study: %v", err)
	}
	if _, ok, err := s.ClaimJob(); ok || err != nil {
		t.Errorf("claim from empty queue: %v %v", ok, err)
	}
}

// TestJobs_RestartRunsInterruptedJobOnce: a job running at a crash is
// queued again at the next open and completes exactly once.
func TestJobs_RestartRunsInterruptedJobOnce(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	s, err := Open(dir, testOptions(clk))
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, inst{})
	j, _ := s.EnqueueJob(draftJob("1.2.3.1", TriggerStudyStable))
	if c, _, _ := s.ClaimJob(); c.ID != j.ID {
		t.Fatalf("claimed %+v", c)
	}
	s.Close() // the "crash": the job is left running

	s = openTest(t, dir, testOptions(clk))
	n, err := s.RequeueRunningJobs()
	if err != nil || n != 1 {
		t.Fatalf("requeued %d, %v", n, err)
	}
	c, ok, _ := s.ClaimJob()
	if !ok || c.ID != j.ID || c.Attempts != 2 || !strings.Contains(c.Error, "interrupted") {
		t.Fatalf("after restart claimed %+v", c)
	}
	r, err := s.CompleteDraftJob(j.ID, Report{StudyUID: "1.2.3.1", Kind: ReportAIDraft, Author: "ai", Text: "FINDINGS: none."})
	if err != nil || r.Version != 1 {
		t.Fatalf("complete: %+v %v", r, err)
	}
	if _, err := s.CompleteDraftJob(j.ID, Report{StudyUID: "1.2.3.1", Kind: ReportAIDraft, Author: "ai"}); !errors.Is(err, ErrJobState) {
		t.Fatalf("second completion: %v, want ErrJobState", err)
	}
	if n, _ := s.RequeueRunningJobs(); n != 0 {
		t.Fatalf("requeued %d done jobs", n)
	}
	reps, _ := s.ListReports("1.2.3.1")
	done, _ := s.GetJob(j.ID)
	if len(reps) != 1 || done.State != JobDone || done.ReportVersion != 1 || done.Error != "" {
		t.Fatalf("reports %+v job %+v", reps, done)
	}
}

// TestClaimJob_Concurrent: each queued job is claimed by exactly one of
// many concurrent workers.
func TestClaimJob_Concurrent(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	const n = 20
	for i := range n {
		study := "1.2.3." + string(rune('a'+i))
		mustPut(t, s, inst{Study: study, SOP: study + ".1.1"})
		if _, err := s.EnqueueJob(draftJob(study, TriggerOnDemand)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, ok, err := s.ClaimJob()
				if err != nil || !ok {
					return
				}
				mu.Lock()
				seen[j.ID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d jobs claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("job %s claimed %d times", id, c)
		}
	}
}

func TestJobs_Events(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(newClock()))
	ch, cancel := s.Subscribe()
	defer cancel()
	mustPut(t, s, inst{})
	if ev := recv(t, ch); ev.Type != StudyReceived || ev.StudyUID != "1.2.3.1" || ev.NumInstances != 1 {
		t.Fatalf("first event %+v, want study_received", ev)
	}
	mustPut(t, s, inst{SOP: "1.2.3.1.1.2"})
	noEvent(t, ch) // a second instance of a known study is not "received" again
	j, _ := s.EnqueueJob(draftJob("1.2.3.1", TriggerOnDemand))
	if ev := recv(t, ch); ev.Type != JobUpdated || ev.JobID != j.ID {
		t.Fatalf("event %+v, want job_updated", ev)
	}
	s.ClaimJob()
	recv(t, ch)
	s.CompleteDraftJob(j.ID, Report{StudyUID: "1.2.3.1", Kind: ReportAIDraft, Author: "ai", Text: "x"})
	ev1, ev2 := recv(t, ch), recv(t, ch)
	if ev1.Type != ReportAdded || ev1.Version != 1 || ev2.Type != JobUpdated || ev2.JobID != j.ID {
		t.Fatalf("completion events %+v %+v", ev1, ev2)
	}
	s.SignReport("1.2.3.1", 1, "dr")
	if ev := recv(t, ch); ev.Type != ReportSigned || ev.Version != 1 {
		t.Fatalf("sign event %+v", ev)
	}
	// Every event is also durable.
	evs, _ := s.EventsSince(0, 0)
	if len(evs) != 6 {
		t.Errorf("%d recorded events, want 6: %+v", len(evs), evs)
	}
}

func TestEventCursor(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, testOptions(newClock()))
	if seq, found, err := s.EventCursor("drafts"); seq != 0 || found || err != nil {
		t.Fatalf("fresh cursor %d %v %v", seq, found, err)
	}
	mustPut(t, s, inst{})
	last, err := s.LastEventSeq()
	if err != nil || last != 1 {
		t.Fatalf("last event %d %v", last, err)
	}
	j, err := s.EnqueueJobAfterEvent(draftJob("1.2.3.1", TriggerStudyStable), "drafts", last)
	if err != nil || j.State != JobQueued {
		t.Fatal(j, err)
	}
	if seq, found, _ := s.EventCursor("drafts"); seq != 1 || !found {
		t.Fatalf("cursor after enqueue %d %v", seq, found)
	}
	// A failed enqueue leaves the cursor where it was.
	if _, err := s.EnqueueJobAfterEvent(draftJob("9.9", TriggerStudyStable), "drafts", 5); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if err := s.SetEventCursor("other", 7); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, dir, testOptions(newClock()))
	a, _, _ := s.EventCursor("drafts")
	b, _, _ := s.EventCursor("other")
	if a != 1 || b != 7 {
		t.Fatalf("cursors after reopen %d %d", a, b)
	}
}
