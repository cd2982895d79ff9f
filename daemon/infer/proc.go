package infer

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Restart policy: the delay doubles from restartMin to restartMax; a
// runner that exits before "ready" maxEarlyExits times in a row (without a
// load_failed message) leaves the Engine failed.
const (
	restartMin    = 100 * time.Millisecond
	restartMax    = 5 * time.Second
	maxEarlyExits = 3
)

// proc is one runner process.
type proc struct {
	cmd     *exec.Cmd
	outMu   sync.Mutex
	out     chan message  // to the writer goroutine (stdin)
	outDone bool          // out is closed
	exited  chan struct{} // closed after Wait
	waitErr error
	log     *slog.Logger

	// guarded by Engine.mu
	ready   bool
	loadErr string
}

// send queues m for the runner's stdin; a runner too far behind is killed.
func (p *proc) send(m message) {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	if p.outDone {
		return
	}
	select {
	case p.out <- m:
	default:
		p.log.Error("runner input backlog full; killing runner")
		p.kill()
	}
}

// closeInput closes the runner's stdin once its queued messages are written.
func (p *proc) closeInput() {
	p.outMu.Lock()
	defer p.outMu.Unlock()
	if !p.outDone {
		p.outDone = true
		close(p.out)
	}
}

func (p *proc) kill() {
	if p.cmd.Process != nil {
		p.cmd.Process.Kill()
	}
}

// supervise runs runners until Close: it restarts one that died (with
// backoff) and gives up when the model cannot be loaded.
func (e *Engine) supervise(ctx context.Context) {
	defer close(e.done)
	delay, early := restartMin, 0
	for {
		p, err := e.startProc()
		if err != nil {
			e.mu.Lock()
			e.failLocked(err.Error())
			e.mu.Unlock()
			return
		}
		<-p.exited
		e.mu.Lock()
		e.proc = nil
		died := fmt.Sprintf("runner exited: %v", p.waitErr)
		if j := e.running; j != nil {
			e.running = nil
			e.finish(j, nil, fmt.Errorf("%w: %s during request %d; the runner is restarting", ErrRunnerDied, died, j.id))
		}
		if e.closed {
			e.mu.Unlock()
			return
		}
		if p.ready {
			delay, early = restartMin, 0
		} else {
			early++
		}
		switch {
		case p.loadErr != "":
			e.failLocked(p.loadErr)
		case early >= maxEarlyExits:
			e.failLocked(fmt.Sprintf("%s before the model was ready (%d times)", died, early))
		}
		if e.state == StateFailed {
			e.mu.Unlock()
			return
		}
		e.restarts++
		e.state, e.lastErr = StateRestarting, died
		e.log.Warn("runner died; restarting", "err", p.waitErr, "restarts", e.restarts, "delay", delay)
		e.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
		delay = min(2*delay, restartMax)
	}
}

// failLocked marks the Engine failed and fails every waiting request.
func (e *Engine) failLocked(why string) {
	e.state, e.lastErr = StateFailed, why
	e.log.Error("model unavailable", "model", e.cfg.ModelPath, "err", why)
	for _, j := range e.inter {
		e.finish(j, nil, fmt.Errorf("%w: model %s failed: %s", ErrNoModel, e.cfg.ModelPath, why))
	}
	for _, j := range e.bg {
		e.finish(j, nil, fmt.Errorf("%w: model %s failed: %s", ErrNoModel, e.cfg.ModelPath, why))
	}
	e.inter, e.bg = nil, nil
}

// startProc launches a runner and the goroutines that feed it, read its
// messages and logs, and wait for it.
func (e *Engine) startProc() (*proc, error) {
	args := append(append([]string(nil), e.cfg.Args...), "--model", e.cfg.ModelPath, "--backend", e.cfg.Backend)
	if e.cfg.HashCache != "" {
		args = append(args, "--hash-cache", e.cfg.HashCache)
	}
	cmd := exec.Command(e.exe, args...)
	cmd.Env = append(os.Environ(), e.cfg.Env...)
	dieWithParent(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("infer: runner stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("infer: runner stdout: %w", err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("infer: runner stderr: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("infer: start runner %s: %w", e.exe, err)
	}
	p := &proc{cmd: cmd, out: make(chan message, 64), exited: make(chan struct{}),
		log: e.log.With("runner_pid", cmd.Process.Pid)}
	e.proc = p
	if e.state != StateRestarting {
		e.state = StateStarting
	}
	p.log.Info("runner started", "exe", e.exe, "model", e.cfg.ModelPath, "backend", e.cfg.Backend)
	go p.writeLoop(stdin)
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); e.readLoop(p, stdout) }()
	go func() { defer readers.Done(); relog(p.log, stderr) }()
	go func() {
		readers.Wait()
		p.waitErr = cmd.Wait()
		p.closeInput()
		close(p.exited)
	}()
	return p, nil
}

