package tokenizer

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readGGUFMeta is a test-only reader of a GGUF file's key/value metadata,
// producing the value types the weights package's reader is expected to
// give (typed slices for arrays, uint32 ids).
func readGGUFMeta(path string) (map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var hdr struct {
		Magic   [4]byte
		Version uint32
		NTensor uint64
		NKV     uint64
	}
	if err := binary.Read(r, binary.LittleEndian, &hdr); err != nil {
		return nil, err
	}
	if string(hdr.Magic[:]) != "GGUF" || hdr.Version < 2 {
		return nil, fmt.Errorf("not a GGUF v2+ file")
	}
	meta := make(map[string]any, hdr.NKV)
	for i := uint64(0); i < hdr.NKV; i++ {
		key, err := ggufStr(r)
		if err != nil {
			return nil, err
		}
		var typ uint32
		if err := binary.Read(r, binary.LittleEndian, &typ); err != nil {
			return nil, err
		}
		if meta[key], err = ggufValue(r, typ); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	return meta, nil
}

func ggufStr(r io.Reader) (string, error) {
	var n uint64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return "", err
	}
	if n > 1<<24 {
		return "", fmt.Errorf("string of %d bytes", n)
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return string(b), err
}

func ggufValue(r io.Reader, typ uint32) (any, error) {
	le := binary.LittleEndian
	switch typ {
	case 0, 1, 7: // u8, i8, bool
		var v uint8
		err := binary.Read(r, le, &v)
		if typ == 7 {
			return v != 0, err
		}
		return v, err
	case 2, 3:
		var v uint16
		return v, binary.Read(r, le, &v)
	case 4:
		var v uint32
		return v, binary.Read(r, le, &v)
	case 5:
		var v int32
		return v, binary.Read(r, le, &v)
	case 6:
		var v uint32
		err := binary.Read(r, le, &v)
		return math.Float32frombits(v), err
	case 8:
		return ggufStr(r)
	case 10, 11:
		var v uint64
		return v, binary.Read(r, le, &v)
	case 12:
		var v uint64
		err := binary.Read(r, le, &v)
		return math.Float64frombits(v), err
	case 9:
		var et uint32
		var n uint64
		if err := binary.Read(r, le, &et); err != nil {
			return nil, err
		}
		if err := binary.Read(r, le, &n); err != nil {
			return nil, err
		}
		switch et {
		case 8:
			out := make([]string, n)
			for i := range out {
				s, err := ggufStr(r)
				if err != nil {
					return nil, err
				}
				out[i] = s
			}
			return out, nil
		case 5:
			out := make([]int32, n)
			return out, binary.Read(r, le, out)
		default:
			out := make([]any, n)
			for i := range out {
				v, err := ggufValue(r, et)
				if err != nil {
					return nil, err
				}
				out[i] = v
			}
			return out, nil
		}
	}
	return nil, fmt.Errorf("gguf value type %d", typ)
}

func TestGolden_GGUFTokenizer(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 25 MB GGUF file")
	}
	path := filepath.Join(goldenDir(t), "qwen2-tiny", "model-f16.gguf")
	meta, err := readGGUFMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := FromGGUFMeta(meta)
	if err != nil {
		t.Fatal(err)
	}
	checkGoldenTokenization(t, tok, true)
	if got := tok.VocabSize(); got != 151665 {
		t.Errorf("VocabSize = %d, want 151665 ([PAD] rows excluded)", got)
	}
	imEnd, _ := tok.TokenID("<|im_end|>")
	if got := tok.EOSIDs(); !slices.Equal(got, []int{imEnd}) {
		t.Errorf("EOSIDs = %v, want [%d]", got, imEnd)
	}
	if !strings.Contains(tok.ChatTemplate(), "<|im_start|>") {
		t.Error("chat template missing")
	}
	eot, _ := tok.TokenID("<|endoftext|>")
	if id, ok := tok.PadID(); !ok || id != eot {
		t.Errorf("PadID = %d %v", id, ok)
	}
	if id, ok := tok.BOSID(); !ok || id != eot {
		t.Errorf("BOSID = %d %v", id, ok)
	}
	// Same ids as the tokenizer.json loader on a mixed text.
	ref := qwen2Tiny(t)
	for _, s := range roundTripCorpus {
		if a, b := tok.Encode(s, true), ref.Encode(s, true); !slices.Equal(a, b) {
			t.Errorf("gguf vs tokenizer.json on %q:\n%v\n%v", s, a, b)
		}
	}
	// []any arrays and other integer types, as another reader may give.
	alt := map[string]any{}
	for k, v := range meta {
		alt[k] = v
	}
	types := meta["tokenizer.ggml.token_type"].([]int32)
	anyTypes := make([]any, len(types))
	for i, x := range types {
		anyTypes[i] = int64(x)
	}
	alt["tokenizer.ggml.token_type"] = anyTypes
	alt["tokenizer.ggml.eos_token_id"] = int(imEnd)
	tok2, err := FromGGUF(alt)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok2.Encode("<|im_start|>user\nHi<|im_end|>", true); !slices.Equal(got, tok.Encode("<|im_start|>user\nHi<|im_end|>", true)) {
		t.Errorf("[]any metadata gives %v", got)
	}
}

