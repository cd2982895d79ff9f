package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/store"
)

func askPath(sop string) string { return "/api/v1/instances/" + sop + "/ask" }

// TestAsk_StreamsTokensAndStores: queued, one token event per token,
// done with the answer, ids and timings including render; the answer is
// stored and listed; the read is audited.
func TestAsk_StreamsTokensAndStores(t *testing.T) {
	fi := newFakeInfer("stream", "The ", "lungs ", "are ", "clear.")
	fi.queued = 2
	f := newFixture(t, Config{Infer: fi})
	sop := f.ct.Instances[1].SOPInstanceUID
	resp, body := f.do(t, "POST", askPath(sop), f.staff, map[string]any{"question": "Any nodule?", "max_tokens": 64})
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("ask: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	evs := parseSSE(t, bytes.NewReader(body))
	var names []string
	var text strings.Builder
	for _, ev := range evs {
		names = append(names, ev.Event)
		if ev.Event == "token" {
			var tk struct {
				ID   int
				Text string
			}
			if err := json.Unmarshal([]byte(ev.Data), &tk); err != nil || tk.ID < 100 {
				t.Errorf("token %q: %v", ev.Data, err)
			}
			text.WriteString(tk.Text)
		}
	}
	if got := strings.Join(names, ","); got != "queued,token,token,token,token,done" {
		t.Fatalf("events %s:\n%s", got, body)
	}
	if evs[0].Data != `{"position":2}` {
		t.Errorf("queued = %s", evs[0].Data)
	}
	var done struct {
		AskID        string `json:"ask_id"`
		Text         string
		IDs          []int
		Stop         string
		PromptTokens int                `json:"prompt_tokens"`
		ImageTokens  int                `json:"image_tokens"`
		ModelHash    string             `json:"model_hash"`
		TimingsMS    map[string]float64 `json:"timings_ms"`
	}
	if err := json.Unmarshal([]byte(evs[len(evs)-1].Data), &done); err != nil {
		t.Fatal(err)
	}
	if done.Text != "The lungs are clear." || text.String() != done.Text || len(done.IDs) != 4 || done.Stop != "eos" ||
		done.PromptTokens != 40 || done.ImageTokens != 16 || done.ModelHash != "sha256:feed" || done.AskID == "" {
		t.Errorf("done = %+v", done)
	}
	for _, k := range []string{"render", "queue", "preprocess", "vision", "prefill", "decode", "total"} {
		if _, ok := done.TimingsMS[k]; !ok {
			t.Errorf("timings_ms lacks %s: %v", k, done.TimingsMS)
		}
	}
	if done.TimingsMS["render"] <= 0 {
		t.Errorf("render time %v", done.TimingsMS["render"])
	}
	// The engine got one interactive request with the rendered frame.
	if len(fi.reqs) != 1 || fi.reqs[0].Priority != infer.Interactive || len(fi.reqs[0].Images) != 1 ||
		fi.reqs[0].Question != "Any nodule?" || fi.reqs[0].MaxTokens != 64 {
		t.Fatalf("requests = %+v", fi.reqs)
	}
	rec, _ := f.st.Instance(sop)
	if b := fi.reqs[0].Images[0].Bounds(); b.Dx() != rec.Columns || b.Dy() != rec.Rows {
		t.Errorf("image %v, instance %dx%d", b, rec.Columns, rec.Rows)
	}

	var asks list[store.AskRecord]
	f.getJSON(t, "/api/v1/studies/"+f.ct.StudyInstanceUID+"/asks", f.staff, 200, &asks)
	if len(asks.Items) != 1 {
		t.Fatalf("asks = %+v", asks)
	}
	a := asks.Items[0]
	if a.ID != done.AskID || a.User != "nurse" || a.Question != "Any nodule?" || a.Answer != done.Text ||
		a.SOPInstanceUID != sop || a.ModelHash != "sha256:feed" || a.TimingsMS["render"] <= 0 {
		t.Errorf("stored ask = %+v", a)
	}
	f.getJSON(t, "/api/v1/studies/9.9.9/asks", f.staff, 404, nil)

	recs, _, _ := f.st.QueryAudit(store.AuditFilter{Action: "ask"}, 10, "")
	if len(recs) != 1 || recs[0].User != "nurse" || recs[0].StudyUID != f.ct.StudyInstanceUID || recs[0].SOPUID != sop {
		t.Errorf("audit = %+v", recs)
	}
}

// TestAsk_Errors: refusals before the stream are plain HTTP errors.
func TestAsk_Errors(t *testing.T) {
	sop := func(f *fixture) string { return f.ct.Instances[0].SOPInstanceUID }
	for _, c := range []struct {
		name   string
		infer  Inferer
		body   any
		sop    func(*fixture) string
		status int
		code   string
	}{
		{"no engine", nil, map[string]any{"question": "q"}, sop, 503, CodeNoModel},
		{"queue full", newFakeInfer("full"), map[string]any{"question": "q"}, sop, 503, CodeQueueFull},
		{"no model loaded", newFakeInfer("nomodel"), map[string]any{"question": "q"}, sop, 503, CodeNoModel},
		{"empty question", newFakeInfer("stream"), map[string]any{"question": "  "}, sop, 400, CodeBadRequest},
		{"negative frame", newFakeInfer("stream"), map[string]any{"question": "q", "frame": -1}, sop, 400, CodeBadRequest},
		{"too many tokens", newFakeInfer("stream"), map[string]any{"question": "q", "max_tokens": 99999}, sop, 400, CodeBadRequest},
		{"not json", newFakeInfer("stream"), "question", sop, 400, CodeBadRequest},
		{"unknown instance", newFakeInfer("stream"), map[string]any{"question": "q"}, func(*fixture) string { return "1.2.3.4" }, 404, CodeNotFound},
		{"frame out of range", newFakeInfer("stream"), map[string]any{"question": "q", "frame": 7}, sop, 400, CodeBadRequest},
		{"unrenderable", newFakeInfer("stream"), map[string]any{"question": "q"}, func(f *fixture) string { return f.j2k }, 415, CodeUnsupportedMedia},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A long admission wait: the fakes refuse at once, so no test waits,
			// and a slow machine cannot turn a refusal into a stream.
			f := newFixture(t, Config{Infer: c.infer, AskRetryAfter: 7 * time.Second, AskAdmitWait: time.Minute})
			resp, body := f.do(t, "POST", askPath(c.sop(f)), f.staff, c.body)
			if code, _ := apiErr(t, body); resp.StatusCode != c.status || code != c.code {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, body, c.status, c.code)
			}
			if c.code == CodeQueueFull && resp.Header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After = %q", resp.Header.Get("Retry-After"))
			}
			if asks, _ := f.st.ListAsks(f.ct.StudyInstanceUID); len(asks) != 0 {
				t.Errorf("stored %+v", asks)
			}
		})
	}
}

