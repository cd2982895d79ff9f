package api

import (
	"bufio"
	"context"
	"errors"
	"image"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lingshu-edge/lingshu/daemon/infer"
	"github.com/lingshu-edge/lingshu/daemon/store"
	"github.com/lingshu-edge/lingshu/dicom/pixel"
)

// Inferer is what the API needs of the inference engine; *infer.Engine
// satisfies it.
type Inferer interface {
	// Do runs one request, calling onToken for each generated piece, and
	// returns when done. Cancelling ctx stops it; a full queue returns
	// infer.ErrQueueFull at once.
	Do(ctx context.Context, req infer.Request, onToken func(infer.Token) error) (*infer.Result, error)
	// Status reports the engine and its queue.
	Status() infer.Status
}

// DraftRequester queues a draft report of a study and cancels background
// jobs; *jobs.Queue satisfies it.
type DraftRequester interface {
	RequestDraft(ctx context.Context, studyUID, user string) (store.Job, error)
	CancelJob(ctx context.Context, jobID, user string) (store.Job, error)
}

type askRequest struct {
	Question  string `json:"question"`
	Frame     int    `json:"frame"`
	MaxTokens int    `json:"max_tokens"`
}

// SSE payloads of POST .../ask.
type (
	askQueued struct {
		Position int `json:"position"`
	}
	askToken struct {
		ID   int    `json:"id"`
		Text string `json:"text"`
	}
	askDone struct {
		AskID        string             `json:"ask_id"`
		Text         string             `json:"text"`
		IDs          []int              `json:"ids"`
		Stop         string             `json:"stop"`
		PromptTokens int                `json:"prompt_tokens"`
		ImageTokens  int                `json:"image_tokens"`
		ModelHash    string             `json:"model_hash"`
		TimingsMS    map[string]float64 `json:"timings_ms"`
	}
)

// askItem is one thing the engine produced: a token, or the end.
type askItem struct {
	tok  infer.Token
	res  *infer.Result
	err  error
	done bool
}

// askJob is what the stream needs once the handler has returned.
type askJob struct {
	ctx      context.Context
	items    <-chan askItem
	first    *askItem
	position int
	record   store.AskRecord
	renderMS float64
}

