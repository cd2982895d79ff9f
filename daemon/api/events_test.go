package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

// allEvents returns every recorded event.
func allEvents(t *testing.T, st *store.Store) []store.Event {
	t.Helper()
	evs, err := st.EventsSince(0, store.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// getEvents runs GET /events (the stream ends after EventStreamMax) with
// an optional Last-Event-ID and returns the events.
func (f *fixture) getEvents(t *testing.T, lastID string) []sseEvent {
	t.Helper()
	req := httptest.NewRequest("GET", "/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+f.staff)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := f.srv.App().Test(req, 10000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("events: %d %v", resp.StatusCode, resp.Header)
	}
	return parseSSE(t, resp.Body)
}

// TestEvents_ResumeWithLastEventID: with Last-Event-ID the events after
// it are replayed in order with their seq as id; without it none are.
func TestEvents_ResumeWithLastEventID(t *testing.T) {
	f := newFixture(t, Config{EventStreamMax: 300 * time.Millisecond})
	f.addDraft(t, "Draft.")
	if _, err := f.st.SignReport(f.ct.StudyInstanceUID, 1, "drwang"); err != nil {
		t.Fatal(err)
	}
	rec := allEvents(t, f.st)
	if len(rec) < 2 {
		t.Fatalf("recorded events %+v", rec)
	}
	for _, c := range []struct {
		last string
		want []store.Event
	}{
		{"0", rec},
		{strconv.FormatUint(rec[len(rec)-2].Seq, 10), rec[len(rec)-1:]},
		{strconv.FormatUint(rec[len(rec)-1].Seq, 10), nil},
		{"", nil},
	} {
		got := f.getEvents(t, c.last)
		if len(got) != len(c.want) {
			t.Fatalf("Last-Event-ID %q: %d events, want %d: %+v", c.last, len(got), len(c.want), got)
		}
		for i, ev := range got {
			var e store.Event
			json.Unmarshal([]byte(ev.Data), &e)
			w := c.want[i]
			if ev.ID != strconv.FormatUint(w.Seq, 10) || ev.Event != string(w.Type) || e.Seq != w.Seq || e.StudyUID != w.StudyUID || e.Version != w.Version {
				t.Errorf("event %d = %+v, want %+v", i, ev, w)
			}
		}
	}
	last := rec[len(rec)-1]
	if last.Type != store.ReportSigned || last.Version != 1 {
		t.Errorf("last event %+v", last)
	}
	req := httptest.NewRequest("GET", "/api/v1/events?last_event_id=x", nil)
	req.Header.Set("Authorization", "Bearer "+f.staff)
	if resp, _ := f.srv.App().Test(req); resp.StatusCode != 400 {
		t.Errorf("bad Last-Event-ID: %d", resp.StatusCode)
	}
}

// TestEvents_LiveThenResume: a connected client gets new events as they
// happen; after a disconnect it resumes from its last id with no gap and
// no duplicate.
func TestEvents_LiveThenResume(t *testing.T) {
	f := newFixture(t, Config{SSEHeartbeat: 50 * time.Millisecond})
	base := f.listen(t)
	// open connects and returns the stream's events as they arrive.
	open := func(ctx context.Context, last string) <-chan sseEvent {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+f.staff)
		if last != "" {
			req.Header.Set("Last-Event-ID", last)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("open events: %v %v", resp, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		ch := make(chan sseEvent, 16)
		go func() {
			defer close(ch)
			readSSE(resp.Body, func(ev sseEvent) bool { ch <- ev; return true })
		}()
		return ch
	}
	next := func(ch <-chan sseEvent) sseEvent {
		t.Helper()
		select {
		case ev := <-ch:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10 s")
		}
		return sseEvent{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := open(ctx, "") // subscribed: the handler subscribes before the headers go out
	f.addDraft(t, "One.")
	ev := next(r)
	if ev.Event != string(store.ReportAdded) {
		t.Fatalf("live event %+v", ev)
	}
	cancel() // disconnect; two more events happen meanwhile
	f.addDraft(t, "Two.")
	if _, err := f.st.SignReport(f.ct.StudyInstanceUID, 2, "drwang"); err != nil {
		t.Fatal(err)
	}
	r = open(context.Background(), ev.ID)
	first, second := next(r), next(r)
	id, _ := strconv.Atoi(ev.ID)
	if first.Event != string(store.ReportAdded) || first.ID != strconv.Itoa(id+1) ||
		second.Event != string(store.ReportSigned) || second.ID != strconv.Itoa(id+2) {
		t.Fatalf("resumed: %+v %+v after %s", first, second, ev.ID)
	}
	f.addDraft(t, "Three.")
	if third := next(r); third.ID != strconv.Itoa(id+3) {
		t.Fatalf("live after resume: %+v", third)
	}
}

// TestEvents_GapIsFilled: an event arriving after a gap (the
// subscription dropped events) makes the stream send the missing ones
// from the store first, once each.
func TestEvents_GapIsFilled(t *testing.T) {
	f := newFixture(t, Config{})
	for i := 0; i < 3; i++ {
		f.addDraft(t, "Draft.")
	}
	rec := allEvents(t, f.st)
	n := len(rec)
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	es := &eventStream{s: f.srv, sw: newSSEWriter(w, nil, 0), last: rec[n-4].Seq, known: true}
	if err := es.send(rec[n-1]); err != nil { // seq-3 and seq-2... missing
		t.Fatal(err)
	}
	if err := es.send(rec[n-2]); err != nil { // duplicate: skipped
		t.Fatal(err)
	}
	got := parseSSE(t, &buf)
	if len(got) != 3 {
		t.Fatalf("events %+v", got)
	}
	for i, ev := range got {
		if ev.ID != strconv.FormatUint(rec[n-3+i].Seq, 10) {
			t.Errorf("event %d id %s, want %d", i, ev.ID, rec[n-3+i].Seq)
		}
	}
}
