package qwen25vl

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/lingshu-edge/lingshu/kernels"
	"github.com/lingshu-edge/lingshu/model/nn"
	"github.com/lingshu-edge/lingshu/model/weights"
)

// visionRopeTheta is the vision rotary's base (fixed in Qwen2-VL).
const visionRopeTheta = 10000

// Vision is the Qwen2.5-VL vision tower, bound under "visual".
type Vision struct {
	PatchEmbed *PatchEmbed `weight:"patch_embed"`
	Blocks     []*Block    `weight:"blocks"`
	Merger     *Merger     `weight:"merger"`

	Config VisionConfig
	be     kernels.Backend
}

// PatchEmbed is a Conv3d whose stride equals its kernel (no bias): a
// MatMul over flattened (channel, frame, py, px) patches.
type PatchEmbed struct {
	Proj kernels.Tensor `weight:"proj.weight" shape:"hidden,channels,temporal,patch,patch"`
}

// Block is one pre-norm vision transformer block.
type Block struct {
	Norm1 *nn.RMSNorm `weight:"norm1" dims:"dim=hidden"`
	Attn  *Attention  `weight:"attn"`
	Norm2 *nn.RMSNorm `weight:"norm2" dims:"dim=hidden"`
	MLP   *nn.SwiGLU  `weight:"mlp"`
	// Full is set for fullatt_block_indexes: attention over the whole
	// frame instead of within windows.
	Full bool
}

// Attention is the vision self-attention: one fused qkv projection
// (3·hidden, hidden) with bias, no GQA, 2-D rotary, no causal mask.
type Attention struct {
	QKV  *nn.Linear `weight:"qkv" dims:"out=3*hidden,in=hidden"`
	Proj *nn.Linear `weight:"proj" dims:"out=hidden,in=hidden"`
}

// Merger is the patch merger: RMSNorm, each merge² patches concatenated,
// Linear → exact GELU → Linear to the text model's hidden size.
type Merger struct {
	LnQ *nn.RMSNorm `weight:"ln_q" dims:"dim=hidden"`
	FC1 *nn.Linear  `weight:"mlp.0" dims:"out=merged,in=merged"`
	FC2 *nn.Linear  `weight:"mlp.2" dims:"out=out_hidden,in=merged"`
}

// WeightDims gives the binder the dims the shape tags use.
func (v *Vision) WeightDims() weights.Dims {
	c := v.Config
	return weights.Dims{
		"hidden": c.HiddenSize, "intermediate": c.IntermediateSize, "out_hidden": c.OutHiddenSize,
		"merged": c.HiddenSize * c.SpatialMergeSize * c.SpatialMergeSize, "channels": c.InChannels,
		"temporal": c.TemporalPatchSize, "patch": c.PatchSize,
	}
}

// LoadVision validates vision_config and binds the visual.* weights to be.
func LoadVision(ck *weights.Checkpoint, be kernels.Backend) (*Vision, error) {
	cfg, err := ParseVisionConfig(ck.ConfigJSON)
	if err != nil {
		return nil, err
	}
	v := &Vision{Config: cfg, be: be, Blocks: make([]*Block, cfg.Depth)}
	if err := weights.Bind(ck, "visual", v, be); err != nil {
		return nil, fmt.Errorf("qwen25vl: load vision: %w", err)
	}
	var errs []error
	need := func(l *nn.Linear, name string) {
		if l.Bias == nil {
			errs = append(errs, fmt.Errorf("missing visual.%s.bias", name))
		}
	}
	for i, b := range v.Blocks {
		b.Full = slices.Contains(cfg.FullAttBlockIndexes, i)
		b.Norm1.Eps, b.Norm2.Eps = 1e-6, 1e-6
		need(b.Attn.QKV, fmt.Sprintf("blocks.%d.attn.qkv", i))
		need(b.Attn.Proj, fmt.Sprintf("blocks.%d.attn.proj", i))
		need(b.MLP.Gate, fmt.Sprintf("blocks.%d.mlp.gate_proj", i))
		need(b.MLP.Up, fmt.Sprintf("blocks.%d.mlp.up_proj", i))
		need(b.MLP.Down, fmt.Sprintf("blocks.%d.mlp.down_proj", i))
	}
	v.Merger.LnQ.Eps = 1e-6
	need(v.Merger.FC1, "merger.mlp.0")
	need(v.Merger.FC2, "merger.mlp.2")
	if len(errs) > 0 {
		return nil, fmt.Errorf("qwen25vl: load vision: %w", errors.Join(errs...))
	}
	return v, nil
}

// Layout computes the window order for images.
func (v *Vision) Layout(images []*Image) (*Layout, error) {
	grids := make([][3]int, len(images))
	for i, im := range images {
		if im.PatchLen != v.Config.PatchLen() || im.Merge != v.Config.SpatialMergeSize {
			return nil, fmt.Errorf("qwen25vl: image %d: patch rows of %d (merge %d), the tower wants %d (merge %d)",
				i, im.PatchLen, im.Merge, v.Config.PatchLen(), v.Config.SpatialMergeSize)
		}
		grids[i] = im.Grid
	}
	c := v.Config
	return NewLayout(grids, c.SpatialMergeSize, c.PatchSize, c.WindowSize)
}

