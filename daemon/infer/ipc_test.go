package infer

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// seedLines are protocol lines of every type, and some broken ones.
var seedLines = []string{
	`{"type":"ask","id":1,"question":"Describe","images":["iVBORw0KGgo="],"max_tokens":8,"temperature":0.5,"seed":3,"max_pixels":200704}`,
	`{"type":"cancel","id":7}`,
	`{"type":"ready","model_hash":"ab","model_path":"/m","backend":"cpu"}`,
	`{"type":"load_failed","error":"vlm: open /m: no such file"}`,
	`{"type":"token","id":1,"token":151643,"text":"hi"}`,
	`{"type":"done","id":1,"result":{"text":"a","ids":[1],"stop":"eos","prompt_tokens":3,"image_tokens":0,"timings_ms":{"decode":1.5}}}`,
	`{"type":"error","id":1,"code":"cancelled","error":"cancelled","steps_after_cancel":1}`,
	`{"type":"ask","id":0,"max_tokens":8}`,
	`{"type":"ask","id":1,"max_tokens":0}`,
	`{"type":"error","id":1,"code":"weird"}`,
	`{"type":"nope"}`,
	`{"type":"token","id":1,"extra":true}`,
	`{"type":"cancel","id":1} {"type":"cancel","id":2}`,
	`{"type":"cancel","id":-1}`,
	`[]`,
	``,
}

func TestDecodeMessage(t *testing.T) {
	for i, line := range seedLines {
		_, err := decodeMessage([]byte(line))
		if ok := i < 7; ok != (err == nil) {
			t.Errorf("line %d %s: err %v", i, line, err)
		}
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, s := range seedLines {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := decodeMessage(line)
		if err != nil {
			return
		}
		// What decodes re-encodes to a line that decodes to the same message.
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("marshal %+v: %v", m, err)
		}
		m2, err := decodeMessage(b)
		if err != nil {
			t.Fatalf("re-decode %s: %v", b, err)
		}
		if !reflect.DeepEqual(normalise(m), normalise(m2)) {
			t.Fatalf("round trip\n%+v\n%+v", m, m2)
		}
	})
}

// normalise treats nil and empty slices and maps alike (omitempty drops them).
func normalise(m message) message {
	if len(m.Images) == 0 {
		m.Images = nil
	}
	if m.Result != nil {
		r := *m.Result
		if len(r.IDs) == 0 {
			r.IDs = nil
		}
		if len(r.TimingsMS) == 0 {
			r.TimingsMS = nil
		}
		m.Result = &r
	}
	return m
}

func TestPNG_RoundTripKeepsGrayPixels(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 5, 3))
	for i := range img.Pix {
		img.Pix[i] = uint8(40 * i)
	}
	s, err := encodePNG(img)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodePNG(s)
	if err != nil {
		t.Fatal(err)
	}
	g, ok := got.(*image.Gray)
	if !ok || !bytes.Equal(g.Pix, img.Pix) {
		t.Fatalf("decoded %T %v, want gray %v", got, got, img.Pix)
	}
}

func TestDecodePNG_RejectsHugeOrBad(t *testing.T) {
	big := image.NewNRGBA(image.Rect(0, 0, maxImageSide+1, 1))
	big.Set(0, 0, color.White)
	s, err := encodePNG(big)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodePNG(s); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("huge image: %v", err)
	}
	if _, err := decodePNG("!!!"); err == nil {
		t.Error("bad base64 accepted")
	}
	if _, err := decodePNG("aGVsbG8="); err == nil {
		t.Error("not a PNG accepted")
	}
}

func TestRelogLine_KeepsLevelMessageAndAttrs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	relogLine(log, `{"time":"2026-01-01T00:00:00Z","level":"WARN","msg":"request failed","id":3,"err":"boom"}`)
	relogLine(log, `panic: runtime error`)
	out := buf.String()
	for _, want := range []string{`level=WARN msg="runner: request failed"`, "id=3", "err=boom", `line="panic: runtime error"`} {
		if !strings.Contains(out, want) {
			t.Errorf("relogged output lacks %q:\n%s", want, out)
		}
	}
}
