package pixel

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// readPNM reads a binary (P5) or ASCII (P2) 8-bit grey map.
func readPNM(t *testing.T, b []byte) (w, h int, pix []uint8) {
	t.Helper()
	var tok []string
	pos := 0
	for len(tok) < 4 && pos < len(b) {
		for pos < len(b) && (b[pos] == ' ' || b[pos] == '\n' || b[pos] == '\r' || b[pos] == '\t') {
			pos++
		}
		if pos < len(b) && b[pos] == '#' {
			for pos < len(b) && b[pos] != '\n' {
				pos++
			}
			continue
		}
		start := pos
		for pos < len(b) && b[pos] > ' ' {
			pos++
		}
		tok = append(tok, string(b[start:pos]))
	}
	w, _ = strconv.Atoi(tok[1])
	h, _ = strconv.Atoi(tok[2])
	switch tok[0] {
	case "P5":
		return w, h, b[pos+1 : pos+1+w*h]
	case "P2":
		for _, f := range bytes.Fields(b[pos:]) {
			v, _ := strconv.Atoi(string(f))
			pix = append(pix, uint8(v))
		}
		return w, h, pix
	}
	t.Fatalf("not a grey map: %q", tok[0])
	return 0, 0, nil
}

// TestReference_DCMTKWindow compares our monochrome pipeline (rescale, VOI
// window, VOI LUT function, MONOCHROME1) with DCMTK's dcmj2pnm, ±1 grey level.
func TestReference_DCMTKWindow(t *testing.T) {
	if _, err := exec.LookPath("dcmj2pnm"); err != nil {
		t.Skip("dcmtk not installed")
	}
	dir := t.TempDir()
	vals := make([]int16, 64*32)
	for i := range vals {
		vals[i] = int16(i*3) - 1500
	}
	synth := func(photometric string, extra ...tel) string {
		els := append(imageAttrs(32, 64, 1, 16, 16, 1, photometric), str(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"),
			ds(tagRescaleSlope, 2.5), ds(tagRescaleIntercept, -100), ob(tagPixelData, "OW", le16(vals)))
		p := filepath.Join(dir, photometric+strconv.Itoa(len(extra))+".dcm")
		if err := os.WriteFile(p, part10(tsExplicitLE, append(els, extra...)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		path string
		args []string
		opt  Options
	}{
		{"MR_small file window", filepath.Join(pydicomTestFiles, "MR_small.dcm"), []string{"+Wi", "1"}, Options{}},
		{"CT_small given window", filepath.Join(pydicomTestFiles, "CT_small.dcm"), []string{"+Ww", "40", "400"}, Options{Level: 40, Window: 400, HasWindow: true}},
		{"rescaled MONOCHROME2", synth("MONOCHROME2", ds(tagWindowCenter, 300), ds(tagWindowWidth, 2000)), []string{"+Wi", "1"}, Options{}},
		{"rescaled MONOCHROME1", synth("MONOCHROME1", ds(tagWindowCenter, 300), ds(tagWindowWidth, 2000)), []string{"+Wi", "1"}, Options{}},
		{"SIGMOID", synth("MONOCHROME2", ds(tagWindowCenter, 300), ds(tagWindowWidth, 2000), str(tagVOILUTFunction, "CS", "SIGMOID")), []string{"+Wi", "1"}, Options{}},
	}
	for _, c := range cases {
		if _, err := os.Stat(c.path); err != nil {
			continue
		}
		out := filepath.Join(dir, "out.pgm")
		args := append(append([]string{"--write-8-bit-pnm"}, c.args...), c.path, out)
		if msg, err := exec.Command("dcmj2pnm", args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: dcmj2pnm: %v\n%s", c.name, err, msg)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		w, h, want := readPNM(t, b)
		img, err := RenderFile(c.path, c.opt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := grayPix(t, img)
		if len(got) != w*h || len(want) != w*h {
			t.Fatalf("%s: %d pixels, DCMTK %dx%d (%d)", c.name, len(got), w, h, len(want))
		}
		worst := 0
		for i := range got {
			d := int(got[i]) - int(want[i])
			worst = max(worst, d, -d)
		}
		distinct := map[uint8]bool{}
		for _, v := range got {
			distinct[v] = true
		}
		t.Logf("%s: max difference %d, %d distinct grey levels", c.name, worst, len(distinct))
		if len(distinct) < 16 {
			t.Errorf("%s: only %d grey levels, the comparison is too weak", c.name, len(distinct))
		}
		if worst > 1 {
			t.Errorf("%s: differs from DCMTK by up to %d grey levels", c.name, worst)
		}
	}
}
