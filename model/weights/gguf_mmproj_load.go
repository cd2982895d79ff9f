package weights

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Special tokens of Qwen2.5-VL whose ids config.json carries; a GGUF has
// them only in its vocabulary.
var qwen2vlTokenIDs = []struct{ key, token string }{
	{"image_token_id", "<|image_pad|>"},
	{"video_token_id", "<|video_pad|>"},
	{"vision_start_token_id", "<|vision_start|>"},
	{"vision_end_token_id", "<|vision_end|>"},
	{"vision_token_id", "<|vision_pad|>"},
}

// qwen2vlConfig adds to a synthesized config.json what the qwen2vl
// architecture implies: M-RoPE sections and the vision token ids.
func qwen2vlConfig(cfg map[string]any, meta map[string]any) error {
	sec, ok := meta["qwen2vl.rope.dimension_sections"]
	if !ok {
		return errors.New("gguf: metadata qwen2vl.rope.dimension_sections missing")
	}
	var sections []int
	switch x := sec.(type) {
	case []int32:
		for _, v := range x {
			sections = append(sections, int(v))
		}
	case []uint32:
		for _, v := range x {
			sections = append(sections, int(v))
		}
	default:
		return fmt.Errorf("gguf: metadata qwen2vl.rope.dimension_sections: %T", sec)
	}
	for len(sections) > 0 && sections[len(sections)-1] == 0 { // the converter pads to 4 with zeros
		sections = sections[:len(sections)-1]
	}
	cfg["rope_scaling"] = map[string]any{"type": "mrope", "rope_type": "default", "mrope_section": sections}
	if toks, ok := meta["tokenizer.ggml.tokens"].([]string); ok {
		for id, tok := range toks {
			for _, t := range qwen2vlTokenIDs {
				if tok == t.token {
					cfg[t.key] = id
				}
			}
		}
	}
	return nil
}

// OpenGGUFPair opens a qwen2vl text GGUF together with a vision tower
// file of any name (llama.cpp's converter names it mmproj-<model>-<type>.gguf;
// Open finds only MMProjPath(main)).
func OpenGGUFPair(main, mmproj string) (*Checkpoint, error) {
	ck, err := openGGUFWith(main, mmproj)
	if err != nil {
		return nil, err
	}
	ck.Path = main
	return ck, nil
}

// defaultMMProj is MMProjPath(main) when main is a qwen2vl GGUF whose
// companion exists, else "".
func defaultMMProj(ck *Checkpoint, main string) string {
	if ck.GGUFMeta["general.architecture"] != "qwen2vl" {
		return ""
	}
	p := MMProjPath(main)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	return p
}

// attachMMProj loads the vision tower of a qwen2vl GGUF from mmPath. Its tensors get Hugging Face names;
// the q/k/v projections are fused back into visual.blocks.N.attn.qkv and
// the two temporal slices of the patch embedding into one 5-D tensor.
// Those fused tensors live on the heap (the vision tower is small next to
// the decoder); every other tensor stays in the mapping. The synthesized
// config gains vision_config and PreprocessorJSON is filled from the clip
// metadata.
func (ck *Checkpoint) attachMMProj(mmPath string) error {
	mf, err := openMapped(mmPath)
	if err != nil {
		return err
	}
	ck.files = append(ck.files, mf)
	g, err := parseGGUF(mf.data)
	if err != nil {
		return fmt.Errorf("%s: %w", mmPath, err)
	}
	if a, _ := g.meta["general.architecture"].(string); a != "clip" || g.meta["clip.projector_type"] != "qwen2.5vl_merger" {
		return fmt.Errorf("%s: architecture %v projector %v, want clip qwen2.5vl_merger", mmPath, g.meta["general.architecture"], g.meta["clip.projector_type"])
	}
	byName := map[string]TensorInfo{}
	for _, t := range g.tensors {
		t.File = mf.path
		byName[t.Name] = t
	}
	vc, err := ck.addVisionTensors(byName)
	if err != nil {
		return fmt.Errorf("%s: %w", mmPath, err)
	}
	return ck.setVisionConfig(g.meta, vc)
}

