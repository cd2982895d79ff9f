package infer

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"sync"
)

// The runner protocol: one JSON object per line.
//
//	parent → runner: {"type":"ask","id":N,"question":…,"images":[base64 PNG…],"max_tokens":…,"temperature":…,"seed":…,"max_pixels":…}
//	                 {"type":"cancel","id":N}
//	runner → parent: {"type":"ready","model_hash":…,"model_path":…,"backend":…}   once, after loading
//	                 {"type":"load_failed","error":…}                            then the runner exits
//	                 {"type":"token","id":N,"token":ID,"text":…}                 per generated token
//	                 {"type":"done","id":N,"result":{…}}                         the request finished
//	                 {"type":"error","id":N,"code":"cancelled|failed","error":…,"steps_after_cancel":K}
//
// Requests run one at a time in the order they arrive. A cancel for a
// request not yet started makes it fail at once with code "cancelled".
const (
	msgAsk        = "ask"
	msgCancel     = "cancel"
	msgReady      = "ready"
	msgLoadFailed = "load_failed"
	msgToken      = "token"
	msgDone       = "done"
	msgError      = "error"

	codeCancelled = "cancelled"
	codeFailed    = "failed"
)

// Limits on what a message may carry.
const (
	maxLineBytes  = 256 << 20 // one JSON line (images included)
	maxImages     = 64
	maxImageSide  = 16384
	maxImagePix   = 64 << 20 // pixels of one image
	maxQuestion   = 1 << 20  // bytes
	maxTokenLimit = 1 << 20
)

// message is one line of the protocol; Type says which fields matter.
type message struct {
	Type string `json:"type"`
	ID   uint64 `json:"id,omitempty"`

	// ask
	Question    string   `json:"question,omitempty"`
	Images      []string `json:"images,omitempty"` // base64 (std) PNG
	MaxTokens   int      `json:"max_tokens,omitempty"`
	Temperature float64  `json:"temperature,omitempty"`
	Seed        uint64   `json:"seed,omitempty"`
	MaxPixels   int      `json:"max_pixels,omitempty"`

	// ready
	ModelHash string `json:"model_hash,omitempty"`
	ModelPath string `json:"model_path,omitempty"`
	Backend   string `json:"backend,omitempty"`

	// token
	Token int    `json:"token,omitempty"`
	Text  string `json:"text,omitempty"`

	// done
	Result *wireResult `json:"result,omitempty"`

	// error, load_failed
	Code             string `json:"code,omitempty"`
	Error            string `json:"error,omitempty"`
	StepsAfterCancel int    `json:"steps_after_cancel,omitempty"`
}

// wireResult is Result as the runner reports it.
type wireResult struct {
	Text         string             `json:"text"`
	IDs          []int              `json:"ids"`
	Stop         string             `json:"stop"`
	PromptTokens int                `json:"prompt_tokens"`
	ImageTokens  int                `json:"image_tokens"`
	TimingsMS    map[string]float64 `json:"timings_ms"`
}

// decodeMessage parses and checks one protocol line.
func decodeMessage(line []byte) (message, error) {
	var m message
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return message{}, fmt.Errorf("infer: decode message: %w", err)
	}
	if dec.More() {
		return message{}, errors.New("infer: decode message: trailing data")
	}
	if err := m.validate(); err != nil {
		return message{}, err
	}
	return m, nil
}

func (m *message) validate() error {
	bad := func(why string) error { return fmt.Errorf("infer: %s message: %s", m.Type, why) }
	switch m.Type {
	case msgAsk:
		switch {
		case m.ID == 0:
			return bad("id 0")
		case m.MaxTokens <= 0 || m.MaxTokens > maxTokenLimit:
			return bad(fmt.Sprintf("max_tokens %d", m.MaxTokens))
		case m.Temperature < 0 || m.Temperature > 100:
			return bad(fmt.Sprintf("temperature %v", m.Temperature))
		case m.MaxPixels < 0:
			return bad(fmt.Sprintf("max_pixels %d", m.MaxPixels))
		case len(m.Images) > maxImages:
			return bad(fmt.Sprintf("%d images (at most %d)", len(m.Images), maxImages))
		case len(m.Question) > maxQuestion:
			return bad("question too long")
		}
	case msgCancel, msgToken:
		if m.ID == 0 {
			return bad("id 0")
		}
	case msgDone:
		if m.ID == 0 || m.Result == nil {
			return bad("id 0 or no result")
		}
	case msgError:
		if m.ID == 0 || (m.Code != codeCancelled && m.Code != codeFailed && m.Code != CodeContext) {
			return bad(fmt.Sprintf("id %d code %q", m.ID, m.Code))
		}
	case msgReady, msgLoadFailed:
	default:
		return fmt.Errorf("infer: unknown message type %q", m.Type)
	}
	return nil
}

// encodePNG returns img as base64 PNG (fast compression: the pipe is local).
func encodePNG(img image.Image) (string, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("infer: encode image: %w", err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// decodePNG decodes a base64 PNG, checking its header before the pixels.
func decodePNG(s string) (image.Image, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("infer: image: %w", err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("infer: image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxImageSide || cfg.Height > maxImageSide ||
		int64(cfg.Width)*int64(cfg.Height) > maxImagePix {
		return nil, fmt.Errorf("infer: image: %dx%d is too large", cfg.Width, cfg.Height)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("infer: image: %w", err)
	}
	return img, nil
}

// lineWriter writes messages as JSON lines; safe for concurrent use.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (lw *lineWriter) send(m message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("infer: encode %s message: %w", m.Type, err)
	}
	b = append(b, '\n')
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if _, err := lw.w.Write(b); err != nil {
		return fmt.Errorf("infer: write %s message: %w", m.Type, err)
	}
	return nil
}

// newLineScanner reads protocol lines of up to maxLineBytes.
func newLineScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	return sc
}
