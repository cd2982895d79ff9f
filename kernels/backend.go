package kernels

import (
	"fmt"
	"slices"
)

// Backend is the op set the model code is written against. Tensors are
// handles owned by the backend; host data enters through Upload/Write and
// leaves through Download/TopK, so a device backend can keep everything in
// device memory.
//
// Conventions shared by every op:
//   - activations are F32 and 2-D: (rows, cols), row-major;
//   - weights are (out, in) as in PyTorch, in any dtype Capabilities lists;
//   - dst may not alias an input unless the op says so;
//   - an op a backend lacks returns an error wrapping ErrNotImplemented.
type Backend interface {
	// Name is the registry name: "cpu", "cuda".
	Name() string
	// Capabilities says what this backend instance can do.
	Capabilities() Capabilities
	// Close releases the backend (worker pool, device context). Tensors
	// are invalid afterwards.
	Close() error

	// Upload makes a tensor from host bytes in dt's little-endian layout.
	// data may be read-only mmapped memory that stays valid while the
	// checkpoint is open: a CPU backend may alias it, a device copies it.
	Upload(name string, dt DType, shape Shape, data []byte) (Tensor, error)
	// Alloc makes a zeroed F32 or I32 tensor.
	Alloc(dt DType, shape Shape) (Tensor, error)
	// Free releases a tensor made by Upload or Alloc; views are no-ops.
	Free(t Tensor)
	// Write copies host bytes (dst's dtype, little-endian) into dst.
	Write(dst Tensor, data []byte) error
	// Download copies an F32 tensor to host memory; len(dst) ≥ numel.
	Download(src Tensor, dst []float32) error
	// Rows is a view of rows [start, start+n) of a 2-D tensor, sharing memory.
	Rows(t Tensor, start, n int) (Tensor, error)
	// Copy copies src into dst (same dtype and numel).
	Copy(dst, src Tensor) error
	// Sync waits for queued work to finish.
	Sync() error

	// MatMul: x (T, in) f32 × w (out, in) → dst (T, out) f32, plus bias
	// (out) when bias is not nil. A weight with more than two dims
	// (out, d1, d2, …) is read as (out, d1·d2·…): a Conv3d kernel whose
	// stride equals its size is a MatMul over flattened patches.
	MatMul(dst, x, w, bias Tensor) error
	// Embedding gathers rows of table (vocab, dim) at ids (T) I32 → dst (T, dim) f32.
	Embedding(dst, table, ids Tensor) error
	// RMSNorm: dst = x / sqrt(mean(x²) + eps) * w, per row; w (cols).
	// dst may alias x.
	RMSNorm(dst, x, w Tensor, eps float32) error
	// RoPE rotates x (T, heads*headDim) in place at positions pos (I32):
	// (T) for plain RoPE, (len(p.Sections), T) for multi-axis M-RoPE.
	RoPE(x, pos Tensor, p RoPEParams) error
	// Attention: q (T, heads*headDim) over keys and values k, v
	// (≥ p.Start+T, kvHeads*headDim) → dst (T, heads*headDim).
	// Query row i sits at position p.Start+i; keys 0..p.Start+T-1 exist.
	Attention(dst, q, k, v Tensor, p AttentionParams) error
	// SwiGLU: dst = silu(gate) * up, elementwise. dst may alias gate or up.
	SwiGLU(dst, gate, up Tensor) error
	// GELU: dst = x·Φ(x) = x/2·(1 + erf(x/√2)), the exact (not tanh)
	// form, elementwise. dst may alias x.
	GELU(dst, x Tensor) error
	// Add: dst = a + b, elementwise. dst may alias a or b.
	Add(dst, a, b Tensor) error
	// Softmax: row-wise softmax of x into dst. dst may alias x.
	Softmax(dst, x Tensor) error
	// TopK returns the k largest values of row `row` of x, largest first,
	// lower index first on ties. k = 1 is argmax.
	TopK(x Tensor, row, k int) ([]Scored, error)
}

// Scored is one entry of a TopK result: an index (a token id) and its value.
type Scored struct {
	ID    int
	Value float32
}