// addVisionTensors registers the mmproj tensors under HF names.
func (ck *Checkpoint) addVisionTensors(byName map[string]TensorInfo) (map[string]any, error) {
	vc := map[string]any{}
	p0, ok0 := byName[mmprojPatchName]
	p1, ok1 := byName[mmprojPatchName+".1"]
	if !ok0 {
		return nil, fmt.Errorf("no %s", mmprojPatchName)
	}
	delete(byName, mmprojPatchName)
	delete(byName, mmprojPatchName+".1")
	patch, err := stackPatchEmbedding(p0, p1, ok1)
	if err != nil {
		return nil, err
	}
	vc["in_channels"], vc["temporal_patch_size"] = p0.Shape[1], patch.Shape[2]
	if err := ck.addTensor(patch, mmprojPatchName); err != nil {
		return nil, err
	}
	for name, q := range byName {
		prefix, suffix, isQ := cutQKV(name, "attn_q")
		if !isQ {
			continue
		}
		k, okK := byName[prefix+"attn_k"+suffix]
		v, okV := byName[prefix+"attn_v"+suffix]
		if !okK || !okV {
			return nil, fmt.Errorf("%s without its attn_k/attn_v", name)
		}
		delete(byName, name)
		delete(byName, prefix+"attn_k"+suffix)
		delete(byName, prefix+"attn_v"+suffix)
		hf, ok := GGUFToHF(prefix + "attn_out" + suffix)
		if !ok {
			return nil, fmt.Errorf("%s has no Hugging Face name", name)
		}
		fused, err := concatRows(strings.Replace(hf, ".attn.proj", ".attn.qkv", 1), q, k, v)
		if err != nil {
			return nil, err
		}
		if err := ck.addTensor(fused, name); err != nil {
			return nil, err
		}
	}
	for name, t := range byName {
		hf, ok := GGUFToHF(name)
		if !ok {
			return nil, fmt.Errorf("tensor %s has no Hugging Face name", name)
		}
		t.Name = hf
		if err := ck.addTensor(t, name); err != nil {
			return nil, err
		}
	}
	ck.finish()
	return vc, nil
}

// cutQKV splits "v.blk.3.attn_q.weight" into "v.blk.3." and ".weight".
func cutQKV(name, part string) (prefix, suffix string, ok bool) {
	base, suffix, ok := cutWeightSuffix(name)
	if !ok || !strings.HasPrefix(base, "v.blk.") || !strings.HasSuffix(base, "."+part) {
		return "", "", false
	}
	return strings.TrimSuffix(base, part), suffix, true
}

// concatRows stacks same-typed tensors along their first dimension.
func concatRows(name string, ts ...TensorInfo) (TensorInfo, error) {
	out := TensorInfo{Name: name, DType: ts[0].DType, Type: ts[0].Type, File: ts[0].File}
	rows := 0
	var data []byte
	for _, t := range ts {
		if t.Type != ts[0].Type || len(t.Shape) != len(ts[0].Shape) || t.Data == nil || len(t.Shape) > 2 ||
			len(t.Shape) == 2 && t.Shape[1] != ts[0].Shape[1] {
			return TensorInfo{}, fmt.Errorf("%s: q/k/v parts differ in type or shape (%s %v vs %s %v)", name, t.Type, t.Shape, ts[0].Type, ts[0].Shape)
		}
		rows += t.Shape[0]
		data = append(data, t.Data...)
	}
	out.Shape = append([]int{rows}, ts[0].Shape[1:]...)
	out.Data = data
	return out, nil
}

