package harness

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress prints a bar redrawn in place on a terminal, or a plain line
// every 10% (and at least every 30 s) otherwise.
type progress struct {
	w          io.Writer
	terminal   bool
	total      int
	done       int
	cached     int
	start      time.Time
	lastLine   time.Time
	lastDecile int
}

func newProgress(w io.Writer, terminal bool, total int) *progress {
	return &progress{w: w, terminal: terminal, total: total, start: time.Now(), lastLine: time.Now()}
}

func (p *progress) step(dataset string, cached bool) {
	if p == nil || p.w == nil {
		return
	}
	p.done++
	if cached {
		p.cached++
	}
	el := time.Since(p.start)
	computed := p.done - p.cached
	eta := "?"
	if computed > 0 {
		per := el / time.Duration(computed)
		eta = (per * time.Duration(p.total-p.done)).Round(time.Second).String()
	}
	if p.terminal {
		const width = 30
		n := width * p.done / max(p.total, 1)
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d %-16s cached %d  elapsed %s  eta %s   ",
			strings.Repeat("=", n), strings.Repeat(" ", width-n), p.done, p.total, dataset, p.cached,
			el.Round(time.Second), eta)
		if p.done == p.total {
			fmt.Fprintln(p.w)
		}
		return
	}
	decile := 10 * p.done / max(p.total, 1)
	if decile > p.lastDecile || time.Since(p.lastLine) > 30*time.Second || p.done == p.total {
		p.lastDecile, p.lastLine = decile, time.Now()
		fmt.Fprintf(p.w, "eval: %d/%d samples (%s), %d cached, elapsed %s, eta %s\n",
			p.done, p.total, dataset, p.cached, el.Round(time.Second), eta)
	}
}
