package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadJSON_ConfigFields(t *testing.T) {
	added := []map[string]any{
		{"id": 900, "content": "<|end|>", "special": true},
		{"id": 901, "content": "<|pad|>", "special": true},
	}
	tj := tinyJSON(t, nil, added, false)
	tc := []byte(`{"eos_token": {"content": "<|end|>"}, "pad_token": "<|pad|>", "bos_token": null,
		"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}],
		"added_tokens_decoder": {"902": {"content": "<|extra|>", "special": true}, "900": {"content": "<|end|>", "special": true}}}`)
	gc := []byte(`{"eos_token_id": 901, "bos_token_id": 900}`)
	tok := mustLoad(t, tj, tc, gc)
	if got := tok.EOSIDs(); !slices.Equal(got, []int{900, 901}) {
		t.Errorf("EOSIDs = %v", got)
	}
	if id, ok := tok.PadID(); !ok || id != 901 {
		t.Errorf("PadID = %d %v", id, ok)
	}
	if id, ok := tok.BOSID(); !ok || id != 900 {
		t.Errorf("BOSID = %d %v", id, ok)
	}
	if tok.ChatTemplate() != "D" {
		t.Errorf("ChatTemplate = %q", tok.ChatTemplate())
	}
	if id, ok := tok.TokenID("<|extra|>"); !ok || id != 902 || tok.VocabSize() != 903 {
		t.Errorf("added_tokens_decoder entry: id %d %v, VocabSize %d", id, ok, tok.VocabSize())
	}
	if !tok.IsEOS(900) || tok.IsEOS(5) {
		t.Error("IsEOS")
	}
}

func TestLoadJSON_Errors(t *testing.T) {
	good := tinyJSON(t, [][2]string{{"a", "b"}}, nil, true)
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	model := func(m map[string]any) map[string]any { return m["model"].(map[string]any) }
	for name, tj := range map[string][]byte{
		"not json":      []byte("{"),
		"model type":    edit(func(m map[string]any) { model(m)["type"] = "WordPiece" }),
		"no vocab":      edit(func(m map[string]any) { delete(model(m), "vocab") }),
		"merge oov":     edit(func(m map[string]any) { model(m)["merges"] = []string{"a z9"} }),
		"merge format":  edit(func(m map[string]any) { model(m)["merges"] = []string{"ab"} }),
		"merge triple":  edit(func(m map[string]any) { model(m)["merges"] = [][]string{{"a", "b", "c"}} }),
		"merges object": edit(func(m map[string]any) { model(m)["merges"] = map[string]any{} }),
		"normalizer":    edit(func(m map[string]any) { m["normalizer"] = map[string]any{"type": "NFKC"} }),
		"pretokenizer":  edit(func(m map[string]any) { m["pre_tokenizer"] = map[string]any{"type": "ByteLevel"} }),
		"pattern": edit(func(m map[string]any) {
			m["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)[0].(map[string]any)["pattern"] = map[string]any{"Regex": `\s+`}
		}),
		"bytelevel rx": edit(func(m map[string]any) {
			m["pre_tokenizer"].(map[string]any)["pretokenizers"].([]any)[1].(map[string]any)["use_regex"] = true
		}),
		"decoder":        edit(func(m map[string]any) { m["decoder"] = map[string]any{"type": "WordPiece"} }),
		"dropout":        edit(func(m map[string]any) { model(m)["dropout"] = 0.1 }),
		"byte fallback":  edit(func(m map[string]any) { model(m)["byte_fallback"] = true }),
		"negative id":    edit(func(m map[string]any) { model(m)["vocab"].(map[string]any)["zz"] = -3 }),
		"huge id":        edit(func(m map[string]any) { model(m)["vocab"].(map[string]any)["zz"] = 1 << 30 }),
		"added no id":    edit(func(m map[string]any) { m["added_tokens"] = []any{map[string]any{"content": "<x>"}} }),
		"added negative": edit(func(m map[string]any) { m["added_tokens"] = []any{map[string]any{"id": -1, "content": "<x>"}} }),
	} {
		if _, err := LoadJSON(tj, nil, nil); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "tokenizer: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
	for name, c := range map[string][2]string{
		"config json":    {"{", ""},
		"eos not token":  {`{"eos_token": "<nope>"}`, ""},
		"eos bad type":   {`{"eos_token": 3}`, ""},
		"template type":  {`{"chat_template": 3}`, ""},
		"decoder key":    {`{"added_tokens_decoder": {"x": {"content": "<x>"}}}`, ""},
		"gen json":       {"", "["},
		"gen eos float":  {"", `{"eos_token_id": 1.5}`},
		"gen eos string": {"", `{"eos_token_id": "x"}`},
		"gen eos nested": {"", `{"eos_token_id": [[1]]}`},
	} {
		var tc, gc []byte
		if c[0] != "" {
			tc = []byte(c[0])
		}
		if c[1] != "" {
			gc = []byte(c[1])
		}
		if _, err := LoadJSON(good, tc, gc); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLoadDir_ChatTemplateFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("missing tokenizer.json: %v", err)
	}
	write("tokenizer.json", string(tinyJSON(t, nil, nil, true)))
	write("chat_template.json", `{"chat_template": "FROM_JSON"}`)
	tok, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ChatTemplate() != "FROM_JSON" || len(tok.EOSIDs()) != 0 {
		t.Errorf("template %q, eos %v", tok.ChatTemplate(), tok.EOSIDs())
	}
	write("chat_template.jinja", "FROM_JINJA")
	if tok, err = LoadDir(dir); err != nil || tok.ChatTemplate() != "FROM_JINJA" {
		t.Errorf("jinja template: %v %q", err, tok.ChatTemplate())
	}
	write("tokenizer_config.json", `{"chat_template": "FROM_CONFIG"}`)
	if tok, err = LoadDir(dir); err != nil || tok.ChatTemplate() != "FROM_CONFIG" {
		t.Errorf("config template: %v", err)
	}
	write("generation_config.json", `{"eos_token_id": [7, 8, 7]}`)
	if tok, err = LoadDir(dir); err != nil || !slices.Equal(tok.EOSIDs(), []int{7, 8}) {
		t.Errorf("generation eos: %v %v", err, tok.EOSIDs())
	}
	write("generation_config.json", `{`)
	if _, err = LoadDir(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("bad generation_config: %v", err)
	}
}

// testdata/tiny is a hand-made Qwen2-style folder: the 256 byte tokens,
// a few merges (as pairs), ChatML added tokens and config files.
func TestLoadDir_Testdata(t *testing.T) {
	tok, err := LoadDir(filepath.Join("testdata", "tiny"))
	if err != nil {
		t.Fatal(err)
	}
	const text = "hello world<|im_end|>\n\n肺"
	want := []int{259, 264, 302, 266, 268}
	if got := tok.Encode(text, true); !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if got := tok.Decode(want); got != text {
		t.Errorf("Decode = %q", got)
	}
	if got := tok.EOSIDs(); !slices.Equal(got, []int{302, 300}) {
		t.Errorf("EOSIDs = %v", got)
	}
	if tok.VocabSize() != 308 {
		t.Errorf("VocabSize = %d, want 308", tok.VocabSize())
	}
}
