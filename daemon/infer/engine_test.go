package infer

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lingshu-edge/lingshu/internal/golden"
	"github.com/lingshu-edge/lingshu/kernels/cpu"
	"github.com/lingshu-edge/lingshu/model/vlm"
)

// envRunner makes the test binary act as `lingshu runner` (see TestMain),
// so the tests need no separate build. envWriteDelay (a duration) slows
// every message the runner writes, hence every decode step, so that a test
// can act while a request is surely still generating.
const (
	envRunner     = "LINGSHU_INFER_TEST_RUNNER"
	envWriteDelay = "LINGSHU_INFER_TEST_WRITE_DELAY"
)

// slowWriter sleeps before each write.
type slowWriter struct {
	w     io.Writer
	delay time.Duration
}

func (s slowWriter) Write(p []byte) (int, error) {
	time.Sleep(s.delay)
	return s.w.Write(p)
}

func TestMain(m *testing.M) {
	if os.Getenv(envRunner) == "1" {
		os.Exit(runnerMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// runnerMain is `lingshu runner` inside the test binary.
func runnerMain(args []string) int {
	var out io.Writer = os.Stdout
	if d, err := time.ParseDuration(os.Getenv(envWriteDelay)); err == nil {
		out = slowWriter{os.Stdout, d}
	}
	if err := RunnerMain(context.Background(), args, os.Stdin, out, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "runner:", err)
		return 1
	}
	return 0
}

// tinyDir is the golden qwen25vl-tiny folder (skips when absent).
func tinyDir(t *testing.T) string {
	return golden.Dir(t, "qwen25vl-tiny", "model.safetensors")
}

func loadPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// testLogger writes the Engine's (and the runner's relogged) records to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startEngine starts an Engine whose runner is this test binary.
func startEngine(t *testing.T, modelPath string, edit func(*Config)) *Engine {
	t.Helper()
	cfg := Config{ModelPath: modelPath, Backend: "cpu", Exe: os.Args[0], Args: []string{"runner", "--threads", "1", "--debug"},
		Env:    []string{envRunner + "=1"},
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if edit != nil {
		edit(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return e
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // -race on a loaded machine is slow
	t.Cleanup(cancel)
	return ctx
}

// longRequest generates until cancelled (a text-only prompt, many tokens).
func longRequest(p Priority) Request {
	return Request{Priority: p, Question: "Count slowly to one thousand.", MaxTokens: 3000}
}

func TestDo_StreamsGreedyIDsOfVLMAsk(t *testing.T) {
	dir := tinyDir(t)
	img := loadPNG(t, filepath.Join(dir, "img1_gradient_224x224.png"))
	const q, n = "Describe this image.", 12

	be := cpu.New(1)
	defer be.Close()
	m, err := vlm.Open(dir, be)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want, err := m.Ask(context.Background(), []image.Image{img}, q, vlm.Options{MaxTokens: n})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := m.Ckpt.Hash()
	if err != nil {
		t.Fatal(err)
	}

	e := startEngine(t, dir, nil)
	var streamed []int
	res, err := e.Do(testCtx(t), Request{Images: []image.Image{img}, Question: q, MaxTokens: n}, func(tok Token) error {
		if tok.Reset {
			t.Error("interactive request got a reset")
		}
		streamed = append(streamed, tok.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.IDs, want.IDs) || !slices.Equal(streamed, want.IDs) {
		t.Fatalf("ids: result %v streamed %v, in-process vlm.Ask %v", res.IDs, streamed, want.IDs)
	}
	if res.Text != want.Text || res.Stop != want.Stop || res.PromptTokens != want.PromptTokens || res.ImageTokens != want.ImageTokens {
		t.Errorf("result %+v, want text %q stop %s prompt %d image %d", res, want.Text, want.Stop, want.PromptTokens, want.ImageTokens)
	}
	if res.ModelHash != hash || res.ModelPath != dir || res.Backend != "cpu" {
		t.Errorf("provenance %q %q %q, want hash %q", res.ModelHash, res.ModelPath, res.Backend, hash)
	}
	for _, k := range []string{"queue", "preprocess", "vision", "prefill", "decode", "total"} {
		if _, ok := res.TimingsMS[k]; !ok {
			t.Errorf("timings_ms lacks %q: %v", k, res.TimingsMS)
		}
	}
	if st := e.Status(); st.State != StateReady || st.ModelHash != hash || st.Running != 0 || st.Queued != 0 {
		t.Errorf("status %+v", st)
	}
}

func TestDo_TwoConcurrentInteractiveBothComplete(t *testing.T) {
	e := startEngine(t, tinyDir(t), nil)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	results := make([]*Result, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.Do(ctx, Request{Question: fmt.Sprintf("Question %d?", i), MaxTokens: 6}, nil)
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if len(results[i].IDs) == 0 {
			t.Errorf("request %d: no tokens", i)
		}
	}
}

func TestDo_InteractivePreemptsBackground(t *testing.T) {
	// 50 ms per token: the background request runs ≥ 0.6 s, far longer
	// than it takes the interactive one to arrive.
	e := startEngine(t, tinyDir(t), func(c *Config) { c.Env = append(c.Env, envWriteDelay+"=50ms") })
	ctx := testCtx(t)
	bgReq := Request{Priority: Background, Question: "Write a long report.", MaxTokens: 12}
	var (
		mu       sync.Mutex
		order    []string
		resets   int
		bgIDs    []int
		launched bool
		interRes *Result
		interErr error
		wg       sync.WaitGroup
	)
	bgRes, err := e.Do(ctx, bgReq, func(tok Token) error {
		if tok.Reset {
			resets++
			bgIDs = nil
			return nil
		}
		bgIDs = append(bgIDs, tok.ID)
		if !launched {
			launched = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				interRes, interErr = e.Do(ctx, Request{Question: "Urgent?", MaxTokens: 4}, nil)
				mu.Lock()
				order = append(order, "interactive")
				mu.Unlock()
			}()
		}
		return nil
	})
	mu.Lock()
	order = append(order, "background")
	mu.Unlock()
	wg.Wait()
	if err != nil || interErr != nil {
		t.Fatalf("background: %v; interactive: %v", err, interErr)
	}
	if resets != 1 {
		t.Errorf("background got %d resets, want 1", resets)
	}
	if !slices.Equal(order, []string{"interactive", "background"}) {
		t.Errorf("finish order %v", order)
	}
	if len(interRes.IDs) == 0 {
		t.Error("interactive request produced no tokens")
	}
	if !slices.Equal(bgIDs, bgRes.IDs) {
		t.Errorf("tokens after the reset %d ids differ from the result's %d", len(bgIDs), len(bgRes.IDs))
	}
	// The restarted background answer is the uninterrupted greedy one.
	again, err := e.Do(ctx, bgReq, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.IDs, bgRes.IDs) {
		t.Errorf("preempted then restarted ids differ from an uninterrupted run")
	}
}

func TestDo_CancelStopsWithinOneDecodeStep(t *testing.T) {
	e := startEngine(t, tinyDir(t), nil)
	e.mu.Lock()
	e.stepsAfterCancel = -1
	e.mu.Unlock()
	ctx, cancel := context.WithCancel(testCtx(t))
	n := 0
	_, err := e.Do(ctx, longRequest(Interactive), func(Token) error {
		if n++; n == 5 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Do after cancel: %v", err)
	}
	waitFor(t, "the runner to answer the cancel", func() bool { return e.Status().Running == 0 })
	e.mu.Lock()
	steps := e.stepsAfterCancel
	e.mu.Unlock()
	if steps < 0 || steps > 1 {
		t.Fatalf("runner ran %d decode steps after the cancel arrived, want at most 1", steps)
	}
	t.Logf("decode steps after cancel: %d", steps)
	if _, err := e.Do(testCtx(t), Request{Question: "Next?", MaxTokens: 3}, nil); err != nil {
		t.Fatalf("request after a cancel: %v", err)
	}
}

func TestDo_QueueFull(t *testing.T) {
	e := startEngine(t, tinyDir(t), func(c *Config) { c.QueueSize = 1 })
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	started := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 2)
	go func() {
		_, err := e.Do(ctx, longRequest(Interactive), func(Token) error { once.Do(func() { close(started) }); return nil })
		errc <- err
	}()
	<-started
	go func() { _, err := e.Do(ctx, longRequest(Background), nil); errc <- err }()
	waitFor(t, "one waiting request", func() bool { return e.QueueLen() == 1 })
	t0 := time.Now()
	_, err := e.Do(ctx, Request{Question: "Third?"}, nil)
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third request: %v, want ErrQueueFull", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("ErrQueueFull took %v", d)
	}
	cancel()
	for range 2 {
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled request: %v", err)
		}
	}
	waitFor(t, "an idle runner", func() bool { st := e.Status(); return st.Running == 0 && st.Queued == 0 })
}

func TestDo_RunnerKilledFailsOnlyTheRequestInFlight(t *testing.T) {
	e := startEngine(t, tinyDir(t), nil)
	ctx := testCtx(t)
	killed := false
	_, err := e.Do(ctx, longRequest(Interactive), func(Token) error {
		if !killed {
			killed = true
			e.mu.Lock()
			p := e.proc
			e.mu.Unlock()
			if err := p.cmd.Process.Signal(os.Kill); err != nil {
				t.Error(err)
			}
		}
		return nil
	})
	if !errors.Is(err, ErrRunnerDied) {
		t.Fatalf("request in flight: %v, want ErrRunnerDied", err)
	}
	t.Logf("error: %v", err)
	res, err := e.Do(ctx, Request{Question: "After the restart?", MaxTokens: 3}, nil)
	if err != nil {
		t.Fatalf("request after the restart: %v", err)
	}
	if len(res.IDs) == 0 {
		t.Error("no tokens after the restart")
	}
	if st := e.Status(); st.Restarts != 1 || st.State != StateReady {
		t.Errorf("status %+v, want ready after 1 restart", st)
	}
}

func TestDo_NoModelConfigured(t *testing.T) {
	e := startEngine(t, "", nil)
	if _, err := e.Do(testCtx(t), Request{Question: "?"}, nil); !errors.Is(err, ErrNoModel) {
		t.Fatalf("Do: %v, want ErrNoModel", err)
	}
	if st := e.Status(); st.State != StateDisabled {
		t.Errorf("state %q", st.State)
	}
}

func TestStart_BadModelPathFails(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "no-such-model")
	e := startEngine(t, bad, nil)
	waitFor(t, "state failed", func() bool { return e.Status().State == StateFailed })
	st := e.Status()
	if !strings.Contains(st.LastError, "no-such-model") {
		t.Errorf("last error %q does not name the path", st.LastError)
	}
	_, err := e.Do(testCtx(t), Request{Question: "?"}, nil)
	if !errors.Is(err, ErrNoModel) || !strings.Contains(err.Error(), "no-such-model") {
		t.Fatalf("Do: %v, want ErrNoModel naming the path", err)
	}
}

func TestDo_AfterCloseIsErrClosed(t *testing.T) {
	e, err := New(Config{ModelPath: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Do(context.Background(), Request{Question: "?"}, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Do: %v", err)
	}
}

// TestDo_PromptOverContextIsARequestError: an image too large for the
// context comes back as a RequestError with CodeContext and the model's
// explanation (the API shows it; draft jobs do not retry it), and the
// runner stays up for the next request.
func TestDo_PromptOverContextIsARequestError(t *testing.T) {
	e := startEngine(t, tinyDir(t), nil)
	big := image.NewGray(image.Rect(0, 0, 2048, 2048)) // ≈ 5300 image tokens > 4096
	_, err := e.Do(testCtx(t), Request{Images: []image.Image{big}, Question: "?", MaxTokens: 4}, nil)
	var re *RequestError
	if !errors.As(err, &re) || re.Code != CodeContext || !strings.Contains(re.Message, "exceeds the context") {
		t.Fatalf("Do: %v, want a RequestError with code %q", err, CodeContext)
	}
	if _, err := e.Do(testCtx(t), Request{Question: "?", MaxTokens: 2}, nil); err != nil {
		t.Fatalf("next request: %v", err)
	}
	if st := e.Status(); st.Restarts != 0 {
		t.Errorf("runner restarted %d times", st.Restarts)
	}
}
