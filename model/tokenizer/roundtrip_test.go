package tokenizer

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

// roundTripCorpus is NFC text that must survive Encode then Decode.
var roundTripCorpus = []string{
	"Hello, world!",
	"你好，世界！今天天气很好。",
	"肺部CT显示磨玻璃影，可能的诊断是什么？右下肺叶实变，考虑社区获得性肺炎。",
	"胸部X线：双肺纹理增粗，心影不大，肋膈角锐利。印象：未见明显异常。",
	"Chest radiograph: right lower lobe consolidation with air bronchograms; no pleural effusion. Impression: pneumonia.",
	"MRI brain: T2/FLAIR hyperintensity in the periventricular white matter (Fazekas grade 2), ADC 0.7×10⁻³ mm²/s.",
	"CT abdomen: 3.2 cm hypodense lesion, segment VII; HU 15 → likely cyst. BI-RADS 4a, TI-RADS TR3, LI-RADS LR-5.",
	"🚀 I ❤️ llamas 🦙🦙 😶‍🌫️ ✅ 👩🏽‍⚕️ 👨‍👩‍👧‍👦 🏳️‍🌈 👍🏿 🇨🇳🇺🇸",
	"Café, naïve, résumé, Ångström, Zürich, São Paulo, ñandú, Ελληνικά, Привет, こんにちは, 안녕하세요, مرحبا, שלום, हिन्दी",
	"a  b   c\t\td\n\n\ne    \n  f   \r\n\r\n g     ",
	"\t\t\tindented\n\t\n  \n",
	"   leading and trailing   ",
	"def fib(n):\n    return n if n < 2 else fib(n-1) + fib(n-2)\n\nprint([fib(i) for i in range(10)])\n",
	"for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; } // dot\n#include <stdio.h>\n",
	`{"name": "f", "args": {"x": [1, 2.5e-3, null, true]}}`,
	"<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Describe.<|im_end|>\n",
	"<tool_call>\n{}\n</tool_call><|fim_prefix|>x<|fim_suffix|><|endoftext|>",
	"I'VE been told he's there; they'll say 'RE you sure?' don't won't y'all",
	"3.14159 12345678 1,000,000 2025-02-20 0.5e-3 +42 ٣٤ ½ Ⅻ",
	"\u00a0nbsp\u2003em\u3000ideographic\u2028line\u2029para\u0085nel\ufeffbom",
	"a\u200bb\u200cc\u200dd", // zero-width characters
	"𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 ﬁ ﷺ",
	"'", "''", " ", "\n", "\r", "x", "ŉ", "\u0000\u0001\u007f",
}

func TestRoundTrip_Corpus(t *testing.T) {
	tok := qwen2Tiny(t)
	for _, s := range roundTripCorpus {
		if !norm.NFC.IsNormalString(s) {
			t.Fatalf("corpus entry %q is not NFC", s)
		}
		for _, ps := range []bool{true, false} {
			ids := tok.Encode(s, ps)
			if got := tok.Decode(ids); got != s {
				t.Errorf("round trip (parseSpecial=%v) %q -> %v -> %q", ps, s, ids, got)
			}
		}
	}
}

// NFD input is normalised to NFC before BPE, so it decodes to its NFC form
// (round trip holds for NFC text only).
func TestRoundTrip_NFDBecomesNFC(t *testing.T) {
	tok := qwen2Tiny(t)
	for _, nfc := range []string{"Café résumé", "Ångström", "ñandú", "한국어", "Ελληνικά"} {
		nfd := norm.NFD.String(nfc)
		if nfd == nfc {
			t.Fatalf("%q has no decomposition", nfc)
		}
		a, b := tok.Encode(nfd, true), tok.Encode(nfc, true)
		if got := tok.Decode(a); got != nfc {
			t.Errorf("Decode(Encode(NFD %q)) = %q, want the NFC form", nfd, got)
		}
		if len(a) != len(b) {
			t.Errorf("NFD and NFC of %q encode differently: %v vs %v", nfc, a, b)
		}
	}
}
