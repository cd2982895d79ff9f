package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/lingshu-edge/lingshu/internal/golden"
)

// goldenDir is the golden root holding qwen2-tiny, or the test is skipped.
func goldenDir(t testing.TB) string {
	t.Helper()
	return filepath.Dir(golden.Dir(t, "qwen2-tiny", "tokenizer.json"))
}

var (
	qwenOnce sync.Once
	qwenTok  *Tokenizer
	qwenErr  error
)

// qwen2Tiny loads the golden qwen2-tiny tokenizer once per test binary.
func qwen2Tiny(t testing.TB) *Tokenizer {
	t.Helper()
	dir := goldenDir(t)
	qwenOnce.Do(func() { qwenTok, qwenErr = LoadDir(filepath.Join(dir, "qwen2-tiny")) })
	if qwenErr != nil {
		t.Fatal(qwenErr)
	}
	return qwenTok
}

type goldenTokCase struct {
	Name              string `json:"name"`
	Text              string `json:"text"`
	IDsParseSpecial   []int  `json:"ids_parse_special"`
	IDsNoParseSpecial []int  `json:"ids_no_parse_special"`
	HFJSIDs           []int  `json:"hf_js_ids"`
	HFJSAgrees        bool   `json:"hf_js_agrees"`
}

type goldenMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// toMessages converts template-style messages (content a string or a list
// of {"type": "text"|"image", "text": ...}).
func toMessages(t testing.TB, in []goldenMessage) []Message {
	t.Helper()
	var out []Message
	for _, m := range in {
		var s string
		if json.Unmarshal(m.Content, &s) == nil {
			out = append(out, TextMessage(m.Role, s))
			continue
		}
		var parts []struct{ Type, Text string }
		if err := json.Unmarshal(m.Content, &parts); err != nil {
			t.Fatalf("message content: %v", err)
		}
		msg := Message{Role: m.Role}
		for _, p := range parts {
			switch p.Type {
			case "image":
				msg.Content = append(msg.Content, ImagePart())
			case "video":
				msg.Content = append(msg.Content, VideoPart())
			default:
				msg.Content = append(msg.Content, TextPart(p.Text))
			}
		}
		out = append(out, msg)
	}
	return out
}

type qwen2Expected struct {
	Tokenization []goldenTokCase `json:"tokenization"`
	ChatRender   []struct {
		Messages            []goldenMessage `json:"messages"`
		AddGenerationPrompt bool            `json:"add_generation_prompt"`
		Text                string          `json:"text"`
	} `json:"chat_template_render"`
	Prompts []struct {
		Name string `json:"name"`
		Text string `json:"text"`
		IDs  []int  `json:"ids"`
	} `json:"prompts"`
}

func readJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func usesFIM(s string) bool { return strings.Contains(s, "<|fim_") }

// checkGoldenTokenization compares tok with every tokenization[] case and
// prompt of qwen2-tiny. fromGGUF selects which no-parse-special oracle
// applies (GGUF marks the FIM tokens CONTROL, tokenizer.json non-special).
func checkGoldenTokenization(t *testing.T, tok *Tokenizer, fromGGUF bool) {
	var exp qwen2Expected
	readJSON(t, filepath.Join(goldenDir(t), "qwen2-tiny", "expected.json"), &exp)
	if len(exp.Tokenization) == 0 || len(exp.Prompts) == 0 {
		t.Fatal("golden expected.json has no tokenization cases or prompts")
	}
	match := 0
	for _, c := range exp.Tokenization {
		got := tok.Encode(c.Text, true)
		if slices.Equal(got, c.HFJSIDs) {
			match++
		} else {
			t.Errorf("%s: Encode(parseSpecial)\n got %v\nwant %v (hf_js_ids)", c.Name, got, c.HFJSIDs)
		}
		// Without parse-special the oracle is llama.cpp, which skips NFC.
		if c.HFJSAgrees && (fromGGUF || !usesFIM(c.Text)) {
			if got := tok.Encode(c.Text, false); !slices.Equal(got, c.IDsNoParseSpecial) {
				t.Errorf("%s: Encode(no parse special)\n got %v\nwant %v", c.Name, got, c.IDsNoParseSpecial)
			}
		}
		if got, want := tok.Decode(c.HFJSIDs), norm.NFC.String(c.Text); got != want {
			t.Errorf("%s: Decode(hf_js_ids) = %q, want %q", c.Name, got, want)
		}
	}
	for _, p := range exp.Prompts {
		if got := tok.Encode(p.Text, true); slices.Equal(got, p.IDs) {
			match++
		} else {
			t.Errorf("prompt %s:\n got %v\nwant %v", p.Name, got, p.IDs)
		}
	}
	t.Logf("golden qwen2-tiny: %d/%d tokenization cases + prompts match", match, len(exp.Tokenization)+len(exp.Prompts))
}