// Forward runs the tower over images and returns one embedding per merged
// token, images one after another, each in processor (raster) order: the
// rows that replace the images' <|image_pad|> embeddings. The caller frees
// the result with the backend's Free. ctx is checked between blocks, so a
// cancelled request frees the backend within one block, not one tower.
// images → (Σ tokens, out_hidden)
func (v *Vision) Forward(ctx context.Context, images []*Image) (kernels.Tensor, error) {
	if len(images) == 0 {
		return nil, errors.New("qwen25vl: vision: no images")
	}
	l, err := v.Layout(images)
	if err != nil {
		return nil, err
	}
	var pix []float32
	for _, im := range images {
		pix = append(pix, im.Pixels...)
	}
	r := &run{ctx: ctx, v: v, be: v.be, l: l}
	defer r.free()
	out, err := r.forward(pix)
	if err != nil {
		return nil, fmt.Errorf("qwen25vl: vision: %w", err)
	}
	return out, nil
}

// run holds one Forward's activations; free releases them.
type run struct {
	ctx   context.Context
	v     *Vision
	be    kernels.Backend
	l     *Layout
	owned []kernels.Tensor
}

func (r *run) alloc(dt kernels.DType, shape ...int) (kernels.Tensor, error) {
	t, err := r.be.Alloc(dt, kernels.Shape(shape))
	if err == nil {
		r.owned = append(r.owned, t)
	}
	return t, err
}

func (r *run) free() {
	for _, t := range r.owned {
		r.be.Free(t)
	}
}

// embed uploads patch rows (in processor order) in window order and
// projects them.
// pix: (N, patch_len) → (N, hidden), window order
func (r *run) embed(pix []float32) (kernels.Tensor, error) {
	c := r.v.Config
	N, plen := r.l.Patches(), c.PatchLen()
	if len(pix) != N*plen {
		return nil, fmt.Errorf("%d pixel values for %d patches of %d", len(pix), N, plen)
	}
	in, err := r.alloc(kernels.F32, N, plen)
	if err != nil {
		return nil, err
	}
	if err := r.be.Write(in, f32Bytes(r.l.permuteRows(pix, plen))); err != nil {
		return nil, err
	}
	x, err := r.alloc(kernels.F32, N, c.HiddenSize)
	if err != nil {
		return nil, err
	}
	if err := r.be.MatMul(x, in, r.v.PatchEmbed.Proj, nil); err != nil {
		return nil, fmt.Errorf("patch embed: %w", err)
	}
	return x, nil
}

// forward runs embed, the blocks, the merger and the un-permutation.
// pix: (N, patch_len) → (N/merge², out_hidden), processor order
func (r *run) forward(pix []float32) (kernels.Tensor, error) {
	c := r.v.Config
	N, H := r.l.Patches(), c.HiddenSize
	x, err := r.embed(pix)
	if err != nil {
		return nil, err
	}
	pos, err := r.alloc(kernels.I32, 2, N) // (row, col) per patch, window order
	if err != nil {
		return nil, err
	}
	if err := r.be.Write(pos, i32Bytes(append(slices.Clone(r.l.Row), r.l.Col...))); err != nil {
		return nil, err
	}
	s := blockScratch{pos: pos}
	for _, p := range []*kernels.Tensor{&s.h, &s.q, &s.k, &s.v, &s.o} {
		if *p, err = r.alloc(kernels.F32, N, H); err != nil {
			return nil, err
		}
	}
	for _, p := range []*kernels.Tensor{&s.mlp.Gate, &s.mlp.Up} {
		if *p, err = r.alloc(kernels.F32, N, c.IntermediateSize); err != nil {
			return nil, err
		}
	}
	for i, b := range r.v.Blocks {
		if err := r.ctx.Err(); err != nil {
			return nil, err
		}
		cu := r.l.CuWindow
		if b.Full {
			cu = r.l.CuFull
		}
		if err := b.Forward(r.be, x, cu, c, s); err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
	}
	merged, err := r.merge(x)
	if err != nil {
		return nil, err
	}
	// Back from window order: row j of the result is window row Inverse[j].
	ids, err := r.alloc(kernels.I32, len(r.l.WindowIndex))
	if err != nil {
		return nil, err
	}
	if err := r.be.Write(ids, i32Bytes(r.l.Inverse())); err != nil {
		return nil, err
	}
	out, err := r.be.Alloc(kernels.F32, kernels.Shape{len(r.l.WindowIndex), c.OutHiddenSize})
	if err != nil {
		return nil, err
	}
	if err := r.be.Embedding(out, merged, ids); err != nil { // gather rows
		r.be.Free(out)
		return nil, fmt.Errorf("unpermute: %w", err)
	}
	return out, nil
}

