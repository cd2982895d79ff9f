package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/dicom"
	"github.com/lingshu-edge/lingshu/dicom/phantom"
	"github.com/lingshu-edge/lingshu/model/vlm"
)

// writeStudy writes a phantom study's files (and a non-DICOM file) under dir.
func writeStudy(t *testing.T, dir string, opts phantom.Options) *phantom.Study {
	t.Helper()
	st, err := phantom.NewStudy(opts, 0)
	if err != nil {
		t.Fatal(err)
	}
	sd := filepath.Join(dir, st.Dir)
	if err := os.MkdirAll(sd, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, in := range st.Instances {
		if err := os.WriteFile(filepath.Join(sd, in.FileName), in.File, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(sd, "ground_truth.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestReport_PhantomStudies(t *testing.T) {
	dir, g := tinyVLDir(t)
	data := t.TempDir()
	cr := writeStudy(t, data, phantom.Options{Modality: "CR", Seed: 1})
	ct := writeStudy(t, data, phantom.Options{Modality: "CT", Seed: 2, Slices: 5})
	var out, stderr bytes.Buffer
	args := []string{"--model", dir, data, "--json", "--max-tokens", "8", "--backend", "cpu", "--threads", "2", "--max-pixels", "200000"}
	if err := runReport(context.Background(), args, &out, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	got := map[string]reportOutput{}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r reportOutput
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%v in %s", err, sc.Text())
		}
		got[r.StudyUID] = r
	}
	if len(got) != 2 {
		t.Fatalf("%d reports, want 2:\n%s", len(got), out.String())
	}
	for _, c := range []struct {
		st  *phantom.Study
		sop string
	}{{cr, cr.Instances[0].SOPInstanceUID}, {ct, ct.Instances[2].SOPInstanceUID}} {
		r, ok := got[c.st.StudyInstanceUID]
		if !ok {
			t.Fatalf("no report for %s study", c.st.Modality)
		}
		if len(r.Images) != 1 || r.Images[0].SOPInstanceUID != c.sop || r.Images[0].Modality != c.st.Modality {
			t.Errorf("%s: images %+v, want SOP %s", c.st.Modality, r.Images, c.sop)
		}
		if r.PromptVersion != vlm.ReportPromptVersion || r.ModelHash != g.Model.SHA256 || !strings.Contains(r.Prompt, "IMPRESSION") {
			t.Errorf("%s: provenance %q %q %q", c.st.Modality, r.PromptVersion, r.ModelHash, r.Prompt)
		}
		if len(r.IDs) == 0 && r.Stop != "eos" || r.ImageTokens == 0 || r.TimingsMS.Prefill <= 0 {
			t.Errorf("%s: ids %v stop %q image tokens %d timings %+v", c.st.Modality, r.IDs, r.Stop, r.ImageTokens, r.TimingsMS)
		}
		t.Logf("%s: %d prompt tokens, text %q, timings_ms %+v", c.st.Modality, r.PromptTokens, r.Text, r.TimingsMS)
	}
}

func TestReport_Streams(t *testing.T) {
	dir, _ := tinyVLDir(t)
	data := t.TempDir()
	cr := writeStudy(t, data, phantom.Options{Modality: "DX", Seed: 3})
	file := filepath.Join(data, cr.Dir, cr.Instances[0].FileName)
	var out bytes.Buffer
	args := []string{"--model", dir, file, "--max-tokens", "4", "--backend", "cpu", "--max-pixels", "100000"}
	if err := runReport(context.Background(), args, &out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "\n") || strings.Contains(out.String(), "==") {
		t.Errorf("streamed %q", out.String())
	}
}

func TestReport_NoImages(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("x"), 0o644)
	err := runReport(context.Background(), []string{"--model", "m", dir}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "no DICOM images") {
		t.Fatalf("error %v", err)
	}
	err = runReport(context.Background(), []string{"--model", "m", filepath.Join(dir, "a.txt")}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "not a DICOM file") {
		t.Fatalf("named non-DICOM file: error %v", err)
	}
	var ue usageError
	if err := runReport(context.Background(), []string{dir}, &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, &ue) {
		t.Fatalf("no --model: %v", err)
	}
}

func TestKeyImages(t *testing.T) {
	inst := func(series, number, mod string, frames int) instance {
		return instance{path: series + "-" + number, sum: &dicom.Summary{StudyInstanceUID: "1", SeriesInstanceUID: series,
			SeriesNumber: series, Modality: mod, InstanceNumber: number, SOPInstanceUID: "sop" + series + "." + number,
			Rows: 8, Columns: 8, NumberOfFrames: frames}}
	}
	insts := []instance{
		inst("3", "1", "CR", 0), inst("3", "2", "CR", 0), // two views
		inst("2", "10", "CT", 0), inst("2", "2", "CT", 0), inst("2", "", "CT", 0), inst("2", "7", "CT", 0), inst("2", "1", "CT", 0),
		inst("4", "1", "MR", 24), // one multi-frame volume
	}
	studies := groupStudies(insts)
	if len(studies) != 1 || len(studies[0].series) != 3 {
		t.Fatalf("groups %+v", studies)
	}
	var got []string
	for _, k := range keyImages(studies[0], 10) {
		got = append(got, k.inst.path+"@"+string(rune('0'+k.frame/10))+string(rune('0'+k.frame%10)))
	}
	// CT ordered 1, 2, 7, 10, "" → middle index 2 is number 7.
	want := []string{"2-7@00", "3-1@00", "3-2@00", "4-1@12"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("key images %v, want %v", got, want)
	}
	if n := len(keyImages(studies[0], 2)); n != 2 {
		t.Errorf("cap 2 gave %d images", n)
	}
}