// writeLoop writes queued messages to stdin; closing out closes stdin.
func (p *proc) writeLoop(stdin io.WriteCloser) {
	w := &lineWriter{w: stdin}
	for m := range p.out {
		if err := w.send(m); err != nil {
			p.log.Warn("write to runner", "err", err)
			break
		}
	}
	stdin.Close()
	for range p.out { // drain until closed
	}
}

// readLoop handles the runner's messages until its stdout closes.
func (e *Engine) readLoop(p *proc, stdout io.Reader) {
	sc := newLineScanner(stdout)
	for sc.Scan() {
		m, err := decodeMessage(sc.Bytes())
		if err != nil {
			p.log.Warn("bad message from runner", "err", err)
			continue
		}
		e.mu.Lock()
		e.handleLocked(p, m)
		e.mu.Unlock()
	}
	if err := sc.Err(); err != nil {
		p.log.Warn("read from runner", "err", err)
		p.kill()
	}
}

// handleLocked applies one runner message.
func (e *Engine) handleLocked(p *proc, m message) {
	if e.proc != p {
		return
	}
	switch m.Type {
	case msgReady:
		p.ready = true
		if !e.closed {
			e.state, e.lastErr = StateReady, ""
		}
		e.hash, e.backend = m.ModelHash, m.Backend
		p.log.Info("model ready", "model", e.cfg.ModelPath, "hash", m.ModelHash, "backend", m.Backend)
		e.dispatchLocked()
		return
	case msgLoadFailed:
		p.loadErr = m.Error
		return
	}
	j := e.running
	if j == nil || j.id != m.ID {
		return // a late message for a request already failed or closed
	}
	switch m.Type {
	case msgToken:
		if !j.cancelled && !j.preempting {
			j.toks = append(j.toks, Token{ID: m.Token, Text: m.Text})
			j.wake()
		}
	case msgDone:
		e.running = nil
		e.finish(j, e.result(j, m.Result), nil)
	case msgError:
		e.running = nil
		if m.Code == codeCancelled {
			e.stepsAfterCancel = m.StepsAfterCancel
			e.cancelledRuns++
			e.log.Info("request cancelled", "id", m.ID, "decode_steps_after_cancel", m.StepsAfterCancel)
		}
		switch {
		case j.cancelled || j.finished:
			e.finish(j, nil, context.Canceled)
		case j.preempting && m.Code == codeCancelled:
			j.preempting = false
			j.toks = append(j.toks, Token{Reset: true})
			j.enqueued = time.Now()
			e.bg = append([]*job{j}, e.bg...)
			j.wake()
		default:
			e.finish(j, nil, &RequestError{Code: m.Code, Message: m.Error})
		}
	}
	e.dispatchLocked()
}

// result builds Result from the runner's answer.
func (e *Engine) result(j *job, w *wireResult) *Result {
	tm := make(map[string]float64, len(w.TimingsMS)+2)
	for k, v := range w.TimingsMS {
		tm[k] = v
	}
	tm["queue"] = msF(j.queueWait)
	tm["total"] = msF(time.Since(j.begin))
	return &Result{Text: w.Text, IDs: w.IDs, Stop: w.Stop, PromptTokens: w.PromptTokens, ImageTokens: w.ImageTokens,
		TimingsMS: tm, ModelHash: e.hash, ModelPath: e.cfg.ModelPath, Backend: e.backend}
}

// relog logs the runner's stderr again: slog JSON records keep their level,
// message and attributes; other lines (a panic) are logged as warnings.
func relog(log *slog.Logger, stderr io.Reader) {
	br := bufio.NewReaderSize(stderr, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			relogLine(log, line)
		}
		if err != nil {
			return
		}
	}
}

func relogLine(log *slog.Logger, line string) {
	var rec map[string]any
	if json.Unmarshal([]byte(line), &rec) != nil {
		log.Warn("runner output", "line", line)
		return
	}
	var level slog.Level
	if s, ok := rec["level"].(string); !ok || level.UnmarshalText([]byte(s)) != nil {
		level = slog.LevelInfo
	}
	msg, _ := rec["msg"].(string)
	delete(rec, "time")
	delete(rec, "level")
	delete(rec, "msg")
	attrs := make([]any, 0, 2*len(rec))
	for k, v := range rec {
		attrs = append(attrs, k, v)
	}
	log.Log(context.Background(), level, "runner: "+msg, attrs...)
}
