package qwen25vl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/model"
	"github.com/lingshu-edge/lingshu/model/nn"
	"github.com/lingshu-edge/lingshu/model/qwen2"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// Model is Qwen2_5_VLForConditionalGeneration: the vision tower and the
// Qwen2 text decoder with M-RoPE. Its Text model is configured for
// three-axis positions, so it is driven through Session, not qwen2's.
type Model struct {
	Vision       *Vision
	Text         *qwen2.Model
	ImageTokenID int
	be           kernels.Backend
}

// Load binds the visual.* and model.* (+ lm_head) weights of ck to be.
func Load(ck *weights.Checkpoint, be kernels.Backend) (*Model, error) {
	var ids struct {
		ImageTokenID int `json:"image_token_id"`
	}
	if err := json.Unmarshal(ck.ConfigJSON, &ids); err != nil {
		return nil, fmt.Errorf("qwen25vl: config: %w", err)
	}
	if ids.ImageTokenID == 0 {
		ids.ImageTokenID = ImagePadID
	}
	vis, verr := LoadVision(ck, be)
	text, terr := qwen2.Load(ck, be)
	if err := errors.Join(verr, terr); err != nil {
		return nil, fmt.Errorf("qwen25vl: load: %w", err)
	}
	sec := text.Config.MRoPESection()
	if len(sec) != 3 {
		return nil, fmt.Errorf("qwen25vl: load: rope_scaling.mrope_section %v, want three axes", sec)
	}
	for _, l := range text.Layers {
		l.Attn.RoPE.Sections = sec
	}
	if vis.Config.OutHiddenSize != text.Config.HiddenSize {
		return nil, fmt.Errorf("qwen25vl: load: vision out_hidden_size %d ≠ text hidden_size %d", vis.Config.OutHiddenSize, text.Config.HiddenSize)
	}
	return &Model{Vision: vis, Text: text, ImageTokenID: ids.ImageTokenID, be: be}, nil
}

// Session is one multimodal sequence: a KV cache and the next position.
type Session struct {
	m     *Model
	cache *model.KVCache
	n     int // cache rows filled
	next  int // M-RoPE position of the next token (all axes)
}

// NewSession allocates a KV cache of maxSeq rows.
func (m *Model) NewSession(maxSeq int) (*Session, error) {
	c := m.Text.Config
	if maxSeq <= 0 || maxSeq > c.MaxContext() {
		return nil, fmt.Errorf("qwen25vl: session: %d rows (max_position_embeddings %d)", maxSeq, c.MaxContext())
	}
	cache, err := model.NewKVCache(m.be, model.KVSpec{Layers: c.NumHiddenLayers, KVHeads: c.NumKeyValueHeads, HeadDim: c.HeadDim, MaxSeq: maxSeq})
	if err != nil {
		return nil, fmt.Errorf("qwen25vl: session: %w", err)
	}
	return &Session{m: m, cache: cache}, nil
}

// Close frees the cache.
func (s *Session) Close() error {
	s.cache.Free(s.m.be)
	return nil
}

// NextPosition is the position the next token gets on every axis.
func (s *Session) NextPosition() int { return s.next }

// Prefill runs a whole prompt, ids with every <|image_pad|> already
// expanded (ExpandImagePads), its images in order, on an empty session,
// and returns the last position's logits.
func (s *Session) Prefill(ctx context.Context, ids []int, images []*Image) ([]float32, error) {
	emb, err := s.m.EncodeImages(ctx, images)
	if err != nil {
		return nil, err
	}
	defer s.m.FreeEmbeddings(emb)
	grids := make([][3]int, len(images))
	for i, im := range images {
		grids[i] = im.Grid
	}
	return s.PrefillEmbeddings(ctx, ids, grids, emb)
}

// EncodeImages runs the vision tower over images and returns their merged
// embeddings in order, or nil for no images; the caller releases them with
// FreeEmbeddings.
// Prefill is EncodeImages then PrefillEmbeddings; calling them apart lets a
// caller time the tower on its own.
// images → (Σ image tokens, text hidden)
func (m *Model) EncodeImages(ctx context.Context, images []*Image) (kernels.Tensor, error) {
	if len(images) == 0 {
		return nil, nil
	}
	return m.Vision.Forward(ctx, images)
}

// FreeEmbeddings releases what EncodeImages returned (nil is a no-op).
func (m *Model) FreeEmbeddings(emb kernels.Tensor) {
	if emb != nil {
		m.be.Free(emb)
	}
}

// PrefillEmbeddings is Prefill with the vision tower already run: emb holds
// EncodeImages' rows for images of the given grids (nil when there are none).
func (s *Session) PrefillEmbeddings(ctx context.Context, ids []int, grids [][3]int, emb kernels.Tensor) ([]float32, error) {
	if s.n != 0 {
		return nil, errors.New("qwen25vl: prefill: session is not empty")
	}
	if (emb == nil) != (len(grids) == 0) {
		return nil, errors.New("qwen25vl: prefill: image embeddings and grids disagree")
	}
	pos, delta, err := RopeIndex(ids, s.m.ImageTokenID, grids, s.m.Vision.Config.SpatialMergeSize)
	if err != nil {
		return nil, err
	}
	lg, err := s.forward(ctx, ids, pos, emb)
	if err != nil {
		return nil, err
	}
	s.next = len(ids) + delta
	return lg, nil
}

// Step feeds one generated token at NextPosition and returns its logits.
func (s *Session) Step(ctx context.Context, id int) ([]float32, error) {
	p := []int32{int32(s.next)}
	lg, err := s.forward(ctx, []int{id}, Positions{p, p, p}, nil)
	if err != nil {
		return nil, err
	}
	s.next++
	return lg, nil
}

