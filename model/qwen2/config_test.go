package qwen2

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfig_TopLevelAndTextConfig(t *testing.T) {
	top := `{"architectures":["Qwen2_5_VLForConditionalGeneration"],"hidden_size":64,"intermediate_size":128,
		"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":152064,
		"rms_norm_eps":1e-6,"rope_theta":1e6,"tie_word_embeddings":false,
		"rope_scaling":{"type":"mrope","mrope_section":[2,3,3]},"vision_config":{"depth":4}}`
	c, err := ParseConfig([]byte(top))
	if err != nil {
		t.Fatal(err)
	}
	if c.HeadDim != 16 || c.VocabSize != 152064 || len(c.MRoPESection()) != 3 || c.MaxContext() != 32768 {
		t.Errorf("parsed %+v", c)
	}
	nested := `{"architectures":["Qwen2_5_VLForConditionalGeneration"],"tie_word_embeddings":true,
		"text_config":{"hidden_size":896,"intermediate_size":4864,"num_hidden_layers":24,"num_attention_heads":14,
		"num_key_value_heads":2,"vocab_size":151936,"rms_norm_eps":1e-6,"rope_theta":1e6,"max_position_embeddings":128000,
		"rope_scaling":{"rope_type":"default","mrope_section":[8,12,12]}}}`
	c, err = ParseConfig([]byte(nested))
	if err != nil {
		t.Fatal(err)
	}
	if c.HiddenSize != 896 || c.HeadDim != 64 || !c.TieWordEmbeddings || c.MaxContext() != 128000 {
		t.Errorf("nested parsed %+v", c)
	}
}

func TestValidate_ListsEveryProblem(t *testing.T) {
	bad := `{"architectures":["LlamaForCausalLM"],"hidden_size":30,"intermediate_size":0,"num_hidden_layers":1,
		"num_attention_heads":4,"num_key_value_heads":4,"vocab_size":0,"rms_norm_eps":0,"rope_theta":1e6,
		"hidden_act":"gelu","use_sliding_window":true,"rope_scaling":{"type":"yarn"}}`
	_, err := ParseConfig([]byte(bad))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"architectures", "intermediate_size 0", "head_dim", "vocab_size 0", "rms_norm_eps 0",
		"hidden_act", "use_sliding_window", "yarn"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := ParseConfig([]byte(`{"hidden_size":`)); err == nil {
		t.Error("truncated json accepted")
	}
	mrope := `{"hidden_size":64,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":2,
		"vocab_size":10,"rms_norm_eps":1e-6,"rope_theta":1e6,"rope_scaling":{"type":"mrope","mrope_section":[2,3,4]}}`
	if _, err := ParseConfig([]byte(mrope)); err == nil || !strings.Contains(err.Error(), "mrope_section") {
		t.Errorf("bad mrope_section: %v", err)
	}
}

func TestParseConfig_Testdata(t *testing.T) {
	for _, name := range []string{"qwen2-tiny-config.json", "qwen25vl-tiny-config.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseConfig(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.HiddenSize != 64 || c.HeadDim != 16 || c.VocabSize != 151936 || !c.TieWordEmbeddings {
			t.Errorf("%s: %+v", name, c)
		}
	}
}

// FuzzParseConfig: any input either fails or gives a config that passes
// Validate with positive sizes; it never panics.
func FuzzParseConfig(f *testing.F) {
	for _, name := range []string{"qwen2-tiny-config.json", "qwen25vl-tiny-config.json"} {
		if data, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"text_config":{"hidden_size":8}}`))
	f.Add([]byte(`{"rope_scaling":{"type":"mrope","mrope_section":[1,1,-2]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if c.HiddenSize <= 0 || c.HeadDim <= 0 || c.NumKeyValueHeads <= 0 || c.VocabSize <= 0 ||
			c.NumAttentionHeads%c.NumKeyValueHeads != 0 || c.HeadDim*c.NumAttentionHeads != c.HiddenSize {
			t.Fatalf("accepted inconsistent config %+v", c)
		}
		if s := c.MRoPESection(); s != nil {
			sum := 0
			for _, v := range s {
				sum += v
			}
			if sum != c.HeadDim/2 {
				t.Fatalf("accepted mrope_section %v for head_dim %d", s, c.HeadDim)
			}
		}
	})
}
