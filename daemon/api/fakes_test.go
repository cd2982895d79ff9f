package api

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/store"
)

// fakeInfer is an Inferer for handler tests.
type fakeInfer struct {
	mode   string   // "stream" (default), "block" (until ctx is cancelled), "full" (ErrQueueFull), "fail" (ErrRunnerDied after one token), "context" (the prompt does not fit)
	tokens []string // streamed in order ("stream")
	queued int      // Status().Queued

	mu        sync.Mutex
	reqs      []infer.Request
	started   chan struct{} // closed when a "block" request starts waiting
	cancelled chan error    // receives ctx.Err() of a cancelled "block" request
	calls     atomic.Int32
}

func newFakeInfer(mode string, tokens ...string) *fakeInfer {
	return &fakeInfer{mode: mode, tokens: tokens, started: make(chan struct{}), cancelled: make(chan error, 1)}
}

func (f *fakeInfer) Do(ctx context.Context, req infer.Request, onToken func(infer.Token) error) (*infer.Result, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	switch f.mode {
	case "full":
		return nil, fmt.Errorf("infer: 16 waiting: %w", infer.ErrQueueFull)
	case "nomodel":
		return nil, infer.ErrNoModel
	case "context":
		return nil, &infer.RequestError{Code: infer.CodeContext, Message: "vlm: prompt of 9000 tokens (8800 of them for 2 images) exceeds the context of 4096 tokens; use fewer or smaller images (max pixels) or a larger context"}
	case "block":
		if err := onToken(infer.Token{ID: 1, Text: "Think"}); err != nil {
			return nil, err
		}
		close(f.started)
		<-ctx.Done()
		f.cancelled <- ctx.Err()
		return nil, ctx.Err()
	case "fail":
		if err := onToken(infer.Token{ID: 1, Text: "Part"}); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("infer: runner exited: %w", infer.ErrRunnerDied)
	}
	var ids []int
	var text strings.Builder
	for i, tk := range f.tokens {
		if err := onToken(infer.Token{ID: 100 + i, Text: tk}); err != nil {
			return nil, err
		}
		ids = append(ids, 100+i)
		text.WriteString(tk)
	}
	return &infer.Result{
		Text: text.String(), IDs: ids, Stop: "eos", PromptTokens: 40, ImageTokens: 16, ModelHash: "sha256:feed",
		TimingsMS: map[string]float64{"queue": 1, "preprocess": 2, "vision": 3, "prefill": 4, "decode": 5, "total": 15},
	}, nil
}

func (f *fakeInfer) Status() infer.Status {
	return infer.Status{State: infer.StateReady, ModelHash: "sha256:feed", Queued: f.queued}
}

// fakeDrafts is a DraftRequester that enqueues jobs in the store.
type fakeDrafts struct{ st *store.Store }

func (d fakeDrafts) RequestDraft(_ context.Context, studyUID, user string) (store.Job, error) {
	return d.st.EnqueueJob(store.Job{Kind: store.JobDraft, StudyUID: studyUID, Trigger: store.TriggerOnDemand, RequestedBy: user})
}

func (d fakeDrafts) CancelJob(_ context.Context, jobID, user string) (store.Job, error) {
	return d.st.CancelJob(jobID, user)
}

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct{ ID, Event, Data string }

// parseSSE parses an event stream (the subset we write: id, event, data,
// retry and comment lines).
func parseSSE(t *testing.T, r io.Reader) []sseEvent {
	t.Helper()
	var out []sseEvent
	readSSE(r, func(ev sseEvent) bool { out = append(out, ev); return true })
	return out
}

// readSSE calls fn for each event until fn returns false or r ends.
func readSSE(r io.Reader, fn func(sseEvent) bool) {
	sc := bufio.NewScanner(r)
	var cur sseEvent
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.Event != "" || len(data) > 0 {
				cur.Data = strings.Join(data, "\n")
				if !fn(cur) {
					return
				}
			}
			cur, data = sseEvent{}, nil
		case strings.HasPrefix(line, ":"), strings.HasPrefix(line, "retry:"):
		case strings.HasPrefix(line, "id: "):
			cur.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.Event = line[7:]
		case strings.HasPrefix(line, "data: "):
			data = append(data, line[6:])
		}
	}
}

// listen serves the fixture's app on a loopback port (for tests that need
// a real connection: streaming, client disconnects) and returns its base URL.
func (f *fixture) listen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.srv.App().Listener(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}
