package weights

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lingshu-edge/lingshu/quant"
)

// TestExportGGUF_VisionRoundTrip writes qwen25vl-tiny as a qwen2vl GGUF
// plus its mmproj companion and opens the pair again: every tensor comes
// back under its Hugging Face name and shape (qkv and the 5-D patch
// embedding re-fused), bit for bit for BF16, and the synthesized config
// has the vision_config, M-RoPE sections and token ids of config.json.
func TestExportGGUF_VisionRoundTrip(t *testing.T) {
	src, err := Open(goldenPath(t, "qwen25vl-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, typ := range []quant.Type{quant.BF16, quant.Q8_0} {
		t.Run(typ.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "vl.gguf")
			res, err := ExportGGUF(src, out, ExportOptions{Type: typ})
			if err != nil {
				t.Fatal(err)
			}
			if res.MMProj != filepath.Join(filepath.Dir(out), "mmproj-vl.gguf") {
				t.Fatalf("mmproj at %q", res.MMProj)
			}
			mm := parsedGGUF(t, res.MMProj)
			if mm.meta["clip.projector_type"] != "qwen2.5vl_merger" || mm.meta["clip.vision.n_wa_pattern"] != uint32(2) ||
				mm.meta["clip.vision.window_size"] != uint32(56) || mm.meta["clip.vision.projection_dim"] != uint32(64) {
				t.Fatalf("mmproj metadata %v", mm.meta)
			}
			for _, ti := range mm.tensors {
				if ti.Name == "v.blk.0.attn_q.weight" && ti.Type != typ.String() || ti.Name == "v.patch_embd.weight" && ti.Type != "F32" {
					t.Errorf("%s stored as %s", ti.Name, ti.Type)
				}
			}
			back, err := Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer back.Close()
			if !reflect.DeepEqual(back.Names(), src.Names()) {
				t.Fatalf("names:\n%v\n%v", back.Names(), src.Names())
			}
			for _, n := range src.Names() {
				a, _ := src.Tensor(n)
				b, _ := back.Tensor(n)
				if !a.Shape.Equal(b.Shape) {
					t.Fatalf("%s: shape %v, want %v", n, b.Shape, a.Shape)
				}
				if b.Type == a.Type && !bytes.Equal(a.Data, b.Data) {
					t.Errorf("%s: %s bytes differ", n, b.Type)
				}
				if n == "visual.patch_embed.proj.weight" {
					av, _ := a.Float32s()
					bv, _ := b.Float32s()
					if !reflect.DeepEqual(av, bv) {
						t.Errorf("patch embedding values differ after the F32 round trip")
					}
				}
			}
			var got, want map[string]any
			json.Unmarshal(back.ConfigJSON, &got)
			json.Unmarshal(src.ConfigJSON, &want)
			for _, k := range []string{"model_type", "hidden_size", "num_hidden_layers", "image_token_id", "vision_start_token_id", "vision_end_token_id", "tie_word_embeddings"} {
				if !reflect.DeepEqual(got[k], want[k]) {
					t.Errorf("config %s = %v, want %v", k, got[k], want[k])
				}
			}
			if !reflect.DeepEqual(got["rope_scaling"].(map[string]any)["mrope_section"], want["rope_scaling"].(map[string]any)["mrope_section"]) {
				t.Errorf("rope_scaling %v", got["rope_scaling"])
			}
			gv, wv := got["vision_config"].(map[string]any), want["vision_config"].(map[string]any)
			for _, k := range []string{"depth", "hidden_size", "intermediate_size", "num_heads", "out_hidden_size", "patch_size",
				"spatial_merge_size", "temporal_patch_size", "window_size", "fullatt_block_indexes", "hidden_act", "in_channels"} {
				if !reflect.DeepEqual(gv[k], wv[k]) {
					t.Errorf("vision_config %s = %v, want %v", k, gv[k], wv[k])
				}
			}
			var pp map[string]any
			if err := json.Unmarshal(back.PreprocessorJSON, &pp); err != nil || pp["max_pixels"] != float64(12845056) || pp["merge_size"] != float64(2) {
				t.Errorf("preprocessor %s (%v)", back.PreprocessorJSON, err)
			}
		})
	}
}

// TestOpenGGUFPair_AnyName opens a pair whose mmproj has llama.cpp's
// naming instead of MMProjPath's.
func TestOpenGGUFPair_AnyName(t *testing.T) {
	src, err := Open(goldenPath(t, "qwen25vl-tiny"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "vl.gguf")
	res, err := ExportGGUF(src, out, ExportOptions{Type: quant.F16})
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "mmproj-vl-F16.gguf")
	if err := os.Rename(res.MMProj, other); err != nil {
		t.Fatal(err)
	}
	alone, err := Open(out) // no companion under the default name: text only
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := alone.Tensor("visual.merger.ln_q.weight"); ok {
		t.Error("vision tensors without an mmproj")
	}
	alone.Close()
	pair, err := OpenGGUFPair(out, other)
	if err != nil {
		t.Fatal(err)
	}
	defer pair.Close()
	if !reflect.DeepEqual(pair.Names(), src.Names()) || len(pair.Files()) != 2 {
		t.Fatalf("pair names %v files %v", pair.Names(), pair.Files())
	}
	if p, _ := pair.Tensor("visual.patch_embed.proj.weight"); p.Type != "F16" {
		t.Errorf("patch embedding stored as %s in an F16 export", p.Type)
	}
	if _, err := OpenGGUFPair(out, filepath.Join(dir, "missing.gguf")); err == nil {
		t.Error("missing mmproj accepted")
	}
}
