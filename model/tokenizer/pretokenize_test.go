package tokenizer

import (
	"bufio"
	"encoding/hex"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func pieces(s string) []string {
	var out []string
	splitQwen2(s, func(p string) { out = append(out, p) })
	return out
}

func TestSplitQwen2_Table(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"Hello world", []string{"Hello", " world"}},
		{"he's I'VE they'll 'RE 'Re 'rE", []string{"he", "'s", " I", "'VE", " they", "'ll", " '", "RE", " '", "Re", " '", "rE"}},
		{"'x", []string{"'x"}},       // not a contraction: [^\r\n\pL\pN]?\pL+
		{"''s", []string{"''", "s"}}, // alt 4 takes the run of punctuation
		{"a  b", []string{"a", " ", " b"}},
		{"a   ", []string{"a", "   "}}, // trailing run: \s+(?!\S) takes all
		{"e    \n  f", []string{"e", "    \n", " ", " f"}},
		{"x\r\n\r\n y", []string{"x", "\r\n\r\n", " y"}},
		{"\t\tdef", []string{"\t", "\tdef"}}, // a tab can prefix a word
		{"a \tb", []string{"a", " ", "\tb"}},
		{"12345", []string{"1", "2", "3", "4", "5"}}, // \p{N} is one digit
		{"x=1", []string{"x", "=", "1"}},
		{" (a)", []string{" (", "a", ")"}},
		{"([fib(i)", []string{"([", "fib", "(i", ")"}},
		{"foo.\n\nbar", []string{"foo", ".\n\n", "bar"}}, // punctuation takes trailing newlines
		{"a ...\n b", []string{"a", " ...\n", " b"}},
		{"\n", []string{"\n"}},
		{" ", []string{" "}},
		{" \u00a0x", []string{" ", "\u00a0x"}}, // NBSP is \s but may prefix a word
		{"你好，世界", []string{"你好", "，世界"}},
		{"٣٤", []string{"٣", "٤"}},
		{"Ⅻ", []string{"Ⅻ"}}, // Nl is \p{N}
		{"😀😀 x", []string{"😀😀", " x"}},
		{"x\u0085y", []string{"x", "\u0085y"}}, // NEL: White_Space, not CR/LF
		{"x\u2028\u2028y", []string{"x", "\u2028", "\u2028y"}},
		{"\xff\xfe a", []string{"\xff\xfe", " a"}}, // invalid bytes: neither L, N nor \s
	} {
		if got := pieces(c.in); !slices.Equal(got, c.want) {
			t.Errorf("split(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestClass_MatchesUnicodeTables(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := uint8(0)
		switch {
		case unicode.IsLetter(r):
			want = clsL
		case unicode.IsNumber(r):
			want = clsN
		case unicode.Is(unicode.White_Space, r):
			want = clsS
		}
		if got := class(r); got != want {
			t.Fatalf("class(%U) = %d, want %d", r, got, want)
		}
	}
}

// perlPattern is Qwen2Pattern with the contraction group spelled out in
// ASCII (as transformers.js rewrites it); Perl's \s, \p{L} and \p{N} are
// Unicode properties, like Oniguruma's.
const perlPattern = `(?:'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// TestSplitQwen2_PerlOracle compares the scanner with a real backtracking
// regex engine (perl) on random strings over a troublesome alphabet.
func TestSplitQwen2_PerlOracle(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("perl not installed")
	}
	script := `use strict; use utf8; binmode STDOUT; $| = 1;
while (my $l = <STDIN>) { chomp $l; my $s = pack("H*", $l); utf8::decode($s);
  my @p; my $last = 0;
  while ($s =~ /` + perlPattern + `/g) { push @p, "GAP" if $-[0] != $last; $last = $+[0];
    my $m = $&; utf8::encode($m); push @p, unpack("H*", $m); }
  push @p, "GAP" if $last != length($s);
  print join(",", @p), "\n"; }`
	alphabet := []string{"a", "Z", "é", "ß", "你", "好", "Я", "1", "٣", "Ⅻ", "½", " ", " ", " ", "\t", "\n", "\r",
		"\u00a0", "\u3000", "\u2028", "\u0085", "\v", "\f", "'", "'", "s", "S", "t", "r", "e", "E", "v", "l", "L", "m", "d",
		".", ",", "(", "!", "-", "😀", "🏽", "\u200d", "\u0301", "_", "#", "$", "<", "|", ">"}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 3000
	inputs := make([]string, n)
	for i := range inputs {
		var sb strings.Builder
		for k := rng.IntN(24); k >= 0; k-- {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		inputs[i] = sb.String()
	}
	cmd := exec.Command(perl, "-e", script)
	var stdin strings.Builder
	for _, s := range inputs {
		stdin.WriteString(hex.EncodeToString([]byte(s)) + "\n")
	}
	cmd.Stdin = strings.NewReader(stdin.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("perl: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	bad, lines := 0, 0
	for i := 0; sc.Scan(); i++ {
		lines++
		var want []string
		if line := sc.Text(); line != "" {
			for _, h := range strings.Split(line, ",") {
				b, err := hex.DecodeString(h)
				if err != nil {
					t.Fatalf("perl output %q for %q", h, inputs[i])
				}
				want = append(want, string(b))
			}
		}
		if got := pieces(inputs[i]); !slices.Equal(got, want) {
			if bad++; bad <= 10 {
				t.Errorf("split(%q)\n got %q\nperl %q", inputs[i], got, want)
			}
		}
	}
	if lines != n {
		t.Fatalf("perl answered %d lines for %d inputs", lines, n)
	}
	if bad > 0 {
		t.Errorf("%d of %d random strings differ from perl", bad, n)
	}
}