// ask: POST /api/v1/instances/{sop_uid}/ask {"question","frame",
// "max_tokens"} → text/event-stream of queued, token..., done (or error).
// The frame is rendered here (dicom/pixel) and sent to the engine as an
// interactive request. A full engine queue is a 503 with Retry-After
// before the stream starts; a client that goes away cancels the request.
// The finished answer is stored (store.AddAsk).
func (s *Server) ask(c *fiber.Ctx) error {
	var req askRequest
	if err := c.BodyParser(&req); err != nil {
		return badRequest(`body must be JSON {"question":...,"frame":...,"max_tokens":...}`)
	}
	req.Question = strings.TrimSpace(req.Question)
	switch {
	case req.Question == "":
		return badRequest("question is required")
	case len(req.Question) > s.cfg.MaxQuestionLen:
		return badRequest("question is longer than " + itoa(s.cfg.MaxQuestionLen) + " bytes")
	case req.Frame < 0:
		return badRequest("frame must be >= 0")
	case req.MaxTokens < 0 || req.MaxTokens > s.cfg.MaxAskTokens:
		return badRequest("max_tokens must be 0.." + itoa(s.cfg.MaxAskTokens))
	}
	if s.cfg.Infer == nil {
		return errNoModel()
	}
	rec, err := s.instance(c)
	if err != nil {
		return err
	}
	img, renderMS, err := s.renderFrame(c, rec, req.Frame)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(context.Background())
	items := make(chan askItem, 64)
	position := s.cfg.Infer.Status().Queued
	ireq := infer.Request{Priority: infer.Interactive, Images: []image.Image{img}, Question: req.Question, MaxTokens: req.MaxTokens}
	go func() {
		res, err := s.cfg.Infer.Do(ctx, ireq, func(t infer.Token) error {
			select {
			case items <- askItem{tok: t}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		select {
		case items <- askItem{res: res, err: err, done: true}:
		case <-ctx.Done():
		}
	}()

	// Wait briefly for the engine to accept or refuse: a refusal (full
	// queue, no model) is an ordinary HTTP error, not a broken stream.
	var first *askItem
	timer := time.NewTimer(s.cfg.AskAdmitWait)
	select {
	case it := <-items:
		first = &it
	case <-timer.C:
	}
	timer.Stop()
	if first != nil && first.done && first.err != nil {
		cancel()
		if errors.Is(first.err, infer.ErrQueueFull) {
			c.Set(fiber.HeaderRetryAfter, itoa(int(s.cfg.AskRetryAfter.Round(time.Second).Seconds())))
		}
		return first.err
	}

	job := askJob{
		ctx: ctx, items: items, first: first, position: position, renderMS: renderMS,
		record: store.AskRecord{
			StudyUID: rec.StudyUID, SOPInstanceUID: rec.SOPInstanceUID, Frame: req.Frame,
			User: session(c).User, Question: req.Question,
		},
	}
	conn := startSSE(c)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		s.streamAsk(newSSEWriter(w, conn, s.cfg.StreamWriteTimeout), job)
	})
	return nil
}

// streamAsk writes the events of one question until the answer is done,
// the client is gone (a write fails; the caller cancels the request) or
// the server shuts down.
func (s *Server) streamAsk(sw *sseWriter, job askJob) {
	if sw.event("", "queued", askQueued{Position: job.position}) != nil {
		return
	}
	hb := time.NewTicker(s.cfg.SSEHeartbeat)
	defer hb.Stop()
	var text strings.Builder
	handle := func(it askItem) (finished bool) {
		if !it.done {
			if it.tok.Reset {
				text.Reset()
				return sw.event("", "reset", struct{}{}) != nil
			}
			text.WriteString(it.tok.Text)
			return sw.event("", "token", askToken{ID: it.tok.ID, Text: it.tok.Text}) != nil
		}
		s.finishAsk(sw, job, it)
		return true
	}
	if job.first != nil && handle(*job.first) {
		return
	}
	for {
		select {
		case it := <-job.items:
			if handle(it) {
				return
			}
		case <-hb.C:
			if sw.comment("ping") != nil {
				return
			}
		case <-s.quit:
			s.streamError(sw, errf(http.StatusServiceUnavailable, CodeUnavailable, "server shutting down"))
			return
		}
	}
}

// finishAsk stores a finished answer and writes the done event, or
// writes the error event of a failed one.
func (s *Server) finishAsk(sw *sseWriter, job askJob, it askItem) {
	if it.err == nil && it.res == nil {
		it.err = errors.New("api: ask: engine returned no result")
	}
	if it.err != nil {
		if job.ctx.Err() != nil {
			s.log.Info("ask cancelled by the client")
			return
		}
		s.log.Warn("ask failed", "err", it.err)
		s.streamError(sw, it.err)
		return
	}
	res := it.res
	timings := map[string]float64{}
	maps.Copy(timings, res.TimingsMS)
	timings["render"] = job.renderMS
	rec := job.record
	rec.Answer, rec.Stop, rec.TimingsMS, rec.ModelHash = res.Text, res.Stop, timings, res.ModelHash
	rec.CreatedAt = s.cfg.Now().UTC()
	stored, err := s.st.AddAsk(rec)
	if err != nil {
		s.log.Error("ask: store answer", "err", err)
		s.streamError(sw, err)
		return
	}
	s.log.Info("ask done", "ask_id", stored.ID, "tokens", len(res.IDs), "stop", res.Stop, stageAttrs(timings))
	ids := res.IDs
	if ids == nil {
		ids = []int{}
	}
	sw.event("", "done", askDone{
		AskID: stored.ID, Text: res.Text, IDs: ids, Stop: res.Stop, PromptTokens: res.PromptTokens,
		ImageTokens: res.ImageTokens, ModelHash: res.ModelHash, TimingsMS: timings,
	})
}

// streamError writes an error event shaped like an error body.
func (s *Server) streamError(sw *sseWriter, err error) {
	ae, internal := classify(err)
	if internal {
		s.log.Error("stream failed", "err", err)
	}
	var body errorBody
	body.Error.Code, body.Error.Message = ae.Code, ae.Message
	sw.event("", "error", body)
}

// renderFrame renders one frame of an instance for the model (native
// size; the engine's preprocessing resizes), under the render limit.
func (s *Server) renderFrame(c *fiber.Ctx, rec store.InstanceRecord, frame int) (image.Image, float64, error) {
	if _, err := os.Stat(rec.Path); errors.Is(err, fs.ErrNotExist) {
		return nil, 0, errf(http.StatusGone, "gone", "instance file is missing from storage")
	}
	select {
	case s.renders <- struct{}{}:
		defer func() { <-s.renders }()
	case <-c.Context().Done():
		return nil, 0, errf(http.StatusServiceUnavailable, CodeUnavailable, "request cancelled")
	}
	start := time.Now()
	img, err := pixel.RenderFile(rec.Path, pixel.Options{Frame: frame})
	if err != nil {
		return nil, 0, err
	}
	return img, float64(time.Since(start).Microseconds()) / 1000, nil
}

func errNoModel() error {
	return errf(http.StatusServiceUnavailable, CodeNoModel, "no model is configured on this server")
}

// listAsks: GET /api/v1/studies/{study_uid}/asks → the questions asked
// about the study's images and their answers, oldest first.
func (s *Server) listAsks(c *fiber.Ctx) error {
	uid := c.Params("study_uid")
	if _, err := s.st.Study(uid); err != nil {
		return err
	}
	asks, err := s.st.ListAsks(uid)
	if err != nil {
		return err
	}
	if asks == nil {
		asks = []store.AskRecord{}
	}
	return c.JSON(list[store.AskRecord]{Items: asks})
}

// stageAttrs is the per-stage timings of one answer as a log group
// (timings_ms.render=…, timings_ms.vision=…), stages in a fixed order.
func stageAttrs(ms map[string]float64) slog.Attr {
	var attrs []any
	for _, k := range []string{"render", "queue", "preprocess", "vision", "prefill", "decode", "total"} {
		if v, ok := ms[k]; ok {
			attrs = append(attrs, slog.Float64(k, v))
		}
	}
	return slog.Group("timings_ms", attrs...)
}