// TestAsk_RunnerDiesMidStream: an engine failure after the stream started
// is an error event; nothing is stored.
func TestAsk_RunnerDiesMidStream(t *testing.T) {
	f := newFixture(t, Config{Infer: newFakeInfer("fail")})
	resp, body := f.do(t, "POST", askPath(f.ct.Instances[0].SOPInstanceUID), f.staff, map[string]any{"question": "q"})
	evs := parseSSE(t, bytes.NewReader(body))
	if resp.StatusCode != 200 || len(evs) != 3 || evs[1].Event != "token" || evs[2].Event != "error" {
		t.Fatalf("%d %+v", resp.StatusCode, evs)
	}
	if code, _ := apiErr(t, []byte(evs[2].Data)); code != CodeUnavailable {
		t.Errorf("error event %s", evs[2].Data)
	}
	if asks, _ := f.st.ListAsks(f.ct.StudyInstanceUID); len(asks) != 0 {
		t.Errorf("stored %+v", asks)
	}
}

// TestAsk_ClientDisconnectCancels: closing the connection mid-stream
// cancels the engine request (detected by a failed write of the next
// heartbeat), and nothing is stored.
func TestAsk_ClientDisconnectCancels(t *testing.T) {
	fi := newFakeInfer("block")
	f := newFixture(t, Config{Infer: fi, SSEHeartbeat: 20 * time.Millisecond})
	base := f.listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", base+askPath(f.ct.Instances[0].SOPInstanceUID),
		strings.NewReader(`{"question":"Describe."}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+f.staff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var got []string
	readSSE(resp.Body, func(ev sseEvent) bool {
		got = append(got, ev.Event)
		return ev.Event != "token"
	})
	if strings.Join(got, ",") != "queued,token" {
		t.Fatalf("events before disconnect: %v", got)
	}
	<-fi.started
	cancel() // the client goes away
	select {
	case err := <-fi.cancelled:
		if err != context.Canceled {
			t.Errorf("engine ctx error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("engine request not cancelled 10 s after the client disconnected")
	}
	time.Sleep(50 * time.Millisecond)
	if asks, _ := f.st.ListAsks(f.ct.StudyInstanceUID); len(asks) != 0 {
		t.Errorf("stored %+v", asks)
	}
}

// TestAsk_ShutdownEndsStream: Server.Shutdown ends a stream in progress
// (with an error event) and cancels its request.
func TestAsk_ShutdownEndsStream(t *testing.T) {
	fi := newFakeInfer("block")
	f := newFixture(t, Config{Infer: fi})
	base := f.listen(t)
	req, _ := http.NewRequest("POST", base+askPath(f.ct.Instances[0].SOPInstanceUID), strings.NewReader(`{"question":"q"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+f.staff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	<-fi.started
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- f.srv.Shutdown(ctx)
	}()
	evs := parseSSE(t, resp.Body)
	if len(evs) == 0 || evs[len(evs)-1].Event != "error" {
		t.Errorf("events %+v", evs)
	}
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
	select {
	case <-fi.cancelled:
	case <-time.After(5 * time.Second):
		t.Error("request not cancelled by shutdown")
	}
}

// TestAsk_ContextTooSmallIsClear: a prompt the model cannot fit reaches
// the user as too_large with the model's explanation, not "internal error".
func TestAsk_ContextTooSmallIsClear(t *testing.T) {
	f := newFixture(t, Config{Infer: newFakeInfer("context")})
	resp, body := f.do(t, "POST", askPath(f.ct.Instances[0].SOPInstanceUID), f.staff, map[string]any{"question": "q"})
	var code, msg string
	if resp.StatusCode == 200 { // the refusal came after the stream opened
		evs := parseSSE(t, bytes.NewReader(body))
		if len(evs) == 0 || evs[len(evs)-1].Event != "error" {
			t.Fatalf("events %+v", evs)
		}
		code, msg = apiErr(t, []byte(evs[len(evs)-1].Data))
	} else {
		code, msg = apiErr(t, body)
	}
	if code != CodeTooLarge || !strings.Contains(msg, "exceeds the context of 4096 tokens") || strings.HasPrefix(msg, "vlm:") {
		t.Errorf("HTTP %d, code %q, message %q", resp.StatusCode, code, msg)
	}
}
