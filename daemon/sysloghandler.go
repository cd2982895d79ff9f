package daemon

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

	"github.com/kardianos/service"
)

// SysLogHandler is a slog.Handler that writes records to a service
// manager's log (kardianos service.Logger: syslog/journald on Linux, the
// Event Log on Windows) as one line "message key=value …", at the matching
// severity (error, warning, info). Groups flatten to dotted keys.
type SysLogHandler struct {
	sys    service.Logger
	min    slog.Level
	prefix string // "g1.g2." from WithGroup
	attrs  string // pre-formatted attributes from WithAttrs
}

// NewSysLogHandler forwards records at min and above to sys.
func NewSysLogHandler(sys service.Logger, min slog.Level) *SysLogHandler {
	return &SysLogHandler{sys: sys, min: min}
}

// Enabled reports whether level reaches the handler's minimum.
func (h *SysLogHandler) Enabled(_ context.Context, level slog.Level) bool { return level >= h.min }

// Handle writes one record.
func (h *SysLogHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		appendAttr(&b, h.prefix, a)
		return true
	})
	line := b.String()
	switch {
	case r.Level >= slog.LevelError:
		return h.sys.Error(line)
	case r.Level >= slog.LevelWarn:
		return h.sys.Warning(line)
	default:
		return h.sys.Info(line)
	}
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *SysLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		appendAttr(&b, h.prefix, a)
	}
	h2 := *h
	h2.attrs = b.String()
	return &h2
}

// WithGroup returns a handler that qualifies later keys with name.
func (h *SysLogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			appendAttr(b, p, ga)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(prefix)
	b.WriteString(a.Key)
	b.WriteByte('=')
	v := a.Value.String()
	if v == "" || strings.ContainsAny(v, " \t\n\"=") {
		v = strconv.Quote(v)
	}
	b.WriteString(v)
}
