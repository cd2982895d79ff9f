// Package infer runs the vision-language model for the daemon. Inference
// happens in a child process of the same binary (`lingshu runner`, Ollama's
// pattern), so a fault or an out-of-memory kill in the model cannot take
// down the DICOM receiver: the Engine supervises the runner, restarts it
// when it dies and fails only the request that was in flight.
//
// One model is loaded once in the runner and every request shares it; one
// request runs at a time. Requests wait in a bounded queue, interactive
// ones (a radiologist asking about an image) before background ones (draft
// reports); a waiting interactive request preempts a running background
// one, which is cancelled and re-queued first among the background ones.
// Cancelling a request's context stops the runner within one decode step.
//
// The protocol between the Engine and the runner is JSON lines over the
// child's stdin and stdout (ipc.go); the runner's slog records go to its
// stderr and are logged again by the parent.
package infer

import (
	"errors"
	"image"
	"log/slog"
)

// Priority orders requests: Interactive before Background.
type Priority int

// Priorities.
const (
	Interactive Priority = iota // a person waits for the answer
	Background                  // drafts: run when no interactive request waits
)

func (p Priority) String() string {
	switch p {
	case Interactive:
		return "interactive"
	case Background:
		return "background"
	}
	return "unknown"
}

// Request is one question about images.
type Request struct {
	Priority    Priority
	Images      []image.Image // rendered by the caller; sent to the runner as PNG
	Question    string        // the user-turn text: a question, or vlm.ReportPrompt(...) for drafts
	MaxTokens   int           // 0 → 512
	Temperature float64       // 0 → greedy
	Seed        uint64
	MaxPixels   int // 0 → processor default
}

// DefaultMaxTokens is used when Request.MaxTokens is 0.
const DefaultMaxTokens = 512

// Token is one generated token as it streams.
type Token struct {
	ID   int
	Text string // a complete UTF-8 piece (often ""); Result.Text is the authoritative whole
	// Reset (Background only): the request was preempted by an interactive
	// one and restarts from scratch; drop the partial text received so far.
	Reset bool
}

// Result is what one request produced.
type Result struct {
	Text                      string
	IDs                       []int
	Stop                      string // eos, max_tokens or context (vlm.Stop*)
	PromptTokens, ImageTokens int
	// TimingsMS: queue (measured here), preprocess, vision, prefill, decode
	// (measured in the runner) and total (from Do's call to its return);
	// the caller adds render.
	TimingsMS                     map[string]float64
	ModelHash, ModelPath, Backend string
}

// Sentinel errors; the Engine wraps them with detail (use errors.Is).
var (
	// ErrQueueFull: QueueSize requests already wait (the API answers 503 + Retry-After).
	ErrQueueFull = errors.New("infer: queue full")
	// ErrNoModel: no model is configured, or the configured one failed to load.
	ErrNoModel = errors.New("infer: no model")
	// ErrRunnerDied: the runner process exited while it ran this request.
	ErrRunnerDied = errors.New("infer: runner died")
	// ErrClosed: the Engine is closed.
	ErrClosed = errors.New("infer: engine closed")
)

// Engine states reported by Status.
const (
	StateDisabled   = "disabled"   // no model configured
	StateStarting   = "starting"   // runner launched, model loading
	StateReady      = "ready"      // model loaded, serving
	StateRestarting = "restarting" // runner died; a new one is being started
	StateFailed     = "failed"     // the model could not be loaded (LastError says why)
	StateClosed     = "closed"     // Close was called
)

// Status is a snapshot of the Engine.
type Status struct {
	State     string `json:"state"` // disabled|starting|ready|restarting|failed|closed
	ModelPath string `json:"model_path"`
	ModelHash string `json:"model_hash"`
	Backend   string `json:"backend"`
	Queued    int    `json:"queued"`   // waiting requests
	Running   int    `json:"running"`  // 0 or 1
	Restarts  int    `json:"restarts"` // runner restarts since Start
	LastError string `json:"last_error,omitempty"`
	// Cancelled counts requests cancelled while they ran (client gone,
	// preemption); LastCancelSteps is how many decode steps the runner
	// took after the last such cancel arrived (the contract: at most 1).
	Cancelled       int `json:"cancelled"`
	LastCancelSteps int `json:"last_cancel_steps"`
}

// Config configures an Engine.
type Config struct {
	ModelPath string // "" → disabled (every Do answers ErrNoModel)
	Backend   string // auto|cpu|cuda|cuda:N; "" → auto
	Exe       string // runner executable; "" → os.Executable()
	// Args start the runner's command line; "--model PATH --backend B" is
	// appended. Default {"runner"}.
	Args      []string
	Env       []string // added to the parent's environment
	QueueSize int      // waiting requests at most; default 16
	// HashCache is a file where the runner remembers weight hashes
	// (weights.HashCache) so a restart does not re-read the checkpoint;
	// "" hashes the weights at every start.
	HashCache string
	Logger    *slog.Logger
}

// RequestError is a request the model could not answer, as the runner
// reported it: Code says what kind (CodeContext, or "failed"), Message is
// the model's own words, safe to show the user.
type RequestError struct {
	Code    string
	Message string
}

func (e *RequestError) Error() string { return "infer: " + e.Message }

// CodeContext marks a prompt whose text and images do not fit the model's
// context (a request to change, not to retry).
const CodeContext = "context"
