package store

import (
	"testing"
	"time"
)

func recv(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
		return Event{}
	}
}

func noEvent(t *testing.T, ch <-chan Event) {
	t.Helper()
	select {
	case ev := <-ch:
		t.Fatalf("unexpected event %+v", ev)
	default:
	}
}

func TestStable_EmitsAfterQuietPeriodThenLateArrival(t *testing.T) {
	clk := newClock()
	s := openTest(t, t.TempDir(), testOptions(clk))
	ch, cancel := s.Subscribe()
	defer cancel()

	mustPut(t, s, inst{SOP: "1.2.3.1.1.1"})
	if ev := recv(t, ch); ev.Type != StudyReceived || ev.NumInstances != 1 {
		t.Errorf("first event = %+v, want study_received", ev)
	}
	clk.Advance(59 * time.Minute)
	mustPut(t, s, inst{SOP: "1.2.3.1.1.2"})
	clk.Advance(59 * time.Minute) // 59 min after the last instance: not yet
	if _, err := s.sweepStable(); err != nil {
		t.Fatal(err)
	}
	noEvent(t, ch)
	clk.Advance(time.Minute)
	next, err := s.sweepStable()
	if err != nil {
		t.Fatal(err)
	}
	ev := recv(t, ch)
	if ev.Type != StudyStable || ev.StudyUID != "1.2.3.1" || ev.NumInstances != 2 || ev.Seq == 0 {
		t.Errorf("event = %+v", ev)
	}
	if !next.IsZero() {
		t.Errorf("next deadline %v with nothing pending", next)
	}
	if st, _ := s.Study("1.2.3.1"); !st.Stable {
		t.Errorf("study not marked stable")
	}
	// Sweeping again emits nothing.
	s.sweepStable()
	noEvent(t, ch)

	clk.Advance(time.Hour)
	mustPut(t, s, inst{SOP: "1.2.3.1.1.3"})
	late := recv(t, ch)
	if late.Type != StudyLateArrival || late.NumInstances != 3 || late.Seq <= ev.Seq {
		t.Errorf("late event = %+v", late)
	}
	clk.Advance(time.Hour)
	s.sweepStable()
	again := recv(t, ch)
	if again.Type != StudyStable || again.NumInstances != 3 {
		t.Errorf("second stable = %+v", again)
	}
	evs, err := s.EventsSince(0, 0)
	if err != nil || len(evs) != 4 || evs[0].Type != StudyReceived || evs[1].Type != StudyStable || evs[2].Type != StudyLateArrival ||
		evs[3].Type != StudyStable {
		t.Errorf("recorded events = %+v, %v", evs, err)
	}
	if err := s.DeleteEventsThrough(evs[2].Seq); err != nil {
		t.Fatal(err)
	}
	if evs, _ := s.EventsSince(0, 0); len(evs) != 1 || evs[0].Seq != again.Seq {
		t.Errorf("after delete: %+v", evs)
	}
}

func TestStable_PendingSurvivesRestart(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	s := openTest(t, dir, testOptions(clk))
	mustPut(t, s, inst{})
	clk.Advance(30 * time.Minute)
	s.Close()

	s = openTest(t, dir, testOptions(clk))
	ch, cancel := s.Subscribe()
	defer cancel()
	next, _ := s.sweepStable()
	noEvent(t, ch)
	if want := clk.Now().Add(30 * time.Minute); !next.Equal(want) {
		t.Errorf("timer restarted at %v, want %v (from the stored last update)", next, want)
	}
	clk.Advance(30 * time.Minute)
	s.sweepStable()
	if ev := recv(t, ch); ev.Type != StudyStable || ev.NumInstances != 1 {
		t.Errorf("event after restart = %+v", ev)
	}
}

func TestStable_BackgroundTimerFires(t *testing.T) {
	opts := testOptions(newClock())
	opts.Now = nil
	opts.StableAfter = 50 * time.Millisecond
	s := openTest(t, t.TempDir(), opts)
	ch, cancel := s.Subscribe()
	defer cancel()
	mustPut(t, s, inst{})
	if ev := recv(t, ch); ev.Type != StudyReceived {
		t.Errorf("event = %+v", ev)
	}
	if ev := recv(t, ch); ev.Type != StudyStable {
		t.Errorf("event = %+v", ev)
	}
}

func TestSubscribe_FullBufferNeverBlocksStore(t *testing.T) {
	clk := newClock()
	opts := testOptions(clk)
	opts.EventBuffer = 1
	s := openTest(t, t.TempDir(), opts)
	_, cancel := s.Subscribe() // never read
	defer cancel()
	for i := 1; i <= 3; i++ {
		mustPut(t, s, inst{Study: "1.2.3." + itoa(i)})
	}
	clk.Advance(2 * time.Hour)
	done := make(chan struct{})
	go func() { s.sweepStable(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("sweep blocked on a full subscriber")
	}
	// 3 study_received + 3 study_stable events, 1 buffered.
	if s.DroppedEvents() != 5 {
		t.Errorf("dropped = %d, want 5", s.DroppedEvents())
	}
	if evs, _ := s.EventsSince(0, 0); len(evs) != 6 {
		t.Errorf("recorded %d events, want 6", len(evs))
	}
	cancel()
	cancel() // idempotent
}