// forward embeds ids, puts the image embeddings (emb rows, in order) at
// the image pads, runs the decoder at cache rows n… and returns the last
// row's logits.
// ids: (T), pos: (3, T), emb: (pads, hidden) → (vocab)
func (s *Session) forward(ctx context.Context, ids []int, pos Positions, emb kernels.Tensor) ([]float32, error) {
	be, tm := s.m.be, s.m.Text
	c := tm.Config
	T := len(ids)
	if s.n+T > s.cache.Spec.MaxSeq {
		return nil, fmt.Errorf("qwen25vl: forward: %d cached + %d rows exceed the cache of %d", s.n, T, s.cache.Spec.MaxSeq)
	}
	r := &run{be: be}
	defer r.free()
	q := c.NumAttentionHeads * c.HeadDim
	var ts [8]kernels.Tensor
	for i, sh := range [][]int{{T}, {3, T}, {T, c.HiddenSize}, {T, c.HiddenSize}, {T, q}, {T, q},
		{T, c.IntermediateSize}, {T, c.IntermediateSize}} {
		dt := kernels.F32
		if i < 2 {
			dt = kernels.I32
		}
		var err error
		if ts[i], err = r.alloc(dt, sh...); err != nil {
			return nil, fmt.Errorf("qwen25vl: forward: %w", err)
		}
	}
	idsT, posT, x := ts[0], ts[1], ts[2]
	ls := qwen2.LayerScratch{H: ts[3], Attn: nn.AttnScratch{Q: ts[4], O: ts[5]}, MLP: nn.MLPScratch{Gate: ts[6], Up: ts[7]}}
	host := make([]int32, T)
	for i, id := range ids {
		host[i] = int32(id)
	}
	if err := be.Write(idsT, i32Bytes(host)); err != nil {
		return nil, fmt.Errorf("qwen25vl: forward: %w", err)
	}
	if err := be.Write(posT, i32Bytes(append(append(append([]int32(nil), pos[0]...), pos[1]...), pos[2]...))); err != nil {
		return nil, fmt.Errorf("qwen25vl: forward: %w", err)
	}
	if err := tm.Embed.Forward(be, x, idsT); err != nil { // (T, hidden)
		return nil, fmt.Errorf("qwen25vl: embed: %w", err)
	}
	if err := s.scatter(x, ids, emb); err != nil {
		return nil, err
	}
	for i, l := range tm.Layers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("qwen25vl: forward: %w", err)
		}
		if err := l.Forward(be, x, posT, s.cache.Layers[i], s.n, ls); err != nil { // (T, hidden)
			return nil, fmt.Errorf("qwen25vl: layer %d: %w", i, err)
		}
	}
	s.n += T
	return s.lastLogits(r, x)
}

// scatter copies emb's rows, in order, over the rows of x whose id is the
// image token, one contiguous run at a time.
// x: (T, hidden), emb: (pads, hidden) → x: (T, hidden)
func (s *Session) scatter(x kernels.Tensor, ids []int, emb kernels.Tensor) error {
	be, pad := s.m.be, s.m.ImageTokenID
	used := 0
	for i := 0; i < len(ids); {
		if ids[i] != pad {
			i++
			continue
		}
		j := i
		for j < len(ids) && ids[j] == pad {
			j++
		}
		if emb == nil || used+j-i > emb.Shape()[0] {
			return fmt.Errorf("qwen25vl: scatter: image pads beyond the image embeddings")
		}
		dst, err := be.Rows(x, i, j-i)
		if err != nil {
			return fmt.Errorf("qwen25vl: scatter: %w", err)
		}
		src, err := be.Rows(emb, used, j-i)
		if err != nil {
			return fmt.Errorf("qwen25vl: scatter: %w", err)
		}
		if err := be.Copy(dst, src); err != nil {
			return fmt.Errorf("qwen25vl: scatter: %w", err)
		}
		used += j - i
		i = j
	}
	if emb != nil && used != emb.Shape()[0] {
		return fmt.Errorf("qwen25vl: scatter: %d image pads for %d image embeddings", used, emb.Shape()[0])
	}
	return nil
}

// lastLogits normalises the last row of x and projects it to the vocab.
// x: (T, hidden) → (vocab)
func (s *Session) lastLogits(r *run, x kernels.Tensor) ([]float32, error) {
	be, tm := s.m.be, s.m.Text
	last, err := be.Rows(x, x.Shape()[0]-1, 1)
	if err != nil {
		return nil, fmt.Errorf("qwen25vl: logits: %w", err)
	}
	if err := tm.Norm.Forward(be, last, last); err != nil { // (1, hidden)
		return nil, fmt.Errorf("qwen25vl: final norm: %w", err)
	}
	w, b := tm.Embed.Weight, kernels.Tensor(nil)
	if tm.LMHead != nil {
		w, b = tm.LMHead.Weight, tm.LMHead.Bias
	}
	lg, err := r.alloc(kernels.F32, 1, tm.Config.VocabSize)
	if err != nil {
		return nil, fmt.Errorf("qwen25vl: logits: %w", err)
	}
	if err := be.MatMul(lg, last, w, b); err != nil { // (1, vocab)
		return nil, fmt.Errorf("qwen25vl: lm head: %w", err)
	}
	out := make([]float32, tm.Config.VocabSize)
	if err := be.Download(lg, out); err != nil {
		return nil, fmt.Errorf("qwen25vl: logits: %w", err)
	}
	return out, nil
}