// merge runs the patch merger.
// x: (N, hidden) → (N/merge², out_hidden)
func (r *run) merge(x kernels.Tensor) (kernels.Tensor, error) {
	c := r.v.Config
	m := r.v.Merger
	N, H, mm := r.l.Patches(), c.HiddenSize, c.SpatialMergeSize*c.SpatialMergeSize
	if err := m.LnQ.Forward(r.be, x, x); err != nil { // (N, hidden)
		return nil, fmt.Errorf("merger ln_q: %w", err)
	}
	g, err := r.alloc(kernels.F32, N/mm, mm*H)
	if err != nil {
		return nil, err
	}
	if err := r.be.Copy(g, x); err != nil { // (N, hidden) → (N/mm, mm·hidden), same bytes
		return nil, fmt.Errorf("merger regroup: %w", err)
	}
	h, err := r.alloc(kernels.F32, N/mm, mm*H)
	if err != nil {
		return nil, err
	}
	if err := m.FC1.Forward(r.be, h, g); err != nil { // (N/mm, mm·hidden)
		return nil, fmt.Errorf("merger mlp.0: %w", err)
	}
	if err := r.be.GELU(h, h); err != nil {
		return nil, fmt.Errorf("merger gelu: %w", err)
	}
	out, err := r.alloc(kernels.F32, N/mm, c.OutHiddenSize)
	if err != nil {
		return nil, err
	}
	if err := m.FC2.Forward(r.be, out, h); err != nil { // (N/mm, out_hidden)
		return nil, fmt.Errorf("merger mlp.2: %w", err)
	}
	return out, nil
}

// blockScratch holds a block's intermediates for all N patches.
type blockScratch struct {
	pos           kernels.Tensor // (2, N) I32: patch row, column
	h, q, k, v, o kernels.Tensor // (N, hidden)
	mlp           nn.MLPScratch  // (N, intermediate)
}

// Forward runs the block over all patches (window order), attending within
// the segments cu (windows, or whole frames when b.Full).
// x: (N, hidden) → x: (N, hidden)
func (b *Block) Forward(be kernels.Backend, x kernels.Tensor, cu []int, c VisionConfig, s blockScratch) error {
	if err := b.Norm1.Forward(be, s.h, x); err != nil { // (N, hidden)
		return err
	}
	if err := b.Attn.Forward(be, s.h, s.h, cu, c, s); err != nil { // (N, hidden)
		return err
	}
	if err := be.Add(x, x, s.h); err != nil { // residual
		return err
	}
	if err := b.Norm2.Forward(be, s.h, x); err != nil {
		return err
	}
	if err := b.MLP.Forward(be, s.h, s.h, s.mlp); err != nil { // (N, hidden)
		return err
	}
	return be.Add(x, x, s.h) // residual
}

// Forward projects q, k, v from the fused qkv weight's row blocks, rotates
// q and k by each patch's (row, col), attends within each segment
// [cu[i], cu[i+1]) and projects back. dst may be x.
// x: (N, hidden) → dst: (N, hidden)
func (a *Attention) Forward(be kernels.Backend, dst, x kernels.Tensor, cu []int, c VisionConfig, s blockScratch) error {
	H, D := c.HiddenSize, c.HeadDim()
	for i, t := range []kernels.Tensor{s.q, s.k, s.v} {
		w, err := be.Rows(a.QKV.Weight, i*H, H) // (hidden, hidden) block of (3·hidden, hidden)
		if err != nil {
			return fmt.Errorf("attn qkv: %w", err)
		}
		bias, err := be.Rows(a.QKV.Bias, i*H, H)
		if err != nil {
			return fmt.Errorf("attn qkv bias: %w", err)
		}
		if err := be.MatMul(t, x, w, bias); err != nil { // (N, hidden)
			return fmt.Errorf("attn qkv: %w", err)
		}
	}
	rp := kernels.RoPEParams{Heads: c.NumHeads, HeadDim: D, Theta: visionRopeTheta,
		Sections: []int{D / 4, D / 4}, SectionFreqs: true}
	for _, t := range []kernels.Tensor{s.q, s.k} {
		if err := be.RoPE(t, s.pos, rp); err != nil {
			return fmt.Errorf("attn rope: %w", err)
		}
	}
	p := kernels.AttentionParams{Heads: c.NumHeads, KVHeads: c.NumHeads, HeadDim: D,
		Scale: float32(1 / math.Sqrt(float64(D)))}
	for i := range len(cu) - 1 {
		lo, n := cu[i], cu[i+1]-cu[i]
		if n == 0 {
			continue
		}
		var seg [4]kernels.Tensor
		for j, t := range []kernels.Tensor{s.o, s.q, s.k, s.v} {
			var err error
			if seg[j], err = be.Rows(t, lo, n); err != nil {
				return fmt.Errorf("attn segment: %w", err)
			}
		}
		if err := be.Attention(seg[0], seg[1], seg[2], seg[3], p); err != nil { // (n, hidden)
			return fmt.Errorf("attn segment [%d, %d): %w", lo, lo+n, err)
		}
	}
	if err := a.Proj.Forward(be, dst, s.o); err != nil { // (N, hidden)
		return fmt.Errorf("attn proj: %w", err)
	}
	return nil
}

// f32Bytes is v's little-endian bytes.
func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		u := math.Float32bits(f)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return b
}

// i32Bytes is v's little-endian bytes.
func i32Bytes(v []int32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		u := uint32(x)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return b
}
