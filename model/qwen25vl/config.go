// Package qwen25vl is the vision side of Qwen2.5-VL (the Lingshu
// architecture): image preprocessing exactly as transformers' slow
// Qwen2VLImageProcessor does it (Pillow bicubic resize included), the
// vision tower (patch embed, 2-D rotary, window attention, patch merger)
// built on kernels.Backend, and the window ordering it needs.
//
// Preprocess turns an image.Image into patch rows; LoadVision binds the
// checkpoint's visual.* weights and (*Vision).Forward turns patch rows into
// one embedding per merged 2×2 token. Load adds the Qwen2 text decoder
// (model/qwen2) driven with M-RoPE: ExpandImagePads and RopeIndex give the
// prompt's ids and three-axis positions, and a Session prefills a prompt
// with its image embeddings at the <|image_pad|> rows, then steps tokens.
package qwen25vl

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// VisionConfig is config.json's vision_config.
type VisionConfig struct {
	Depth               int    `json:"depth"`
	HiddenSize          int    `json:"hidden_size"`
	IntermediateSize    int    `json:"intermediate_size"`
	NumHeads            int    `json:"num_heads"`
	InChannels          int    `json:"in_channels"`
	OutHiddenSize       int    `json:"out_hidden_size"`
	PatchSize           int    `json:"patch_size"`
	SpatialMergeSize    int    `json:"spatial_merge_size"`
	TemporalPatchSize   int    `json:"temporal_patch_size"`
	WindowSize          int    `json:"window_size"`
	FullAttBlockIndexes []int  `json:"fullatt_block_indexes"`
	HiddenAct           string `json:"hidden_act"`
}

// ParseVisionConfig reads vision_config from a config.json.
func ParseVisionConfig(configJSON []byte) (VisionConfig, error) {
	var top struct {
		Vision *VisionConfig `json:"vision_config"`
	}
	if err := json.Unmarshal(configJSON, &top); err != nil {
		return VisionConfig{}, fmt.Errorf("qwen25vl: config: %w", err)
	}
	if top.Vision == nil {
		return VisionConfig{}, errors.New("qwen25vl: config: no vision_config")
	}
	c := *top.Vision
	if c.InChannels == 0 {
		c.InChannels = 3
	}
	if c.TemporalPatchSize == 0 {
		c.TemporalPatchSize = 2
	}
	if c.HiddenAct == "" {
		c.HiddenAct = "silu"
	}
	return c, c.Validate()
}

// HeadDim is hidden_size / num_heads.
func (c VisionConfig) HeadDim() int { return c.HiddenSize / c.NumHeads }

// PatchLen is the length of one patch row: channels·temporal·patch².
func (c VisionConfig) PatchLen() int {
	return c.InChannels * c.TemporalPatchSize * c.PatchSize * c.PatchSize
}

// Validate checks the fields the tower relies on.
func (c VisionConfig) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Depth <= 0 || c.HiddenSize <= 0 || c.IntermediateSize <= 0 || c.OutHiddenSize <= 0 {
		bad("depth %d hidden %d intermediate %d out_hidden %d", c.Depth, c.HiddenSize, c.IntermediateSize, c.OutHiddenSize)
	}
	if c.NumHeads <= 0 || c.HiddenSize%c.NumHeads != 0 || c.HeadDim()%4 != 0 {
		bad("hidden %d not split into heads %d with head_dim a multiple of 4", c.HiddenSize, c.NumHeads)
	}
	if c.PatchSize <= 0 || c.SpatialMergeSize <= 0 || c.TemporalPatchSize <= 0 || c.InChannels <= 0 {
		bad("patch %d merge %d temporal %d channels %d", c.PatchSize, c.SpatialMergeSize, c.TemporalPatchSize, c.InChannels)
	} else if c.WindowSize < c.PatchSize*c.SpatialMergeSize || c.WindowSize%(c.PatchSize*c.SpatialMergeSize) != 0 {
		bad("window_size %d is not a multiple of patch·merge %d", c.WindowSize, c.PatchSize*c.SpatialMergeSize)
	}
	for _, i := range c.FullAttBlockIndexes {
		if i < 0 || i >= c.Depth {
			bad("fullatt_block_indexes %v outside depth %d", c.FullAttBlockIndexes, c.Depth)
			break
		}
	}
	if c.HiddenAct != "silu" {
		bad("hidden_act %q is not supported (silu)", c.HiddenAct)
	}
	if len(errs) > 0 {
		return fmt.Errorf("qwen25vl: vision_config: %w", errors.Join(errs...))
	}
	return nil
}

// PreprocessConfig is preprocessor_config.json (Qwen2VLImageProcessor).
type PreprocessConfig struct {
	MinPixels         int        `json:"min_pixels"`
	MaxPixels         int        `json:"max_pixels"`
	PatchSize         int        `json:"patch_size"`
	TemporalPatchSize int        `json:"temporal_patch_size"`
	MergeSize         int        `json:"merge_size"`
	ImageMean         [3]float64 `json:"image_mean"`
	ImageStd          [3]float64 `json:"image_std"`
	Resample          int        `json:"resample"`
}

// DefaultPreprocessConfig is Qwen2-VL's published processor configuration.
func DefaultPreprocessConfig() PreprocessConfig {
	return PreprocessConfig{
		MinPixels: 56 * 56, MaxPixels: 28 * 28 * 1280, PatchSize: 14, TemporalPatchSize: 2, MergeSize: 2,
		ImageMean: [3]float64{0.48145466, 0.4578275, 0.40821073},
		ImageStd:  [3]float64{0.26862954, 0.26130258, 0.27577711},
		Resample:  3,
	}
}

// ParsePreprocessConfig reads preprocessor_config.json; absent fields keep
// their defaults.
func ParsePreprocessConfig(data []byte) (PreprocessConfig, error) {
	c := DefaultPreprocessConfig()
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("qwen25vl: preprocessor config: %w", err)
	}
	return c, c.Validate()
}

// LoadPreprocessConfig reads dir/preprocessor_config.json, or returns the
// defaults when the file does not exist.
func LoadPreprocessConfig(dir string) (PreprocessConfig, error) {
	data, err := os.ReadFile(filepath.Join(dir, "preprocessor_config.json"))
	if errors.Is(err, os.ErrNotExist) {
		return DefaultPreprocessConfig(), nil
	}
	if err != nil {
		return PreprocessConfig{}, fmt.Errorf("qwen25vl: %w", err)
	}
	return ParsePreprocessConfig(data)
}

// Validate checks the sizes and that the resampler is bicubic.
func (c PreprocessConfig) Validate() error {
	switch {
	case c.PatchSize <= 0 || c.MergeSize <= 0 || c.TemporalPatchSize <= 0:
		return fmt.Errorf("qwen25vl: preprocessor: patch %d merge %d temporal %d", c.PatchSize, c.MergeSize, c.TemporalPatchSize)
	case c.MinPixels <= 0 || c.MaxPixels < c.MinPixels:
		return fmt.Errorf("qwen25vl: preprocessor: min_pixels %d max_pixels %d", c.MinPixels, c.MaxPixels)
	case c.Resample != 3:
		return fmt.Errorf("qwen25vl: preprocessor: resample %d is not supported (3, bicubic)", c.Resample)
	}
	for i, s := range c.ImageStd {
		if s <= 0 {
			return fmt.Errorf("qwen25vl: preprocessor: image_std[%d] = %g", i, s)
		}
	}
	return nil
}
