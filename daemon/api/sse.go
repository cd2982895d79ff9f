package api

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// streamDefaults fills the zero stream settings of cfg.
func streamDefaults(cfg Config) Config {
	if cfg.SSEHeartbeat <= 0 {
		cfg.SSEHeartbeat = 15 * time.Second
	}
	if cfg.EventStreamMax <= 0 {
		cfg.EventStreamMax = 30 * time.Minute
	}
	if cfg.StreamWriteTimeout <= 0 {
		cfg.StreamWriteTimeout = time.Minute
	}
	if cfg.AskAdmitWait <= 0 {
		cfg.AskAdmitWait = 200 * time.Millisecond
	}
	if cfg.AskRetryAfter <= 0 {
		cfg.AskRetryAfter = 5 * time.Second
	}
	if cfg.MaxAskTokens <= 0 {
		cfg.MaxAskTokens = 1024
	}
	if cfg.MaxQuestionLen <= 0 {
		cfg.MaxQuestionLen = 4000
	}
	return cfg
}

// sseWriter writes Server-Sent Events to a fasthttp body stream. Every
// event is flushed at once; the first failed write or flush (the client
// is gone) makes every later call fail fast, and the owner cancels its
// work. It extends the connection's write deadline before each event so
// that a long stream is bounded per write, not as a whole.
type sseWriter struct {
	w       *bufio.Writer
	conn    net.Conn // may be nil
	timeout time.Duration
	err     error
}

// startSSE sets the response headers of an event stream and returns the
// connection (for write deadlines). The handler then calls
// c.Context().SetBodyStreamWriter with a function that must not touch c:
// fiber recycles c when the handler returns, before the stream ends.
func startSSE(c *fiber.Ctx) net.Conn {
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Status(fiber.StatusOK)
	return c.Context().Conn()
}

func newSSEWriter(w *bufio.Writer, conn net.Conn, timeout time.Duration) *sseWriter {
	return &sseWriter{w: w, conn: conn, timeout: timeout}
}

// event writes one event: optional id, the event name and data as JSON.
func (s *sseWriter) event(id, name string, data any) error {
	if s.err != nil {
		return s.err
	}
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("api: sse encode %s: %w", name, err)
	}
	var sb strings.Builder
	if id != "" {
		sb.WriteString("id: " + id + "\n")
	}
	sb.WriteString("event: " + name + "\n")
	// json.Marshal output has no raw newlines, so one data line suffices.
	sb.WriteString("data: ")
	sb.Write(b)
	sb.WriteString("\n\n")
	return s.raw(sb.String())
}

// comment writes a comment line (a heartbeat that clients ignore).
func (s *sseWriter) comment(text string) error { return s.raw(": " + text + "\n\n") }

// retry tells the client how long to wait before reconnecting.
func (s *sseWriter) retry(d time.Duration) error {
	return s.raw(fmt.Sprintf("retry: %d\n\n", d.Milliseconds()))
}

func (s *sseWriter) raw(text string) error {
	if s.err != nil {
		return s.err
	}
	if s.conn != nil && s.timeout > 0 {
		_ = s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
	}
	if _, err := s.w.WriteString(text); err != nil {
		s.err = fmt.Errorf("api: sse write: %w", err)
		return s.err
	}
	if err := s.w.Flush(); err != nil {
		s.err = fmt.Errorf("api: sse flush: %w", err)
		return s.err
	}
	return nil
}