func TestFromGGUFMeta_Errors(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{
			"tokenizer.ggml.model":      "gpt2",
			"tokenizer.ggml.pre":        "qwen2",
			"tokenizer.ggml.tokens":     []string{"a", "b", "ab", "<|end|>"},
			"tokenizer.ggml.token_type": []int32{1, 1, 1, 3},
			"tokenizer.ggml.merges":     []string{"a b"},
		}
	}
	tok, err := FromGGUFMeta(base())
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Encode("ab<|end|>", true); !slices.Equal(got, []int{2, 3}) {
		t.Errorf("Encode = %v", got)
	}
	for _, types := range []any{[]uint8{1, 1, 1, 3}, []any{uint32(1), int8(1), uint64(1), int16(3)}, []int{1, 1, 1, 3}} {
		m := base()
		m["tokenizer.ggml.token_type"] = types
		m["tokenizer.ggml.eos_token_id"] = uint32(3)
		tok, err := FromGGUFMeta(m)
		if err != nil {
			t.Fatalf("token_type %T: %v", types, err)
		}
		if !tok.IsSpecial(3) || !slices.Equal(tok.EOSIDs(), []int{3}) {
			t.Errorf("token_type %T: <|end|> not special or not EOS", types)
		}
	}
	for name, edit := range map[string]func(map[string]any){
		"model":      func(m map[string]any) { m["tokenizer.ggml.model"] = "llama" },
		"pre":        func(m map[string]any) { m["tokenizer.ggml.pre"] = "llama-bpe" },
		"no tokens":  func(m map[string]any) { delete(m, "tokenizer.ggml.tokens") },
		"types len":  func(m map[string]any) { m["tokenizer.ggml.token_type"] = []int32{1} },
		"types type": func(m map[string]any) { m["tokenizer.ggml.token_type"] = "x" },
		"types elem": func(m map[string]any) { m["tokenizer.ggml.token_type"] = []any{1, 1, "x", 3} },
		"bad merge":  func(m map[string]any) { m["tokenizer.ggml.merges"] = []string{"ab"} },
		"oov merge":  func(m map[string]any) { m["tokenizer.ggml.merges"] = []string{"a c"} },
		"tokens any": func(m map[string]any) { m["tokenizer.ggml.tokens"] = []any{"a", 3} },
		"eos":        func(m map[string]any) { m["tokenizer.ggml.eos_token_id"] = "x" },
		"eos neg":    func(m map[string]any) { m["tokenizer.ggml.eos_token_id"] = int32(-1) },
	} {
		m := base()
		edit(m)
		if _, err := FromGGUFMeta(m); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "tokenizer: ") {
			t.Errorf("%s: error %q lacks package prefix", name, err)
		}
	}
}
