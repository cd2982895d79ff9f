package phantom

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// small keeps CT and MR studies short in tests.
func small(o Options) Options {
	if o.Slices == 0 && (o.Modality == "CT" || o.Modality == "MR" || o.Modality == "") {
		o.Slices = 4
	}
	return o
}

func TestOptions_Normalize(t *testing.T) {
	tests := []struct {
		name    string
		in      Options
		wantTS  string
		wantErr string
	}{
		{"defaults", Options{}, ExplicitVRLittleEndian, ""},
		{"implicit word", Options{Modality: "mr", TransferSyntax: "implicit"}, ImplicitVRLittleEndian, ""},
		{"deflate uid", Options{Modality: "CR", TransferSyntax: DeflatedExplicitVRLittleEndian}, DeflatedExplicitVRLittleEndian, ""},
		{"jpeg for DX", Options{Modality: "DX", TransferSyntax: "jpeg"}, JPEGBaseline8Bit, ""},
		{"jpeg for CT", Options{Modality: "CT", TransferSyntax: "jpeg"}, "", "CR and DX only"},
		{"multiframe CR", Options{Modality: "CR", MultiFrame: true}, "", "CT and MR only"},
		{"bad modality", Options{Modality: "US"}, "", "unknown modality"},
		{"bad syntax", Options{TransferSyntax: "rle"}, "", "unknown transfer syntax"},
		{"too many slices", Options{Slices: 401}, "", "out of range"},
		{"negative studies", Options{Studies: -1}, "", "out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.in.normalize()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.TransferSyntax != tc.wantTS {
				t.Errorf("transfer syntax %s, want %s", o.TransferSyntax, tc.wantTS)
			}
		})
	}
}

func TestNewStudy_Deterministic(t *testing.T) {
	for _, o := range []Options{
		{Modality: "CT", Seed: 7}, {Modality: "CR", Seed: 7, TransferSyntax: "jpeg"},
		{Modality: "DX", Seed: 7, TransferSyntax: "deflate"}, {Modality: "MR", Seed: 7, MultiFrame: true},
	} {
		t.Run(o.Modality, func(t *testing.T) {
			o = small(o)
			a, err := NewStudy(o, 2)
			if err != nil {
				t.Fatal(err)
			}
			b, err := NewStudy(o, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Instances) != len(b.Instances) {
				t.Fatalf("%d vs %d instances", len(a.Instances), len(b.Instances))
			}
			for i := range a.Instances {
				if !bytes.Equal(a.Instances[i].File, b.Instances[i].File) {
					t.Fatalf("instance %d differs between two runs", i)
				}
			}
			prev := runtime.GOMAXPROCS(1) // one worker: same bytes as many
			c1, err := NewStudy(o, 2)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			for i := range a.Instances {
				if !bytes.Equal(a.Instances[i].File, c1.Instances[i].File) {
					t.Fatalf("instance %d differs with GOMAXPROCS=1", i)
				}
			}
			ja, _ := json.Marshal(a.Truth)
			jb, _ := json.Marshal(b.Truth)
			if !bytes.Equal(ja, jb) {
				t.Fatal("ground truth differs between two runs")
			}
			o.Seed = 8
			c, err := NewStudy(o, 2)
			if err != nil {
				t.Fatal(err)
			}
			if c.StudyInstanceUID == a.StudyInstanceUID || bytes.Equal(c.Instances[0].Dataset, a.Instances[0].Dataset) {
				t.Fatal("another seed gave the same study")
			}
		})
	}
}

