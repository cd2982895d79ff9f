package phantom

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func TestEncode_Elements(t *testing.T) {
	tests := []struct {
		name     string
		build    func(d *dataset)
		explicit bool
		want     string // hex
	}{
		{"explicit CS odd padded with space", func(d *dataset) { d.str(0x00080060, "CS", "CTX") }, true,
			"08006000" + "4353" + "0400" + hex.EncodeToString([]byte("CTX "))},
		{"implicit UI padded with NUL", func(d *dataset) { d.str(0x00080016, "UI", "1.2.3") }, false,
			"08001600" + "06000000" + hex.EncodeToString([]byte("1.2.3\x00"))},
		{"explicit US", func(d *dataset) { d.us(0x00280010, 512) }, true, "28001000" + "5553" + "0200" + "0002"},
		{"explicit OW long header", func(d *dataset) { d.bin(0x7FE00010, "OW", []byte{1, 2}) }, true,
			"e07f1000" + "4f57" + "0000" + "02000000" + "0102"},
		{"sorted by tag", func(d *dataset) { d.us(0x00280011, 1); d.us(0x00280010, 2) }, true,
			"28001000" + "5553" + "0200" + "0200" + "28001100" + "5553" + "0200" + "0100"},
		{"multi-valued DS", func(d *dataset) { d.ds(0x00280030, 0.7, 0.7) }, true,
			"28003000" + "4453" + "0800" + hex.EncodeToString([]byte(`0.7\0.7 `))},
		{"empty sequence", func(d *dataset) { d.seq(0x00400555) }, true, "40005505" + "5351" + "0000" + "00000000"},
		{"sequence with one item", func(d *dataset) { it := &dataset{}; it.us(0x00280010, 1); d.seq(0x00082218, it) }, true,
			"08001822" + "5351" + "0000" + "12000000" + "feff00e0" + "0a000000" + "28001000" + "5553" + "0200" + "0100"},
		{"encapsulated one frame", func(d *dataset) { d.encapsulated([][]byte{{9, 9, 9}}) }, true,
			"e07f1000" + "4f42" + "0000" + "ffffffff" + "feff00e0" + "04000000" + "00000000" +
				"feff00e0" + "04000000" + "09090900" + "feffdde0" + "00000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &dataset{}
			tc.build(d)
			got, err := d.encode(tc.explicit)
			if err != nil {
				t.Fatal(err)
			}
			if h := hex.EncodeToString(got); h != tc.want {
				t.Errorf("got  %s\nwant %s", h, tc.want)
			}
		})
	}
}

func TestEncode_Errors(t *testing.T) {
	tests := []struct {
		name  string
		build func(d *dataset)
		want  string
	}{
		{"duplicate tag", func(d *dataset) { d.us(0x00280010, 1); d.us(0x00280010, 2) }, "set twice"},
		{"CS too long", func(d *dataset) { d.str(0x00080060, "CS", strings.Repeat("A", 17)) }, "longer than 16"},
		{"UI too long", func(d *dataset) { d.str(0x00080018, "UI", strings.Repeat("1", 65)) }, "longer than 64"},
		{"backslash in value", func(d *dataset) { d.str(0x00080070, "LO", `a\b`) }, "backslash"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &dataset{}
			tc.build(d)
			_, err := d.encode(true)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	d := &dataset{}
	d.encapsulated([][]byte{{1}})
	if _, err := d.encode(false); err == nil {
		t.Error("encapsulated pixel data in implicit VR: no error")
	}
}

func TestFormatDS(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {5, "5"}, {-178.85, "-178.85"}, {0.7, "0.7"}, {1.0 / 3, "0.33333333333333"},
		{-1024, "-1024"}, {1e20, "1e+20"}, {123456789.123456789, "123456789.123457"},
	}
	for _, tc := range tests {
		got := formatDS(tc.in)
		if got != tc.want || len(got) > 16 {
			t.Errorf("formatDS(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPart10_Header(t *testing.T) {
	f, err := part10(CTImageStorage, "1.2.3", ExplicitVRLittleEndian, []byte{8, 0, 0x16, 0})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f[:128], make([]byte, 128)) || string(f[128:132]) != "DICM" {
		t.Fatal("bad preamble or magic")
	}
	es, err := walk(f[132:len(f)-4], true)
	if err != nil {
		t.Fatal(err)
	}
	gl, _ := find(es, 0x00020000)
	n := int(gl.value[0]) | int(gl.value[1])<<8
	if 132+12+n+4 != len(f) {
		t.Errorf("group length %d does not match file size %d", n, len(f))
	}
	ts, _ := find(es, 0x00020010)
	if strings.TrimRight(string(ts.value), "\x00") != ExplicitVRLittleEndian {
		t.Errorf("transfer syntax %q", ts.value)
	}
}
