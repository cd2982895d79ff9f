package daemon_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon"
	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
)

// askStream is what one POST .../ask stream delivered.
type askStream struct {
	tokens int    // token events
	done   bool   // a done event arrived
	text   string // the done event's text
	events []string
}

// postAsk opens an ask stream for sop and reads it; stopAfter > 0 closes
// the connection after that many token events (the client going away).
func postAsk(ctx context.Context, base, token, sop, question string, maxTokens, stopAfter int) (askStream, error) {
	var res askStream
	body, _ := json.Marshal(map[string]any{"question": question, "max_tokens": maxTokens})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/instances/"+sop+"/ask", bytes.NewReader(body))
	if err != nil {
		return res, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return res, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return res, fmt.Errorf("ask: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			res.events = append(res.events, event)
		case strings.HasPrefix(line, "data: ") && event == "token":
			res.tokens++
			if stopAfter > 0 && res.tokens >= stopAfter {
				return res, nil // closes the body: the client is gone
			}
		case strings.HasPrefix(line, "data: ") && event == "done":
			var d struct{ Text string }
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &d); err != nil {
				return res, err
			}
			res.done, res.text = true, d.Text
			return res, nil
		case strings.HasPrefix(line, "data: ") && event == "error":
			return res, fmt.Errorf("ask: error event %s", line)
		}
	}
	return res, sc.Err()
}

// TestAsk_TwoClientsDuringDraftAndCancel is issue 5's concurrency check
// against the real daemon and runner: while a long draft job runs, two
// clients ask at once and both get streamed answers (the draft is
// preempted and resumed, not lost); a third client that goes away
// mid-answer frees the model within one decode step.
func TestAsk_TwoClientsDuringDraftAndCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a model runner; skipped with -short")
	}
	requireTool(t, "storescu")
	modelDir, _ := tinyModel(t)
	exe := buildLingshu(t)
	cr := writePhantom(t, phantom.Options{Modality: "CR", Seed: 61})
	d := startModelDaemon(t, []string{exe, "runner"}, func(c *daemon.Config) {
		c.Model.Path, c.Model.Backend = modelDir, "cpu"
		c.Store.StableAfter = daemon.Duration{Duration: time.Second}
		c.Drafts.MaxTokens = 3000 // long enough to still run while the questions come
	})
	waitFor(t, 2*time.Minute, "model ready", func() bool { return d.Infer().Status().State == infer.StateReady })
	host, port := hostPort(t, d.DICOMAddr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if out, err := runPeer(ctx, "storescu", append([]string{"-aec", "LINGSHU", host, port}, cr...)...); err != nil {
		t.Fatalf("storescu: %v\n%s", err, out)
	}
	base := "http://" + d.HTTPAddr().String() + "/api/v1"
	token := login(t, base, "admin", adminPassword)
	var jobs jobList
	waitFor(t, time.Minute, "draft job running", func() bool {
		getJSON(t, base, "/jobs?state="+store.JobRunning, token, &jobs)
		return len(jobs.Items) == 1
	})
	sop := readSummary(t, cr[0]).SOPInstanceUID

	var wg sync.WaitGroup
	results := make([]askStream, 2)
	errs := make([]error, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = postAsk(ctx, base, token, sop, "Question "+strconv.Itoa(i)+": is there an effusion?", 24, 0)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if errs[i] != nil || !r.done || r.tokens == 0 {
			t.Fatalf("client %d: %d tokens, done %v, err %v (events %v)", i, r.tokens, r.done, errs[i], r.events)
		}
		t.Logf("client %d: %d streamed tokens, answer %q", i, r.tokens, firstWords(r.text, 6))
	}

	before := d.Infer().Status().Cancelled
	gone, err := postAsk(ctx, base, token, sop, "A question whose asker leaves", 1000, 3)
	if err != nil || gone.tokens != 3 {
		t.Fatalf("leaving client: %d tokens, %v", gone.tokens, err)
	}
	waitFor(t, 30*time.Second, "runner stops the abandoned answer", func() bool { return d.Infer().Status().Cancelled > before })
	st := d.Infer().Status()
	if st.LastCancelSteps > 1 {
		t.Errorf("runner took %d decode steps after the cancel, want ≤ 1", st.LastCancelSteps)
	}
	t.Logf("abandoned answer: runner stopped %d decode step(s) after the cancel", st.LastCancelSteps)

	// The preempted draft resumes and completes once: one AI draft.
	var reports reportList
	uid := readSummary(t, cr[0]).StudyInstanceUID
	waitFor(t, 3*time.Minute, "draft after the questions", func() bool {
		getJSON(t, base, "/studies/"+uid+"/reports", token, &reports)
		return len(reports.Items) > 0
	})
	if n := len(reports.Items); n != 1 || reports.Items[0].Kind != store.ReportAIDraft {
		t.Errorf("%d reports after the questions, want one AI draft", n)
	}
	var asks struct{ Items []store.AskRecord }
	getJSON(t, base, "/studies/"+uid+"/asks", token, &asks)
	if len(asks.Items) != 2 {
		t.Errorf("%d stored answers, want the 2 completed ones (not the abandoned one)", len(asks.Items))
	}
}