func TestGenerate_ByteIdenticalFiles(t *testing.T) {
	o := Options{Modality: "CT", Studies: 2, Seed: 42, Slices: 3}
	read := func(dir string) map[string][]byte {
		out := map[string][]byte{}
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	d1, d2 := t.TempDir(), t.TempDir()
	o.OutDir = d1
	r1, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	o.OutDir = d2
	if _, err := Generate(o); err != nil {
		t.Fatal(err)
	}
	f1, f2 := read(d1), read(d2)
	if len(f1) != len(f2) || len(f1) != r1.Files+2+1 { // + 2 ground truths + index
		t.Fatalf("%d and %d files, result says %d instances", len(f1), len(f2), r1.Files)
	}
	for name, b := range f1 {
		if !bytes.Equal(b, f2[name]) {
			t.Errorf("%s differs", name)
		}
	}
}

func TestNewStudy_Structure(t *testing.T) {
	cases := []struct {
		o      Options
		class  string
		frames int
	}{
		{Options{Modality: "CT"}, CTImageStorage, 1},
		{Options{Modality: "CT", MultiFrame: true, TransferSyntax: "implicit"}, MultiFrameGrayscaleWordSCImageStorage, 4},
		{Options{Modality: "MR"}, MRImageStorage, 1},
		{Options{Modality: "CR"}, CRImageStorage, 1},
		{Options{Modality: "DX", TransferSyntax: "jpeg"}, DXImageStorageForPresentation, 1},
	}
	for _, tc := range cases {
		t.Run(tc.class+"/"+tc.o.TransferSyntax, func(t *testing.T) {
			st, err := NewStudy(small(tc.o), 0)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{st.StudyInstanceUID: true, st.SeriesInstanceUID: true}
			for _, in := range st.Instances {
				if in.SOPClassUID != tc.class {
					t.Errorf("class %s", in.SOPClassUID)
				}
				if seen[in.SOPInstanceUID] || !strings.HasPrefix(in.SOPInstanceUID, UIDRoot) || len(in.SOPInstanceUID) > 64 {
					t.Errorf("bad or repeated UID %s", in.SOPInstanceUID)
				}
				seen[in.SOPInstanceUID] = true
				if !bytes.Equal(in.File[len(in.File)-len(in.Dataset):], in.Dataset) {
					t.Error("file does not end with the dataset")
				}
				if in.TransferSyntaxUID == DeflatedExplicitVRLittleEndian {
					continue
				}
				es, err := walk(in.Dataset, in.TransferSyntaxUID != ImplicitVRLittleEndian)
				if err != nil {
					t.Fatal(err)
				}
				pn, _ := find(es, 0x00100010)
				if !strings.HasPrefix(string(pn.value), "PHANTOM^") {
					t.Errorf("patient name %q", pn.value)
				}
				px, ok := find(es, tagPixelData)
				if !ok {
					t.Fatal("no pixel data")
				}
				if in.TransferSyntaxUID != JPEGBaseline8Bit && len(px.value) != st.Truth.Geometry.Rows*st.Truth.Geometry.Columns*2*tc.frames {
					t.Errorf("pixel data %d bytes", len(px.value))
				}
			}
			if got := len(st.Truth.Images); got != st.Truth.Geometry.Frames {
				t.Errorf("%d image entries for %d frames", got, st.Truth.Geometry.Frames)
			}
			tx := st.Truth.Report.Text
			if !strings.HasPrefix(tx, "FINDINGS:\n") || !strings.Contains(tx, "\n\nIMPRESSION:\n") {
				t.Errorf("report layout: %q", tx)
			}
			checkVQA(t, st.Truth)
		})
	}
}

func checkVQA(t *testing.T, tr *Truth) {
	t.Helper()
	if len(tr.VQA) < 5 {
		t.Errorf("only %d VQA pairs", len(tr.VQA))
	}
	for _, q := range tr.VQA {
		if q.AnswerType != "CLOSED" && q.AnswerType != "OPEN" {
			t.Errorf("answer type %q", q.AnswerType)
		}
		if q.AnswerType == "CLOSED" && q.QuestionType == "PRES" && q.Answer != "yes" && q.Answer != "no" {
			t.Errorf("presence question answered %q", q.Answer)
		}
		if q.ImageName == "" || q.Frame < 1 || q.Question == "" || q.Answer == "" || q.ContentType == "Other" {
			t.Errorf("incomplete pair %+v", q)
		}
		// a pair about a finding is asked on an image that shows it
		for _, f := range tr.Findings {
			if q.FindingID == f.ID && !visibleOn(f, ImagePoint{File: q.ImageName, Frame: q.Frame}) {
				t.Errorf("%q asked on %s frame %d, where %s is not drawn", q.Question, q.ImageName, q.Frame, f.ID)
			}
		}
	}
}

// forced builds one study whose findings are given instead of drawn.
func forced(t *testing.T, o Options, fs ...*Finding) *Study {
	t.Helper()
	o, err := small(o).normalize()
	if err != nil {
		t.Fatal(err)
	}
	sc := newScene(o, 0)
	for i, f := range fs {
		f.ID = "f" + string(rune('1'+i))
	}
	sc.findings = fs
	st, err := buildStudy(sc)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestTruth_Positions draws each kind of finding and checks that it lands
// on an image, that its pixel position agrees with its patient coordinates
// through the image geometry, and that the report names it.
func TestTruth_Positions(t *testing.T) {
	chest := func() []*Finding {
		return []*Finding{
			{Type: "nodule", Side: "right", Lobe: "right upper lobe", SizeMM: 14, Density: "solid"},
			{Type: "nodule", Side: "left", Lobe: "left lower lobe", SizeMM: 10, Density: "calcified"},
			{Type: "mass", Side: "left", Lobe: "left upper lobe", SizeMM: 40, Density: "solid"},
			{Type: "pleural_effusion", Side: "right", Extent: "moderate"},
			{Type: "pneumothorax", Side: "left", Extent: "large"},
			{Type: "rib_fracture", Side: "right", Rib: 6},
			{Type: "rib_fracture", Side: "left", Rib: 8},
		}
	}
	cases := []struct {
		name string
		o    Options
		fs   []*Finding
	}{
		{"CT 40 slices", Options{Modality: "CT", Seed: 1, Slices: 40}, chest()},
		{"CT 8 slices", Options{Modality: "CT", Seed: 2, Slices: 8}, chest()},
		{"CR", Options{Modality: "CR", Seed: 3}, chest()},
		{"MR", Options{Modality: "MR", Seed: 4, Slices: 12},
			[]*Finding{{Type: "brain_mass", Side: "left", Lobe: "frontal lobe", SizeMM: 24, Density: "T2 hyperintense"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := forced(t, tc.o, tc.fs...)
			tr := st.Truth
			report := strings.ToLower(tr.Report.Text)
			for _, f := range tr.Findings {
				if len(f.Images) == 0 {
					t.Errorf("%s %s %s drawn on no image", f.ID, f.Side, f.Type)
					continue
				}
				if !strings.Contains(report, strings.ToLower(describe(tr.Modality, f))) {
					t.Errorf("report does not mention %q", describe(tr.Modality, f))
				}
				checkPosition(t, st, f)
			}
			checkVQA(t, tr)
		})
	}
}

func checkPosition(t *testing.T, st *Study, f *Finding) {
	t.Helper()
	tr := st.Truth
	g := tr.Geometry
	c := f.CenterPatientMM
	if tr.Modality == "CR" || tr.Modality == "DX" {
		col := c[0]
		if col == nil || c[1] != nil || c[2] == nil {
			t.Fatalf("projection centre %v", c)
		}
		x := (f.Center.Column - float64(g.Columns-1)/2) * g.PixelSpacingMM[1]
		if math.Abs(x-*c[0]) > 0.05 {
			t.Errorf("x %v vs column %v", *c[0], f.Center.Column)
		}
		return
	}
	var img *ImageInfo
	for i := range tr.Images {
		if tr.Images[i].SOPInstanceUID == f.Center.SOPInstanceUID && tr.Images[i].Frame == f.Center.Frame {
			img = &tr.Images[i]
		}
	}
	if img == nil {
		t.Fatalf("%s: key image not listed", f.ID)
	}
	ipp := img.ImagePositionPatient
	col := (*c[0] - ipp[0]) / g.PixelSpacingMM[1]
	row := (*c[1] - ipp[1]) / g.PixelSpacingMM[0]
	tol := 1.5
	if f.Type == "rib_fracture" {
		tol = 12 // the gap is on the rib surface; the centre is on its centre line
	}
	if f.Type != "pleural_effusion" && f.Type != "pneumothorax" &&
		(math.Abs(col-f.Center.Column) > tol || math.Abs(row-f.Center.Row) > tol) {
		t.Errorf("%s %s: patient %.1f,%.1f maps to r%.1f c%.1f, truth says r%.1f c%.1f",
			tr.Modality, f.Type, *c[0], *c[1], row, col, f.Center.Row, f.Center.Column)
	}
	if math.Abs(*c[2]-ipp[2]) > g.SliceThicknessMM && f.Type != "rib_fracture" {
		t.Errorf("%s: z %.1f not on key slice %.1f", f.ID, *c[2], ipp[2])
	}
}
