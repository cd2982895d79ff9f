package api

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// pdfText is one text line drawn in a checked PDF.
type pdfText struct {
	Page int
	Font string
	Size float64
	X, Y float64
	Text string // decoded from WinAnsi
}

var (
	pdfObjRef  = regexp.MustCompile(`/(Root|Pages|Contents|Parent) (\d+) 0 R`)
	pdfTextCmd = regexp.MustCompile(`BT /(F\d) ([\d.]+) Tf 1 0 0 1 ([\d.]+) ([\d.]+) Tm \(((?:[^\\()]|\\.)*)\) Tj ET`)
	pdfLength  = regexp.MustCompile(`^<< /Length (\d+) >>\nstream\n`)
)

// checkPDF parses the structure of a PDF from writePDF: header, xref
// table whose offsets point at each "N 0 obj", trailer, stream lengths,
// the page tree; it returns the text lines drawn, page by page.
func checkPDF(t testing.TB, b []byte) []pdfText {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
		t.Fatalf("no PDF header or EOF marker")
	}
	i := bytes.LastIndex(b, []byte("startxref\n"))
	if i < 0 {
		t.Fatal("no startxref")
	}
	xref, err := strconv.Atoi(string(bytes.TrimSuffix(b[i+10:], []byte("\n%%EOF\n"))))
	if err != nil || xref <= 0 || xref >= i {
		t.Fatalf("startxref %q: %v", b[i+10:], err)
	}
	var n int
	if _, err := fmt.Sscanf(string(b[xref:]), "xref\n0 %d\n", &n); err != nil || n < 6 {
		t.Fatalf("xref header: %v (n=%d)", err, n)
	}
	entries := b[xref+len(fmt.Sprintf("xref\n0 %d\n", n)):]
	if len(entries) < 20*n || string(entries[:20]) != "0000000000 65535 f \n" {
		t.Fatalf("xref entry 0: %q", entries[:min(20, len(entries))])
	}
	objs := map[int][]byte{}
	for id := 1; id < n; id++ {
		e := string(entries[20*id : 20*id+20])
		var off, gen int
		var kind string
		if _, err := fmt.Sscanf(e, "%010d %05d %s", &off, &gen, &kind); err != nil || kind != "n" || e[18:] != " \n" {
			t.Fatalf("xref entry %d %q: %v", id, e, err)
		}
		head := fmt.Sprintf("%d 0 obj\n", id)
		if off >= xref || !bytes.HasPrefix(b[off:], []byte(head)) {
			t.Fatalf("xref offset %d of object %d points at %q", off, id, b[off:min(off+20, len(b))])
		}
		end := bytes.Index(b[off:], []byte("\nendobj\n"))
		if end < 0 {
			t.Fatalf("object %d has no endobj", id)
		}
		objs[id] = b[off+len(head) : off+end]
	}
	trailer := string(entries[20*n:])
	if !strings.HasPrefix(trailer, fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R", n)) {
		t.Fatalf("trailer %q", trailer)
	}
	ref := func(obj []byte, key string) int {
		for _, m := range pdfObjRef.FindAllSubmatch(obj, -1) {
			if string(m[1]) == key {
				id, _ := strconv.Atoi(string(m[2]))
				return id
			}
		}
		t.Fatalf("no /%s in %q", key, obj)
		return 0
	}
	if !bytes.Contains(objs[1], []byte("/Type /Catalog")) || ref(objs[1], "Pages") != 2 {
		t.Fatalf("catalog %q", objs[1])
	}
	var kids []int
	var count int
	m := regexp.MustCompile(`/Kids \[([^\]]*)\] /Count (\d+)`).FindSubmatch(objs[2])
	if m == nil {
		t.Fatalf("page tree %q", objs[2])
	}
	for _, f := range strings.Fields(string(m[1])) {
		if id, err := strconv.Atoi(f); err == nil && f != "0" {
			kids = append(kids, id)
		}
	}
	count, _ = strconv.Atoi(string(m[2]))
	if count != len(kids) || count == 0 {
		t.Fatalf("page tree: count %d, kids %v", count, kids)
	}
	var out []pdfText
	for p, kid := range kids {
		page := objs[kid]
		if !bytes.Contains(page, []byte("/Type /Page ")) || ref(page, "Parent") != 2 {
			t.Fatalf("page %d: %q", kid, page)
		}
		content := objs[ref(page, "Contents")]
		lm := pdfLength.FindSubmatch(content)
		if lm == nil {
			t.Fatalf("content of page %d: %q", kid, content[:min(40, len(content))])
		}
		length, _ := strconv.Atoi(string(lm[1]))
		stream := content[len(lm[0]):]
		if len(stream) != length+len("\nendstream") || !bytes.HasSuffix(stream, []byte("\nendstream")) {
			t.Fatalf("page %d: /Length %d, stream holds %d bytes", kid, length, len(stream)-len("\nendstream"))
		}
		for _, tm := range pdfTextCmd.FindAllSubmatch(stream[:length], -1) {
			size, _ := strconv.ParseFloat(string(tm[2]), 64)
			x, _ := strconv.ParseFloat(string(tm[3]), 64)
			y, _ := strconv.ParseFloat(string(tm[4]), 64)
			out = append(out, pdfText{Page: p + 1, Font: string(tm[1]), Size: size, X: x, Y: y, Text: pdfUnescape(t, tm[5])})
		}
	}
	return out
}

