package tokenizer

import (
	"encoding/hex"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestToNFC_LongCombiningRuns(t *testing.T) {
	tok := qwen2Tiny(t)
	// Unicode NFC, not the Stream-Safe format: no U+034F is inserted.
	zalgo := "x" + strings.Repeat("\u0301", 40)
	if got := toNFC(zalgo); got != zalgo {
		t.Errorf("toNFC inserted characters: %+q", got)
	}
	if got := toNFC("a" + strings.Repeat("\u0301", 40)); got != "á"+strings.Repeat("\u0301", 39) {
		t.Errorf("toNFC(a + 40 acutes) = %+q", got)
	}
	if got := tok.Decode(tok.Encode(zalgo, true)); got != zalgo {
		t.Errorf("round trip of Zalgo text changed it")
	}
	for _, s := range []string{"Café", norm.NFD.String("Ångström 한국어"), "e\u0316\u0301", "\u1100\u1161\u11a8"} {
		if got, want := toNFC(s), norm.NFC.String(s); got != want || nfcPlain(s) != want {
			t.Errorf("toNFC(%+q) = %+q, nfcPlain %+q, want %+q", s, got, nfcPlain(s), want)
		}
	}
}

// TestNFCPlain_PythonOracle compares nfcPlain with Python's unicodedata on
// random runs of letters and combining marks, long runs included.
func TestNFCPlain_PythonOracle(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	alphabet := []string{"a", "e", "o", "A", "ạ", "á", "x", "ᄀ", "ᅡ", "ᆨ", "가", "\u0301", "\u0300", "\u0302",
		"\u0323", "\u0316", "\u031b", "\u0345", "\u0308", "\u034f", "ω", "ι", " "}
	rng := rand.New(rand.NewPCG(3, 4))
	var inputs []string
	var stdin strings.Builder
	for i := 0; i < 400; i++ {
		var sb strings.Builder
		for k := rng.IntN(70); k >= 0; k-- {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		if i%2 == 0 { // a run of more than 30 combining marks
			for k := 31 + rng.IntN(15); k > 0; k-- {
				sb.WriteString(alphabet[11+rng.IntN(8)]) // marks, not U+034F
			}
			sb.WriteString(alphabet[rng.IntN(11)])
		}
		inputs = append(inputs, sb.String())
		stdin.WriteString(hex.EncodeToString([]byte(sb.String())) + "\n")
	}
	cmd := exec.Command(py, "-c", `import sys, unicodedata
for l in sys.stdin:
    s = bytes.fromhex(l.strip()).decode()
    print(unicodedata.normalize("NFC", s).encode().hex())`)
	cmd.Stdin = strings.NewReader(stdin.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("python answered %d lines for %d inputs", len(lines), len(inputs))
	}
	slow := 0
	for i, s := range inputs {
		if strings.Count(norm.NFC.String(s), cgj) > strings.Count(s, cgj) {
			slow++
		}
		want, _ := hex.DecodeString(lines[i])
		if got := toNFC(s); got != string(want) {
			t.Errorf("toNFC(%+q)\n got %+q\nwant %+q", s, got, want)
		}
	}
	if slow < len(inputs)/4 {
		t.Errorf("only %d inputs took the long-run path", slow)
	}
}

func TestQuickNFC_Ranges(t *testing.T) {
	for r := rune(0); r <= 0x1FFFF; r++ {
		if !quickNFC(r) || !utf8.ValidRune(r) {
			continue
		}
		var buf [4]byte
		p := norm.NFC.Properties(buf[:utf8.EncodeRune(buf[:], r)])
		if p.CCC() != 0 || !p.BoundaryBefore() || !norm.NFC.IsNormalString(string(r)) {
			t.Fatalf("%U is in quickNFC but ccc %d, boundary before %v", r, p.CCC(), p.BoundaryBefore())
		}
	}
	for _, s := range []string{"你好，世界！", "👩🏽‍⚕️", "e\u0301", "\u3099", "中\u0301"} {
		if isNFC(s) != norm.NFC.IsNormalString(s) {
			t.Errorf("isNFC(%+q) = %v", s, isNFC(s))
		}
	}
}
