package cuda

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestPTX_Lint checks the embedded PTX as far as can be done without
// ptxas: the target and ISA version, one entry per kernel the backend
// loads with the parameter types launch passes, no external symbols, no
// calls (every helper is inlined), no local-memory spills.
func TestPTX_Lint(t *testing.T) {
	for _, want := range []string{"\n.version 7.0\n", "\n.target sm_80\n", "\n.address_size 64\n"} {
		if !strings.Contains(ptx, want) {
			t.Errorf("PTX lacks %q", strings.TrimSpace(want))
		}
	}
	for _, bad := range []string{".extern", "call.uni", "call ", ".local", "__local_depot"} {
		if strings.Contains(ptx, bad) {
			t.Errorf("PTX contains %q", bad)
		}
	}
	entries := map[string]string{}
	re := regexp.MustCompile(`(?s)\.visible \.entry (\w+)\((.*?)\)`)
	for _, m := range re.FindAllStringSubmatch(ptx, -1) {
		var sig []byte
		for _, p := range regexp.MustCompile(`\.param \.(\w+)`).FindAllStringSubmatch(m[2], -1) {
			switch p[1] {
			case "u64":
				sig = append(sig, 'p')
			case "u32", "s32":
				sig = append(sig, 'i')
			case "f32":
				sig = append(sig, 'f')
			default:
				t.Errorf("%s: parameter type .%s", m[1], p[1])
			}
		}
		entries[m[1]] = string(sig)
	}
	for name, sig := range kernelSigs {
		got, ok := entries[name]
		switch {
		case !ok:
			t.Errorf("kernel %s missing from the PTX", name)
		case got != sig:
			t.Errorf("kernel %s: PTX parameters %q, Go launches %q", name, got, sig)
		}
	}
	var extra []string
	for name := range entries {
		if _, ok := kernelSigs[name]; !ok {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("PTX entries the backend never loads: %v", extra)
	}
	if !strings.Contains(ptx, "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32") ||
		!strings.Contains(ptx, "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32") || !strings.Contains(ptx, "dp4a.s32.s32") {
		t.Error("PTX lacks the int8/f16 mma.sync or dp4a instructions")
	}
}

// TestPTX_MatchesSource checks that every KERNEL in src/ is an entry of
// the committed PTX (checkptx.sh does the byte-for-byte regeneration).
func TestPTX_MatchesSource(t *testing.T) {
	files, err := os.ReadDir("src")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`KERNEL (\w+)\(`)
	n := 0
	for _, f := range files {
		src, err := os.ReadFile("src/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			n++
			if !strings.Contains(ptx, ".visible .entry "+m[1]+"(") {
				t.Errorf("%s: kernel %s not in kernels.ptx (run go generate ./kernels/cuda)", f.Name(), m[1])
			}
		}
	}
	if n != len(kernelSigs) {
		t.Errorf("src/ defines %d kernels, the backend loads %d", n, len(kernelSigs))
	}
}
