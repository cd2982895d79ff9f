package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lingshu-edge/lingshu/dicom"
	"github.com/lingshu-edge/lingshu/internal/golden"
)

// vlGolden is what the ask and report tests read from qwen25vl-tiny/expected.json.
type vlGolden struct {
	Model struct {
		SHA256 string `json:"safetensors_sha256"`
	} `json:"model"`
	Prompts []struct {
		Name       string   `json:"name"`
		ImageFiles []string `json:"image_files"`
		IDs        []int    `json:"ids"`
		Greedy     struct {
			IDs []int `json:"ids"`
		} `json:"greedy"`
	} `json:"prompts"`
}

// tinyVLDir is the golden qwen25vl-tiny folder and its expected.json, or
// the test is skipped.
func tinyVLDir(t *testing.T) (string, *vlGolden) {
	t.Helper()
	dir := golden.Dir(t, "qwen25vl-tiny", "expected.json")
	var g vlGolden
	golden.ReadJSON(t, filepath.Join(dir, "expected.json"), &g)
	return dir, &g
}

// runAskJSON runs `ask --json` and decodes its output.
func runAskJSON(t *testing.T, args ...string) askOutput {
	t.Helper()
	var out bytes.Buffer
	if err := runAsk(context.Background(), append(args, "--json", "--backend", "cpu", "--threads", "2"), &out, os.Stderr); err != nil {
		t.Fatal(err)
	}
	var got askOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v in %s", err, out.String())
	}
	return got
}

func TestAsk_GreedyMatchesGolden(t *testing.T) {
	dir, g := tinyVLDir(t)
	questions := map[string]string{"one_image": "Describe this image.", "two_images": "Compare the two images."}
	for _, p := range g.Prompts {
		q, ok := questions[p.Name]
		if !ok {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			args := []string{"--model", dir, q, "--max-tokens", "16", "--temperature", "0"}
			for _, f := range p.ImageFiles {
				args = append(args, "--image", filepath.Join(dir, f))
			}
			got := runAskJSON(t, args...)
			if !slices.Equal(got.IDs, p.Greedy.IDs) {
				t.Errorf("ids %v, want %v", got.IDs, p.Greedy.IDs)
			}
			if got.PromptTokens != len(p.IDs) || got.Stop != "max_tokens" || got.Text == "" {
				t.Errorf("prompt tokens %d (want %d), stop %q, text %q", got.PromptTokens, len(p.IDs), got.Stop, got.Text)
			}
			if len(got.Images) != len(p.ImageFiles) || got.TimingsMS.Prefill <= 0 || got.TimingsMS.Decode <= 0 {
				t.Errorf("images %+v timings %+v", got.Images, got.TimingsMS)
			}
			t.Logf("timings_ms %+v tokens_per_s %+v", got.TimingsMS, got.TokensPerS)
		})
	}
	if t.Failed() || len(g.Prompts) < 2 {
		t.Fatalf("%d golden prompts", len(g.Prompts))
	}
}

