// Package vlm asks a Qwen2.5-VL model (the Lingshu architecture) about
// images: it lays out one user turn through the chat template (MedEvalKit's
// multi-image form), preprocesses the images, prefills the prompt with the
// image embeddings and decodes tokens with stop rules, streaming each id,
// and reports what it did and how long each stage took. The CLI (`ask`,
// `report`) and the daemon's runner share it. It knows nothing of DICOM:
// images arrive as image.Image.
package vlm

import (
	"context"
	"fmt"
	"image"
	"slices"
	"time"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/qwen25vl"
	"github.com/lingshu-edge/lingshu/model/tokenizer"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// Model is a loaded Qwen2.5-VL checkpoint: network, tokenizer and image
// processor configuration. Ask may be called by one goroutine at a time.
type Model struct {
	Net  *qwen25vl.Model
	Tok  *tokenizer.Tokenizer
	Pre  qwen25vl.PreprocessConfig
	Ckpt *weights.Checkpoint
}

// Open maps the checkpoint at path (a Hugging Face folder; a GGUF file
// gets its tokenizer from the metadata and its processor from the mmproj
// companion's keys, or the default processor without one), loads
// the tokenizer and preprocessor_config.json and binds the weights to be.
// The caller keeps ownership of be; Close unmaps the checkpoint.
func Open(path string, be kernels.Backend) (*Model, error) {
	ck, err := weights.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vlm: open %s: %w", path, err)
	}
	m := &Model{Ckpt: ck, Pre: qwen25vl.DefaultPreprocessConfig()}
	if ck.Format == weights.FormatGGUF {
		m.Tok, err = tokenizer.FromGGUFMeta(ck.GGUFMeta)
		if err == nil && ck.PreprocessorJSON != nil { // from the mmproj's clip keys
			m.Pre, err = qwen25vl.ParsePreprocessConfig(ck.PreprocessorJSON)
		}
	} else {
		m.Tok, err = tokenizer.LoadDir(ck.Dir)
		if err == nil {
			m.Pre, err = qwen25vl.LoadPreprocessConfig(ck.Dir)
		}
	}
	if err == nil {
		m.Net, err = qwen25vl.Load(ck, be)
	}
	if err != nil {
		ck.Close()
		return nil, fmt.Errorf("vlm: open %s: %w", path, err)
	}
	return m, nil
}

// Close unmaps the checkpoint. The bound tensors belong to the backend.
func (m *Model) Close() error {
	if err := m.Ckpt.Close(); err != nil {
		return fmt.Errorf("vlm: close: %w", err)
	}
	return nil
}

// MaxContext is the model's max_position_embeddings.
func (m *Model) MaxContext() int { return m.Net.Text.Config.MaxContext() }

// Options control one Ask.
type Options struct {
	MaxTokens int                  // generated tokens at most; must be > 0
	Sampler   model.SamplerOptions // greedy by default; Allowed defaults to the tokenizer's vocab
	// Context bounds the KV cache rows of the request, prompt (image
	// tokens included) plus generated tokens; 0 means max_position_embeddings.
	Context int
	// MaxPixels, when positive, lowers the processor's max_pixels for this
	// request (fewer image tokens); 0 keeps preprocessor_config.json's.
	MaxPixels int
	// OnToken is called with each generated id as soon as it is chosen
	// (stop ids excluded); an error stops generation and is returned.
	OnToken func(id int) error
}

// Stop reasons, as model.Generate reports them.
const (
	StopEOS       = model.StopEOS
	StopMaxTokens = model.StopMaxTokens
	StopContext   = model.StopContext
)

// ImageInfo describes one image as the model saw it.
type ImageInfo struct {
	Width, Height      int // as given
	ResizedW, ResizedH int // after smart_resize
	Grid               [3]int
	Tokens             int // <|image_pad|> tokens in the prompt
}

// Timings are the wall times of Ask's stages.
type Timings struct {
	Preprocess time.Duration // resize, normalise, patchify
	Vision     time.Duration // the vision tower over every image
	Prefill    time.Duration // the prompt's pass through the decoder
	Decode     time.Duration // every decode step
}

// Result is what Ask produced.
type Result struct {
	IDs          []int  // generated ids, stop id excluded
	Text         string // Tok.Decode(IDs)
	Stop         string // StopEOS, StopMaxTokens or StopContext
	PromptTokens int    // prompt length after image-pad expansion
	ImageTokens  int    // of which image tokens
	Images       []ImageInfo
	Timings      Timings
}

// ContextError says a prompt does not fit the context.
type ContextError struct {
	PromptTokens, ImageTokens, Images, Context int
}

func (e *ContextError) Error() string {
	images := "images"
	if e.Images == 1 {
		images = "image"
	}
	return fmt.Sprintf("vlm: prompt of %d tokens (%d of them for %d %s) exceeds the context of %d tokens; use fewer or smaller images (max pixels) or a larger context",
		e.PromptTokens, e.ImageTokens, e.Images, images, e.Context)
}

// Messages is the single user turn Ask sends: with one image, the image
// then the question; with several, MedEvalKit's layout "<image_1>: ",
// image, "<image_2>: ", image, …, question (how Lingshu was evaluated);
// with none, the question alone.
func Messages(nImages int, question string) []tokenizer.Message {
	var parts []tokenizer.Part
	for i := range nImages {
		if nImages > 1 {
			parts = append(parts, tokenizer.TextPart(fmt.Sprintf("<image_%d>: ", i+1)))
		}
		parts = append(parts, tokenizer.ImagePart())
	}
	parts = append(parts, tokenizer.TextPart(question))
	return []tokenizer.Message{{Role: "user", Content: parts}}
}