// pdfUnescape decodes a literal string body (escapes, then Windows-1252).
func pdfUnescape(t testing.TB, s []byte) string {
	var raw []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			raw = append(raw, s[i])
			continue
		}
		i++
		if s[i] >= '0' && s[i] <= '7' {
			v, err := strconv.ParseUint(string(s[i:i+3]), 8, 8)
			if err != nil {
				t.Fatalf("bad octal escape in %q", s)
			}
			raw, i = append(raw, byte(v)), i+2
			continue
		}
		raw = append(raw, s[i])
	}
	dec, err := charmap.Windows1252.NewDecoder().Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	return string(dec)
}

func TestPDF_StructureWrapAndPages(t *testing.T) {
	long := strings.Repeat("The cardiomediastinal silhouette is within normal limits (no effusion). ", 12)
	var lines []pdfLine
	lines = append(lines, pdfLine{Text: "Radiology report", Bold: true, Size: 14})
	for range 80 { // several pages
		lines = append(lines, pdfLine{Text: long})
	}
	lines = append(lines, pdfLine{Text: "Größe: 5 mm — Befund «unauffällig» 肺 \\ (end)"})
	lines = append(lines, pdfLine{Text: strings.Repeat("x", 300)}) // one word wider than the page
	var buf bytes.Buffer
	doc := &pdfDoc{Title: "T (1)", Banner: UnverifiedBanner, Footer: "study 1.2.3", Created: time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC), Lines: lines}
	if err := writePDF(&buf, doc); err != nil {
		t.Fatal(err)
	}
	texts := checkPDF(t, buf.Bytes())
	pages := texts[len(texts)-1].Page
	if pages < 3 {
		t.Fatalf("%d pages", pages)
	}
	banners, footers := 0, 0
	var body []string
	for _, tx := range texts {
		switch {
		case tx.Text == UnverifiedBanner:
			banners++
			if tx.Font != "F2" {
				t.Errorf("banner font %s", tx.Font)
			}
		case tx.Size == pdfFooterSize:
			footers++
			if !strings.HasSuffix(tx.Text, fmt.Sprintf("page %d of %d", tx.Page, pages)) {
				t.Errorf("footer %q", tx.Text)
			}
		default:
			body = append(body, tx.Text)
			if w := textWidth(winAnsi(tx.Text), tx.Size, tx.Font == "F2"); w > pdfPageW-2*pdfMargin+0.01 {
				t.Errorf("line wider than the page (%.1f pt): %q", w, tx.Text)
			}
			if tx.Y < pdfMargin {
				t.Errorf("line below the margin at y=%.1f", tx.Y)
			}
		}
	}
	if banners != pages || footers != pages {
		t.Errorf("%d pages, %d banners, %d footers", pages, banners, footers)
	}
	// Every word arrives, in order; text outside WinAnsi becomes "?".
	want := strings.Join(strings.Fields(string(decodeWinAnsi(winAnsi(joinLines(lines))))), "")
	got := strings.Join(strings.Fields(strings.Join(body, " ")), "")
	if got != want {
		t.Errorf("body text differs:\n got %.200q\nwant %.200q", got, want)
	}
	if !strings.Contains(strings.Join(body, "\n"), "Größe: 5 mm — Befund «unauffällig» ? \\ (end)") {
		t.Errorf("non-ASCII line lost: %q", body[len(body)-5:])
	}
	// Deterministic.
	var again bytes.Buffer
	writePDF(&again, doc)
	if !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Error("output differs between runs")
	}
}