// RoPEParams configures rotary position embedding, NeoX "rotate half"
// style (Hugging Face Qwen2): pairs (i, i+dim/2) rotate by pos·theta^(-2i/dim).
type RoPEParams struct {
	Heads   int     // heads in x
	HeadDim int     // values per head
	Dim     int     // rotated values per head (= HeadDim for Qwen2); 0 means HeadDim
	Theta   float64 // rope_theta
	// Sections is M-RoPE's mrope_section: frequency pairs per position
	// axis, summing to Dim/2. Nil means one position axis.
	Sections []int
	// SectionFreqs gives each section its own frequency ladder: pair j of
	// a section of n pairs turns by pos·theta^(-j/n) instead of the
	// global pos·theta^(-2i/dim). This is Qwen2-VL's vision rotary
	// (sections [D/4, D/4] over the patch's (row, col)). Needs Sections.
	SectionFreqs bool
}

// RotDim is the number of rotated values per head.
func (p RoPEParams) RotDim() int {
	if p.Dim == 0 {
		return p.HeadDim
	}
	return p.Dim
}

// Validate checks the parameters against a width of x.
func (p RoPEParams) Validate(cols int) error {
	d := p.RotDim()
	switch {
	case p.Heads <= 0 || p.HeadDim <= 0:
		return fmt.Errorf("kernels: rope: heads %d head_dim %d", p.Heads, p.HeadDim)
	case p.Heads*p.HeadDim != cols:
		return fmt.Errorf("kernels: rope: %d heads × %d ≠ %d columns", p.Heads, p.HeadDim, cols)
	case d <= 0 || d%2 != 0 || d > p.HeadDim:
		return fmt.Errorf("kernels: rope: rotated dim %d of head_dim %d", d, p.HeadDim)
	case p.Theta <= 0:
		return fmt.Errorf("kernels: rope: theta %g", p.Theta)
	}
	if p.Sections != nil {
		sum := 0
		for _, s := range p.Sections {
			if s < 0 {
				return fmt.Errorf("kernels: rope: negative section in %v", p.Sections)
			}
			sum += s
		}
		if sum != d/2 {
			return fmt.Errorf("kernels: rope: sections %v sum to %d, want %d", p.Sections, sum, d/2)
		}
	} else if p.SectionFreqs {
		return fmt.Errorf("kernels: rope: section frequencies without sections")
	}
	return nil
}

// AttentionParams configures scaled dot-product attention with grouped
// query heads: query head h reads key/value head h / (Heads/KVHeads).
type AttentionParams struct {
	Heads, KVHeads, HeadDim int
	Start                   int     // position of query row 0 = keys already cached
	Scale                   float32 // usually 1/sqrt(HeadDim)
	Causal                  bool    // query i sees keys ≤ Start+i; else all Start+T keys
}

// Validate checks head counts and that k and v hold Start+T rows.
func (p AttentionParams) Validate(qShape, kShape, vShape Shape) error {
	if p.Heads <= 0 || p.KVHeads <= 0 || p.HeadDim <= 0 || p.Heads%p.KVHeads != 0 {
		return fmt.Errorf("kernels: attention: heads %d kv_heads %d head_dim %d", p.Heads, p.KVHeads, p.HeadDim)
	}
	if len(qShape) != 2 || len(kShape) != 2 || len(vShape) != 2 {
		return fmt.Errorf("kernels: attention: want 2-D q, k, v; got %v %v %v", qShape, kShape, vShape)
	}
	if qShape[1] != p.Heads*p.HeadDim || kShape[1] != p.KVHeads*p.HeadDim || vShape[1] != kShape[1] {
		return fmt.Errorf("kernels: attention: q %v k %v v %v disagree with %d/%d heads × %d", qShape, kShape, vShape, p.Heads, p.KVHeads, p.HeadDim)
	}
	if p.Start < 0 || kShape[0] < p.Start+qShape[0] || vShape[0] < p.Start+qShape[0] {
		return fmt.Errorf("kernels: attention: %d cached + %d new keys exceed k %v / v %v", p.Start, qShape[0], kShape, vShape)
	}
	return nil
}

// Capabilities describes a backend instance.
type Capabilities struct {
	Name    string // registry name
	Device  string // human description: CPU model, GPU name
	Threads int    // worker threads (CPU)
	// MatMulDTypes are the weight dtypes MatMul and Embedding accept.
	MatMulDTypes []DType
	// MRoPE reports multi-axis RoPE support (RoPEParams.Sections).
	MRoPE bool
	// MemoryBytes is device memory; 0 for host memory.
	MemoryBytes int64
}

// SupportsWeight reports whether MatMul accepts weights of type dt.
func (c Capabilities) SupportsWeight(dt DType) bool {
	return slices.Contains(c.MatMulDTypes, dt)
}