// writeGrayDICOM writes img as a MONOCHROME2 8-bit Secondary Capture
// instance in explicit VR little endian with the full-range window
// (center 128, width 256), which renders every value to itself.
func writeGrayDICOM(t *testing.T, path string, img *image.Gray) {
	t.Helper()
	const sop, ts = "2.25.1234567890", dicom.ExplicitVRLittleEndian
	var ds bytes.Buffer
	el := func(group, elem uint16, vr string, val []byte) {
		if len(val)%2 == 1 {
			pad := byte(' ')
			if vr == "UI" || vr == "OB" {
				pad = 0
			}
			val = append(val, pad)
		}
		binary.Write(&ds, binary.LittleEndian, [2]uint16{group, elem})
		ds.WriteString(vr)
		if vr == "OB" || vr == "OW" {
			binary.Write(&ds, binary.LittleEndian, uint16(0)) // reserved
			binary.Write(&ds, binary.LittleEndian, uint32(len(val)))
		} else {
			binary.Write(&ds, binary.LittleEndian, uint16(len(val)))
		}
		ds.Write(val)
	}
	us := func(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
	b := img.Bounds()
	el(0x0008, 0x0016, "UI", []byte(dicom.SecondaryCaptureImageStorage))
	el(0x0008, 0x0018, "UI", []byte(sop))
	el(0x0008, 0x0060, "CS", []byte("OT"))
	el(0x0020, 0x000D, "UI", []byte("2.25.1"))
	el(0x0020, 0x000E, "UI", []byte("2.25.2"))
	el(0x0028, 0x0002, "US", us(1))
	el(0x0028, 0x0004, "CS", []byte("MONOCHROME2"))
	el(0x0028, 0x0010, "US", us(uint16(b.Dy())))
	el(0x0028, 0x0011, "US", us(uint16(b.Dx())))
	el(0x0028, 0x0100, "US", us(8))
	el(0x0028, 0x0101, "US", us(8))
	el(0x0028, 0x0102, "US", us(7))
	el(0x0028, 0x0103, "US", us(0))
	el(0x0028, 0x1050, "DS", []byte("128"))
	el(0x0028, 0x1051, "DS", []byte("256"))
	pix := make([]byte, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		pix = append(pix, img.Pix[img.PixOffset(b.Min.X, y):][:b.Dx()]...)
	}
	el(0x7FE0, 0x0010, "OB", pix)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	meta := dicom.FileMeta{MediaStorageSOPClassUID: dicom.SecondaryCaptureImageStorage, MediaStorageSOPInstanceUID: sop, TransferSyntaxUID: ts}
	if err := dicom.WritePart10(f, meta, ds.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAsk_DICOMEndToEndMatchesPNG(t *testing.T) {
	dir, g := tinyVLDir(t)
	pngPath := filepath.Join(dir, "img3_xray_gray_512x512.png")
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	src, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	gray, ok := src.(*image.Gray)
	if !ok {
		t.Fatalf("img3 decodes as %T, want *image.Gray", src)
	}
	dcm := filepath.Join(t.TempDir(), "img3") // no extension: found by its DICM magic
	writeGrayDICOM(t, dcm, gray)
	rendered, err := loadImage(dcm)
	if err != nil {
		t.Fatal(err)
	}
	rg, ok := rendered.(*image.Gray)
	if !ok || rg.Bounds() != gray.Bounds() || !bytes.Equal(rg.Pix, gray.Pix) {
		t.Fatalf("rendered DICOM (%T) differs from img3", rendered)
	}
	var want []int
	for _, p := range g.Prompts {
		if p.Name == "one_image" {
			want = p.Greedy.IDs
		}
	}
	got := runAskJSON(t, "--model", dir, "--image", dcm, "Describe this image.", "--max-tokens", "16")
	if !slices.Equal(got.IDs, want) || len(want) != 16 {
		t.Errorf("DICOM ids %v, want the PNG path's golden %v", got.IDs, want)
	}
}

func TestAsk_StreamsSameTextAsJSON(t *testing.T) {
	dir, _ := tinyVLDir(t)
	args := []string{"--model", dir, "--image", filepath.Join(dir, "img2_odd_100x76.png"), "What is shown?",
		"--max-tokens", "6", "--temperature", "0.9", "--seed", "3", "--backend", "cpu"}
	var stream, stats bytes.Buffer
	if err := runAsk(context.Background(), append(args, "--stats"), &stream, &stats); err != nil {
		t.Fatal(err)
	}
	got := runAskJSON(t, args...)
	if strings.TrimSuffix(stream.String(), "\n") != got.Text {
		t.Errorf("streamed %q, json text %q", stream.String(), got.Text)
	}
	if !strings.Contains(stats.String(), "prefill") {
		t.Errorf("stats %q", stats.String())
	}
	t.Logf("--stats: %s", stats.String())
}

func TestAsk_ContextTooSmall(t *testing.T) {
	dir, _ := tinyVLDir(t)
	err := runAsk(context.Background(), []string{"--model", dir, "--image", filepath.Join(dir, "img3_xray_gray_512x512.png"),
		"--ctx", "100", "--backend", "cpu", "Describe this image."}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "exceeds the context of 100") {
		t.Fatalf("error %v, want a context error", err)
	}
}

func TestAsk_BadImage(t *testing.T) {
	dir, _ := tinyVLDir(t)
	txt := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(txt, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := runAsk(context.Background(), []string{"--model", dir, "--image", txt, "--backend", "cpu", "Q?"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "not a DICOM, PNG or JPEG") {
		t.Fatalf("error %v", err)
	}
}

func TestAsk_Usage(t *testing.T) {
	for _, args := range [][]string{{}, {"--model", "m", "Q"}, {"--image", "a.png", "Q"}, {"--model", "m", "--image", "a.png"},
		{"--model", "m", "--image", "a.png", "Q", "extra"}, {"--model", "m", "--image", "a.png", "Q", "--max-tokens", "0"}} {
		err := runAsk(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("args %q: error %v, want a usage error", args, err)
		}
	}
}
