package weights

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/lingshu-edge/lingshu/quant"
)

// Qwen2.5-VL's vision tower goes into a companion "mmproj" GGUF, laid out
// as llama.cpp's clip/mtmd expects it (projector type qwen2.5vl_merger);
// quant/doc.go lists the keys and tensor names.

const (
	mmprojPatchName = "v.patch_embd.weight"
	qkvSuffixHF     = ".attn.qkv"
)

// visionExportTensors maps one visual.* tensor to its mmproj tensor(s).
func visionExportTensors(t TensorInfo, target quant.Type) ([]exportTensor, error) {
	name := t.Name
	if name == "visual.patch_embed.proj.weight" {
		s := t.Shape
		if len(s) != 5 || s[2] != 2 {
			return nil, fmt.Errorf("tensor %s: shape %v, want (C, in, 2, P, P)", name, s)
		}
		// Forced to F16 for an F16 file and F32 otherwise, as the converter does.
		typ := quant.F32
		if target == quant.F16 {
			typ = quant.F16
		}
		shape := []int{s[0], s[1], s[3], s[4]}
		return []exportTensor{
			{spec: quant.TensorSpec{Name: mmprojPatchName, Type: typ, Shape: shape}, src: t, plane: 0},
			{spec: quant.TensorSpec{Name: mmprojPatchName + ".1", Type: typ, Shape: shape}, src: t, plane: 1},
		}, nil
	}
	base, suffix, ok := cutWeightSuffix(name)
	if ok && strings.HasSuffix(base, qkvSuffixHF) {
		rows := t.Shape[0]
		if rows%3 != 0 {
			return nil, fmt.Errorf("tensor %s: %d rows do not split into q, k, v", name, rows)
		}
		g, ok := HFToGGUF(strings.TrimSuffix(base, qkvSuffixHF) + ".attn.proj" + suffix)
		if !ok {
			return nil, fmt.Errorf("tensor %s has no GGUF name", name)
		}
		prefix := strings.TrimSuffix(strings.TrimSuffix(g, suffix), "attn_out")
		out := make([]exportTensor, 3)
		shape := append([]int{rows / 3}, t.Shape[1:]...)
		for i, part := range []string{"attn_q", "attn_k", "attn_v"} {
			gn := prefix + part + suffix
			out[i] = exportTensor{spec: quant.TensorSpec{Name: gn, Type: targetType(gn, shape, target), Shape: shape},
				src: t, rowLo: i * rows / 3, rowHi: (i + 1) * rows / 3, plane: -1}
		}
		return out, nil
	}
	g, ok := HFToGGUF(name)
	if !ok {
		return nil, fmt.Errorf("tensor %s has no GGUF name", name)
	}
	return []exportTensor{{spec: quant.TensorSpec{Name: g, Type: targetType(g, t.Shape, target), Shape: t.Shape}, src: t, plane: -1}}, nil
}

func cutWeightSuffix(name string) (base, suffix string, ok bool) {
	for _, s := range []string{".weight", ".bias"} {
		if strings.HasSuffix(name, s) {
			return strings.TrimSuffix(name, s), s, true
		}
	}
	return name, "", false
}

// hfVisionConfig is config.json's vision_config as the mmproj needs it.
type hfVisionConfig struct {
	Depth               int    `json:"depth"`
	Hidden              int    `json:"hidden_size"`
	Intermediate        int    `json:"intermediate_size"`
	Heads               int    `json:"num_heads"`
	OutHidden           int    `json:"out_hidden_size"`
	PatchSize           int    `json:"patch_size"`
	SpatialMergeSize    int    `json:"spatial_merge_size"`
	TemporalPatchSize   int    `json:"temporal_patch_size"`
	WindowSize          int    `json:"window_size"`
	FullAttBlockIndexes []int  `json:"fullatt_block_indexes"`
	HiddenAct           string `json:"hidden_act"`
	ImageSize           int    `json:"image_size"`
}