// TestPDF_ExternalTools: where qpdf and pdftotext are installed (Debian
// packages qpdf, poppler-utils), qpdf --check finds no problem and
// pdftotext reads the banner and the text back. Skipped without them.
func TestPDF_ExternalTools(t *testing.T) {
	qpdf, err1 := exec.LookPath("qpdf")
	pdftotext, err2 := exec.LookPath("pdftotext")
	if err1 != nil || err2 != nil {
		t.Skip("qpdf or pdftotext not installed (apt-get install qpdf poppler-utils)")
	}
	path := filepath.Join(t.TempDir(), "r.pdf")
	var buf bytes.Buffer
	doc := &pdfDoc{Title: "Report (x)", Banner: UnverifiedBanner, Footer: "study 1.2.3 · version 1",
		Lines: []pdfLine{{Text: "Radiology report", Bold: true, Size: 14}, {Text: strings.Repeat("Größe normal. ", 800)}}}
	if err := writePDF(&buf, doc); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, buf.Bytes(), 0o600)
	if out, err := exec.Command(qpdf, "--check", path).CombinedOutput(); err != nil || !strings.Contains(string(out), "No syntax or stream encoding errors") {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	if strings.Count(text, UnverifiedBanner) < 2 || !strings.Contains(text, "Größe normal.") || !strings.Contains(text, "page 2 of") {
		t.Errorf("pdftotext:\n%.600s", text)
	}
}

func TestPDF_EmptyDocument(t *testing.T) {
	var buf bytes.Buffer
	if err := writePDF(&buf, &pdfDoc{}); err != nil {
		t.Fatal(err)
	}
	if texts := checkPDF(t, buf.Bytes()); len(texts) != 1 || texts[0].Text != "page 1 of 1" {
		t.Errorf("texts %+v", texts)
	}
}

func joinLines(lines []pdfLine) string {
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString(l.Text + "\n")
	}
	return sb.String()
}

func decodeWinAnsi(b []byte) []byte {
	d, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	return d
}

// FuzzPDFWriter: any text gives a structurally valid PDF that holds every
// word of it (as WinAnsi) with no line wider than the page.
func FuzzPDFWriter(f *testing.F) {
	for _, s := range []string{"", "a", "(\\)", "line one\nline two", strings.Repeat("W", 500), "é — ü 中文 \x00\x7f\x85", "\t\r\n  x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || len(s) > 20000 {
			return
		}
		var buf bytes.Buffer
		if err := writePDF(&buf, &pdfDoc{Lines: []pdfLine{{Text: s}}}); err != nil {
			t.Fatal(err)
		}
		var body []string
		for _, tx := range checkPDF(t, buf.Bytes()) {
			if tx.Size != pdfFooterSize {
				body = append(body, tx.Text)
				if textWidth(winAnsi(tx.Text), tx.Size, false) > pdfPageW-2*pdfMargin+0.01 {
					t.Fatalf("line too wide: %q", tx.Text)
				}
			}
		}
		want := strings.Join(strings.Fields(string(decodeWinAnsi(winAnsi(s)))), "")
		got := strings.Join(strings.Fields(strings.Join(body, " ")), "")
		if got != want {
			t.Fatalf("text differs:\n got %q\nwant %q", got, want)
		}
	})
}
