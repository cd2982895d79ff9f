package api

import (
	"bufio"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/store"
)

// eventsRetry is the reconnection delay suggested to EventSource clients.
const eventsRetry = 3 * time.Second

// events: GET /api/v1/events → text/event-stream of store events
// (study_received, study_stable, study_late_arrival, job_updated,
// report_added, report_signed): "id: <seq>", "event: <type>", data the
// Event as JSON. With Last-Event-ID (header, as EventSource sends on
// reconnecting, or ?last_event_id= for the first connection) the events
// after that sequence number are replayed first, then live ones follow
// with no gap and no duplicate. Without it only new events are sent. The
// stream ends after Config.EventStreamMax (the client reconnects and
// resumes) or when the server shuts down.
func (s *Server) events(c *fiber.Ctx) error {
	raw := c.Get("Last-Event-ID")
	if raw == "" {
		raw = c.Query("last_event_id")
	}
	var after uint64
	resume := raw != ""
	if resume {
		n, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			return badRequest("Last-Event-ID must be an event sequence number")
		}
		after = n
	}
	// Subscribe before replaying, so that an event committed during the
	// replay is either in the replay or on the channel.
	ch, unsubscribe := s.st.Subscribe()
	conn := startSSE(c)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer unsubscribe()
		s.streamEvents(newSSEWriter(w, conn, s.cfg.StreamWriteTimeout), ch, after, resume)
	})
	return nil
}

// eventStream tracks what a client has been sent.
type eventStream struct {
	s     *Server
	sw    *sseWriter
	last  uint64 // highest Seq sent
	known bool   // last is meaningful (a resume point, or an event was sent)
}

// send writes ev unless it was sent already; a gap before it (events this
// subscriber's channel dropped) is filled from the store first.
func (es *eventStream) send(ev store.Event) error {
	if es.known && ev.Seq <= es.last {
		return nil
	}
	if es.known && ev.Seq > es.last+1 {
		if err := es.replay(); err != nil {
			return err
		}
		if ev.Seq <= es.last {
			return nil
		}
	}
	if err := es.sw.event(strconv.FormatUint(ev.Seq, 10), string(ev.Type), ev); err != nil {
		return err
	}
	es.last, es.known = ev.Seq, true
	return nil
}

// replay sends every recorded event after es.last.
func (es *eventStream) replay() error {
	for {
		evs, err := es.s.st.EventsSince(es.last, store.MaxLimit)
		if err != nil {
			es.s.streamError(es.sw, err)
			return err
		}
		for _, ev := range evs {
			if err := es.sw.event(strconv.FormatUint(ev.Seq, 10), string(ev.Type), ev); err != nil {
				return err
			}
			es.last = ev.Seq
		}
		if len(evs) < store.MaxLimit {
			return nil
		}
	}
}

func (s *Server) streamEvents(sw *sseWriter, ch <-chan store.Event, after uint64, resume bool) {
	es := &eventStream{s: s, sw: sw, last: after, known: resume}
	if sw.retry(eventsRetry) != nil {
		return
	}
	if resume && es.replay() != nil {
		return
	}
	hb := time.NewTicker(s.cfg.SSEHeartbeat)
	defer hb.Stop()
	end := time.NewTimer(s.cfg.EventStreamMax)
	defer end.Stop()
	for {
		select {
		case ev, ok := <-ch:
			if !ok { // store closed
				return
			}
			if es.send(ev) != nil {
				return
			}
		case <-hb.C:
			if sw.comment("ping") != nil {
				return
			}
		case <-end.C:
			return
		case <-s.quit:
			return
		}
	}
}