func TestGolden_Qwen2TinyTokenization(t *testing.T) {
	checkGoldenTokenization(t, qwen2Tiny(t), false)
}

func TestGolden_Qwen2TinyChatTemplate(t *testing.T) {
	tok := qwen2Tiny(t)
	var exp qwen2Expected
	readJSON(t, filepath.Join(goldenDir(t), "qwen2-tiny", "expected.json"), &exp)
	if len(exp.ChatRender) == 0 {
		t.Fatal("no chat_template_render cases")
	}
	for i, c := range exp.ChatRender {
		msgs := toMessages(t, c.Messages)
		if got := RenderChat(msgs, c.AddGenerationPrompt); got != c.Text {
			t.Errorf("case %d:\n got %q\nwant %q", i, got, c.Text)
		}
		ids, err := tok.EncodeChat(msgs, ChatOptions{AddGenerationPrompt: c.AddGenerationPrompt})
		if err != nil {
			t.Fatal(err)
		}
		if want := tok.Encode(c.Text, true); !slices.Equal(ids, want) {
			t.Errorf("case %d: EncodeChat\n got %v\nwant %v", i, ids, want)
		}
	}
}

func TestGolden_Qwen25VLPrompts(t *testing.T) {
	dir := filepath.Join(goldenDir(t), "qwen25vl-tiny")
	tok, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Prompts []struct {
			Name               string          `json:"name"`
			Messages           []goldenMessage `json:"messages"`
			Rendered           string          `json:"rendered"`
			IDsBeforeExpansion []int           `json:"ids_before_expansion"`
		} `json:"prompts"`
	}
	readJSON(t, filepath.Join(dir, "expected.json"), &exp)
	if len(exp.Prompts) == 0 {
		t.Fatal("no prompts")
	}
	for _, p := range exp.Prompts {
		msgs := toMessages(t, p.Messages)
		if got := RenderChat(msgs, true); got != p.Rendered {
			t.Errorf("%s: rendered\n got %q\nwant %q", p.Name, got, p.Rendered)
		}
		if got := tok.Encode(p.Rendered, true); !slices.Equal(got, p.IDsBeforeExpansion) {
			t.Errorf("%s: Encode\n got %v\nwant %v", p.Name, got, p.IDsBeforeExpansion)
		}
		got, err := tok.EncodeChat(msgs, ChatOptions{AddGenerationPrompt: true})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, p.IDsBeforeExpansion) {
			t.Errorf("%s: EncodeChat\n got %v\nwant %v", p.Name, got, p.IDsBeforeExpansion)
		}
	}
	if !strings.Contains(tok.ChatTemplate(), "<|vision_start|><|image_pad|><|vision_end|>") {
		t.Errorf("chat template not loaded: %q", tok.ChatTemplate())
	}
}

func TestGolden_SpecialIDs(t *testing.T) {
	tok := qwen2Tiny(t)
	imEnd, ok := tok.TokenID("<|im_end|>")
	if !ok {
		t.Fatal("<|im_end|> not found")
	}
	eot, _ := tok.TokenID("<|endoftext|>")
	if got := tok.EOSIDs(); !slices.Equal(got, []int{imEnd, eot}) {
		t.Errorf("EOSIDs = %v, want [%d %d] (eos_token, then generation_config)", got, imEnd, eot)
	}
	if id, ok := tok.PadID(); !ok || id != eot {
		t.Errorf("PadID = %d %v, want %d", id, ok, eot)
	}
	if got := tok.VocabSize(); got != 151665 {
		t.Errorf("VocabSize = %d, want 151665", got)
	}
	if s, ok := tok.Token(9707); !ok || s != "Hello" {
		t.Errorf("Token(9707) = %q %v", s, ok)
	}
	if s, ok := tok.Token(220); !ok || s != "Ġ" {
		t.Errorf("Token(220) = %q %v", s, ok)
	}
	if _, ok := tok.Token(151700); ok {
		t.Error("Token(151700) (embedding padding row) should not exist")
	}
	if got := tok.Decode([]int{9707, 151700, 151936}); got != "Hello" {
		t.Errorf("Decode with padding ids = %q", got)
	}
	if !tok.IsSpecial(imEnd) || tok.IsSpecial(151657) || tok.IsSpecial(9707) {
		t.Error("IsSpecial wrong for <|im_end|>, <tool_call> or Hello")
	}
}