// stackPatchEmbedding rebuilds (C, in, T, P, P) from T temporal slices of
// shape (C, in, P, P) (T = 2 with weight.1, else 1).
func stackPatchEmbedding(p0, p1 TensorInfo, two bool) (TensorInfo, error) {
	parts := []TensorInfo{p0}
	if two {
		parts = append(parts, p1)
	}
	s := p0.Shape
	if len(s) != 4 || p0.Data == nil || s.Numel() == 0 || len(p0.Data)%(s[0]*s[1]) != 0 {
		return TensorInfo{}, fmt.Errorf("%s: shape %v, want (C, in, P, P)", mmprojPatchName, s)
	}
	for _, p := range parts[1:] {
		if p.Type != p0.Type || !p.Shape.Equal(s) || p.Data == nil {
			return TensorInfo{}, fmt.Errorf("%s.1 differs from %s in type or shape", mmprojPatchName, mmprojPatchName)
		}
	}
	plane := len(p0.Data) / (s[0] * s[1])
	data := make([]byte, 0, len(p0.Data)*len(parts))
	for ci := 0; ci < s[0]*s[1]; ci++ {
		for _, p := range parts {
			data = append(data, p.Data[ci*plane:(ci+1)*plane]...)
		}
	}
	return TensorInfo{Name: "visual.patch_embed.proj.weight", DType: p0.DType, Type: p0.Type, File: p0.File,
		Shape: []int{s[0], s[1], len(parts), s[2], s[3]}, Data: data}, nil
}

// setVisionConfig adds vision_config to the synthesized config.json and
// fills PreprocessorJSON.
func (ck *Checkpoint) setVisionConfig(meta map[string]any, vc map[string]any) error {
	geti := func(key string, def int64) (int64, error) {
		v, ok, err := metaInt(meta, key)
		if err != nil || !ok {
			if err == nil && def < 0 {
				err = fmt.Errorf("gguf: metadata %s missing", key)
			}
			return def, err
		}
		return v, nil
	}
	var errs []error
	for _, f := range []struct {
		hf, key string
		def     int64
	}{
		{"depth", "clip.vision.block_count", -1}, {"hidden_size", "clip.vision.embedding_length", -1},
		{"intermediate_size", "clip.vision.feed_forward_length", -1}, {"num_heads", "clip.vision.attention.head_count", -1},
		{"out_hidden_size", "clip.vision.projection_dim", -1}, {"patch_size", "clip.vision.patch_size", -1},
		{"spatial_merge_size", "clip.vision.spatial_merge_size", 2},
		{"window_size", "clip.vision.window_size", 112}, // llama.cpp's fixed value when the key is absent
	} {
		v, err := geti(f.key, f.def)
		errs = append(errs, err)
		vc[f.hf] = v
	}
	nWA, err := geti("clip.vision.n_wa_pattern", -1)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	depth := vc["depth"].(int64)
	if depth <= 0 || depth > 1024 || nWA <= 0 {
		return fmt.Errorf("gguf: clip.vision.block_count %d or n_wa_pattern %d out of range", depth, nWA)
	}
	full := []int64{}
	for i := int64(0); i < depth; i++ {
		if (i+1)%nWA == 0 {
			full = append(full, i)
		}
	}
	vc["fullatt_block_indexes"] = full
	vc["hidden_act"] = "gelu"
	if silu, _ := meta["clip.use_silu"].(bool); silu {
		vc["hidden_act"] = "silu"
	}
	var cfg map[string]any
	if err := json.Unmarshal(ck.ConfigJSON, &cfg); err != nil {
		return err
	}
	cfg["vision_config"] = vc
	raw, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := ck.setConfig(raw); err != nil {
		return err
	}
	pp := map[string]any{"patch_size": vc["patch_size"], "merge_size": vc["spatial_merge_size"],
		"temporal_patch_size": vc["temporal_patch_size"], "resample": 3}
	for _, k := range []string{"image_mean", "image_std"} {
		if v, ok := meta["clip.vision."+k].([]float32); ok && len(v) == 3 {
			pp[k] = v
		}
	}
	for _, k := range []string{"min_pixels", "max_pixels"} {
		if v, ok, _ := metaInt(meta, "clip.vision.image_"+k); ok {
			pp[k] = v
		}
	}
	ck.PreprocessorJSON, err = json.MarshalIndent(pp, "", "  ")
	return err
}