// Prompt preprocesses images and builds the expanded prompt ids of
// Messages(len(images), question) with the generation prompt added.
func (m *Model) Prompt(images []image.Image, question string, maxPixels int) ([]int, []*qwen25vl.Image, error) {
	pc := m.Pre
	if maxPixels > 0 {
		pc.MaxPixels = max(min(pc.MaxPixels, maxPixels), pc.MinPixels)
	}
	pre := make([]*qwen25vl.Image, len(images))
	tokens := make([]int, len(images))
	for i, img := range images {
		if img == nil {
			return nil, nil, fmt.Errorf("vlm: image %d is nil", i+1)
		}
		im, err := qwen25vl.Preprocess(img, pc)
		if err != nil {
			return nil, nil, fmt.Errorf("vlm: image %d: %w", i+1, err)
		}
		pre[i], tokens[i] = im, im.Tokens()
	}
	ids, err := m.Tok.EncodeChat(Messages(len(images), question), tokenizer.ChatOptions{AddGenerationPrompt: true})
	if err != nil {
		return nil, nil, fmt.Errorf("vlm: prompt: %w", err)
	}
	if ids, err = qwen25vl.ExpandImagePads(ids, m.Net.ImageTokenID, tokens); err != nil {
		return nil, nil, fmt.Errorf("vlm: prompt: %w", err)
	}
	return ids, pre, nil
}

// Ask answers question about images: one user turn (Messages), the
// prompt prefilled with the image embeddings, then one token per step
// until a stop id, opts.MaxTokens or a full context. Cancelling ctx stops
// it within one step; the partial result is returned with the error.
func (m *Model) Ask(ctx context.Context, images []image.Image, question string, opts Options) (*Result, error) {
	res := &Result{}
	if opts.MaxTokens <= 0 {
		return res, fmt.Errorf("vlm: ask: max tokens %d", opts.MaxTokens)
	}
	t0 := time.Now()
	ids, pre, err := m.Prompt(images, question, opts.MaxPixels)
	res.Timings.Preprocess = time.Since(t0)
	if err != nil {
		return res, err
	}
	res.PromptTokens = len(ids)
	for _, im := range pre {
		res.ImageTokens += im.Tokens()
		res.Images = append(res.Images, ImageInfo{ResizedW: im.Resized.W, ResizedH: im.Resized.H, Grid: im.Grid, Tokens: im.Tokens()})
	}
	for i, img := range images {
		res.Images[i].Width, res.Images[i].Height = img.Bounds().Dx(), img.Bounds().Dy()
	}
	limit := m.MaxContext()
	if opts.Context > 0 {
		limit = min(limit, opts.Context)
	}
	if len(ids) > limit {
		return res, &ContextError{PromptTokens: len(ids), ImageTokens: res.ImageTokens, Images: len(images), Context: limit}
	}
	s, err := m.Net.NewSession(min(limit, len(ids)+opts.MaxTokens))
	if err != nil {
		return res, fmt.Errorf("vlm: ask: %w", err)
	}
	defer s.Close()
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("vlm: ask: %w", err)
	}
	tv := time.Now()
	emb, err := m.Net.EncodeImages(ctx, pre)
	res.Timings.Vision = time.Since(tv)
	if err != nil {
		return res, fmt.Errorf("vlm: ask: vision: %w", err)
	}
	defer m.Net.FreeEmbeddings(emb)
	grids := make([][3]int, len(pre))
	for i, im := range pre {
		grids[i] = im.Grid
	}
	t1 := time.Now()
	logits, err := s.PrefillEmbeddings(ctx, ids, grids, emb)
	res.Timings.Prefill = time.Since(t1)
	if err != nil {
		return res, fmt.Errorf("vlm: ask: prefill: %w", err)
	}
	t2 := time.Now()
	err = m.decode(ctx, s, logits, len(ids), min(limit, len(ids)+opts.MaxTokens), opts, res)
	res.Timings.Decode = time.Since(t2)
	res.Text = m.Tok.Decode(res.IDs)
	return res, err
}

// decode samples from logits, feeds each token back through s and stops
// on a stop id, MaxTokens or when the cache (rows used of capacity) is full.
func (m *Model) decode(ctx context.Context, s *qwen25vl.Session, logits []float32, used, capacity int, opts Options, res *Result) error {
	so := opts.Sampler
	if so.Allowed == 0 {
		so.Allowed = m.Tok.VocabSize()
	}
	sampler := model.NewSampler(so)
	stops := m.Tok.EOSIDs()
	for {
		id := sampler.Sample(logits)
		if slices.Contains(stops, id) {
			res.Stop = StopEOS
			return nil
		}
		res.IDs = append(res.IDs, id)
		if opts.OnToken != nil {
			if err := opts.OnToken(id); err != nil {
				return err
			}
		}
		if len(res.IDs) >= opts.MaxTokens {
			res.Stop = StopMaxTokens
			return nil
		}
		if used >= capacity {
			res.Stop = StopContext
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("vlm: ask: %w", err)
		}
		var err error
		if logits, err = s.Step(ctx, id); err != nil {
			return fmt.Errorf("vlm: ask: step %d: %w", len(res.IDs), err)
		}
		used++
	}
}