// mmprojMetadata builds the clip metadata of the vision file from
// config.json and preprocessor_config.json.
func mmprojMetadata(ck *Checkpoint, name string, fileType uint32) ([]quant.KV, error) {
	var top struct {
		ModelType  string          `json:"model_type"`
		Hidden     int             `json:"hidden_size"`
		RMSNormEps float64         `json:"rms_norm_eps"`
		Vision     *hfVisionConfig `json:"vision_config"`
	}
	if err := json.Unmarshal(ck.ConfigJSON, &top); err != nil || top.Vision == nil {
		return nil, fmt.Errorf("weights: export mmproj: config.json has no vision_config (%v)", err)
	}
	v := *top.Vision
	if top.ModelType != "qwen2_5_vl" {
		return nil, fmt.Errorf("weights: export mmproj: model_type %q (only qwen2_5_vl)", top.ModelType)
	}
	fa := v.FullAttBlockIndexes
	if len(fa) == 0 {
		return nil, errors.New("weights: export mmproj: vision_config.fullatt_block_indexes is required")
	}
	nWA := fa[0] + 1
	for i := 1; i < len(fa); i++ {
		if fa[i]-fa[i-1] != nWA {
			return nil, fmt.Errorf("weights: export mmproj: fullatt_block_indexes %v are not evenly spaced", fa)
		}
	}
	if v.ImageSize == 0 {
		v.ImageSize = 560 // the converter's default
	}
	if v.SpatialMergeSize == 0 {
		v.SpatialMergeSize = 2
	}
	eps := top.RMSNormEps
	if eps == 0 {
		eps = 1e-6
	}
	pp, err := readPreprocessor(ck.Dir)
	if err != nil {
		return nil, err
	}
	kvs := []quant.KV{
		{Key: "general.architecture", Value: "clip"},
		{Key: "general.type", Value: "mmproj"},
		{Key: "general.name", Value: name},
		{Key: "general.file_type", Value: fileType},
		{Key: "clip.has_vision_encoder", Value: true},
		{Key: "clip.vision.projection_dim", Value: uint32(top.Hidden)},
		{Key: "clip.vision.image_size", Value: uint32(v.ImageSize)},
		{Key: "clip.vision.patch_size", Value: uint32(v.PatchSize)},
		{Key: "clip.vision.embedding_length", Value: uint32(v.Hidden)},
		{Key: "clip.vision.feed_forward_length", Value: uint32(v.Intermediate)},
		{Key: "clip.vision.block_count", Value: uint32(v.Depth)},
		{Key: "clip.vision.attention.head_count", Value: uint32(v.Heads)},
		{Key: "clip.vision.image_mean", Value: pp.ImageMean},
		{Key: "clip.vision.image_std", Value: pp.ImageStd},
		{Key: "clip.projector_type", Value: "qwen2.5vl_merger"},
		{Key: "clip.use_silu", Value: true},
		{Key: "clip.vision.n_wa_pattern", Value: uint32(nWA)},
		{Key: "clip.vision.attention.layer_norm_epsilon", Value: float32(eps)},
		// Not written by convert_hf_to_gguf.py for Qwen2.5-VL, but llama.cpp
		// keys (constants.py) that the tower needs to be reproduced exactly.
		{Key: "clip.vision.window_size", Value: uint32(v.WindowSize)},
		{Key: "clip.vision.spatial_merge_size", Value: uint32(v.SpatialMergeSize)},
	}
	if pp.MinPixels > 0 && pp.MaxPixels > 0 {
		kvs = append(kvs,
			quant.KV{Key: "clip.vision.image_min_pixels", Value: uint32(pp.MinPixels)},
			quant.KV{Key: "clip.vision.image_max_pixels", Value: uint32(pp.MaxPixels)})
	}
	return append(kvs, quant.KV{Key: "general.quantization_version", Value: uint32(2)}), nil
}

// hfPreprocessor is the part of preprocessor_config.json the mmproj keeps.
type hfPreprocessor struct {
	ImageMean []float32 `json:"image_mean"`
	ImageStd  []float32 `json:"image_std"`
	MinPixels int       `json:"min_pixels"`
	MaxPixels int       `json:"max_pixels"`
}

func readPreprocessor(dir string) (hfPreprocessor, error) {
	pp := hfPreprocessor{ // Qwen2VLImageProcessor's defaults (CLIP mean/std)
		ImageMean: []float32{0.48145466, 0.4578275, 0.40821073},
		ImageStd:  []float32{0.26862954, 0.26130258, 0.27577711},
	}
	raw, err := readSmallFile(filepath.Join(dir, "preprocessor_config.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return pp, nil
	}
	if err == nil {
		err = json.Unmarshal(raw, &pp)
	}
	if err != nil {
		return pp, fmt.Errorf("weights: export mmproj: preprocessor_config.json: %w", err)
	}
	if len(pp.ImageMean) != 3 || len(pp.ImageStd) != 3 {
		return pp, fmt.Errorf("weights: export mmproj: preprocessor_config.json: image_mean/image_std need 3 values")
	}
	return pp, nil
}
