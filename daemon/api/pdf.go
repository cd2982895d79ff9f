package api

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// A small PDF 1.4 writer for report exports: A4 pages of Helvetica text
// (one of the 14 standard fonts, so nothing is embedded), lines wrapped
// to the page width with the font's metrics, an optional red banner on
// every page, and a footer with page numbers. Text is encoded in
// WinAnsiEncoding (Windows-1252); characters outside it print as "?".
// The output is deterministic for the same input.

// pdfLine is one paragraph of the document.
type pdfLine struct {
	Text string
	Bold bool
	Size float64 // points; 0 means pdfBodySize
}

// pdfDoc is what writePDF lays out.
type pdfDoc struct {
	Title   string    // document info
	Banner  string    // printed in red at the top of every page when not empty
	Footer  string    // left of the page number at the bottom of every page
	Created time.Time // document info CreationDate
	Lines   []pdfLine
}

const (
	pdfPageW, pdfPageH = 595.0, 842.0 // A4 in points
	pdfMargin          = 56.0
	pdfBodySize        = 10.5
	pdfLeading         = 1.35
	pdfBannerSize      = 12.0
	pdfFooterSize      = 8.0
)

// helveticaWidths are the advance widths (1/1000 em) of Helvetica for
// the printable ASCII range 32..126, from the font's standard metrics.
var helveticaWidths = [95]uint16{
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space../
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
	278, 278, 584, 584, 584, 556, 1015, // :;<=>?@
	667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A-M
	722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N-Z
	278, 278, 278, 469, 556, 333, // [\]^_`
	556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a-m
	556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n-z
	334, 260, 334, 584, // {|}~
}

// winAnsi encodes s in Windows-1252: control characters become spaces,
// characters outside the code page become "?".
func winAnsi(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r < 0x20 || r >= 0x7f && r <= 0x9f: // C0 and C1 controls, DEL
			out = append(out, ' ')
		case r < 0x7f:
			out = append(out, byte(r))
		default:
			if b, ok := charmap.Windows1252.EncodeRune(r); ok {
				out = append(out, b)
			} else {
				out = append(out, '?')
			}
		}
	}
	return out
}

// textWidth is the width in points of WinAnsi text at size.
func textWidth(b []byte, size float64, bold bool) float64 {
	var w float64
	for _, ch := range b {
		switch {
		case ch >= 32 && ch <= 126:
			w += float64(helveticaWidths[ch-32])
		case ch == 0x97: // em dash
			w += 1000
		case ch == 0x85 || ch == 0x89: // ellipsis, per mille
			w += 1000
		default:
			w += 667 // no Latin-1 glyph of Helvetica is wider (except Æ, Œ at 1000)
		}
	}
	if bold {
		w *= 1.1 // Helvetica-Bold is at most ~10% wider than Helvetica
	}
	return w * size / 1000
}

// wrap breaks one paragraph into lines no wider than width; a word wider
// than the line is broken between characters.
func wrap(text []byte, size, width float64, bold bool) [][]byte {
	// Split on ASCII spaces only: the bytes are WinAnsi, not UTF-8 (winAnsi
	// turned every control character into a space).
	words := bytes.FieldsFunc(text, func(r rune) bool { return r == ' ' })
	if len(words) == 0 {
		return [][]byte{nil}
	}
	var lines [][]byte
	var cur []byte
	for _, w := range words {
		for textWidth(w, size, bold) > width {
			// Break the word: flush the line, then take the longest prefix that fits.
			if len(cur) > 0 {
				lines, cur = append(lines, cur), nil
			}
			n := 1
			for n < len(w) && textWidth(w[:n+1], size, bold) <= width {
				n++
			}
			lines, w = append(lines, w[:n:n]), w[n:]
		}
		if len(w) == 0 {
			continue
		}
		cand := w
		if len(cur) > 0 {
			cand = append(append(append([]byte{}, cur...), ' '), w...)
		}
		if textWidth(cand, size, bold) <= width || len(cur) == 0 {
			cur = cand
			continue
		}
		lines, cur = append(lines, cur), append([]byte{}, w...)
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	return lines
}

// pdfString writes b as a PDF literal string: parentheses and backslash
// escaped, bytes outside printable ASCII as octal escapes.
func pdfString(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('(')
	for _, ch := range b {
		switch {
		case ch == '(' || ch == ')' || ch == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(ch)
		case ch < 32 || ch > 126:
			fmt.Fprintf(&sb, "\\%03o", ch)
		default:
			sb.WriteByte(ch)
		}
	}
	sb.WriteByte(')')
	return sb.String()
}

type laidLine struct {
	text []byte
	size float64
	bold bool
}

// layout wraps the document's lines and cuts them into pages.
func (d *pdfDoc) layout() [][]laidLine {
	width := pdfPageW - 2*pdfMargin
	top := pdfPageH - pdfMargin
	if d.Banner != "" {
		top -= pdfBannerSize * 2
	}
	bottom := pdfMargin + pdfFooterSize*2
	var pages [][]laidLine
	var page []laidLine
	y := top
	for _, l := range d.Lines {
		size := l.Size
		if size <= 0 {
			size = pdfBodySize
		}
		for _, t := range wrap(winAnsi(l.Text), size, width, l.Bold) {
			step := size * pdfLeading
			if y-step < bottom && len(page) > 0 {
				pages, page, y = append(pages, page), nil, top
			}
			page = append(page, laidLine{text: t, size: size, bold: l.Bold})
			y -= step
		}
	}
	return append(pages, page) // at least one page, maybe empty
}

// pageContent is the content stream of one page.
func (d *pdfDoc) pageContent(lines []laidLine, pageNo, pageCount int) []byte {
	var b bytes.Buffer
	y := pdfPageH - pdfMargin
	if d.Banner != "" {
		y -= pdfBannerSize
		fmt.Fprintf(&b, "0.75 0 0 rg\nBT /F2 %.1f Tf 1 0 0 1 %.2f %.2f Tm %s Tj ET\n0 g\n",
			pdfBannerSize, pdfMargin, y, pdfString(winAnsi(d.Banner)))
		y -= pdfBannerSize
	}
	for _, l := range lines {
		y -= l.size * pdfLeading
		font := "F1"
		if l.bold {
			font = "F2"
		}
		if len(l.text) > 0 {
			fmt.Fprintf(&b, "BT /%s %.1f Tf 1 0 0 1 %.2f %.2f Tm %s Tj ET\n", font, l.size, pdfMargin, y, pdfString(l.text))
		}
	}
	footer := fmt.Sprintf("%s   page %d of %d", d.Footer, pageNo, pageCount)
	fmt.Fprintf(&b, "0.4 g\nBT /F1 %.1f Tf 1 0 0 1 %.2f %.2f Tm %s Tj ET\n0 g\n",
		pdfFooterSize, pdfMargin, pdfMargin, pdfString(winAnsi(strings.TrimSpace(footer))))
	return b.Bytes()
}

// writePDF writes d as a PDF 1.4 file.
func writePDF(w io.Writer, d *pdfDoc) error {
	pages := d.layout()
	var buf bytes.Buffer
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// Objects: 1 catalog, 2 page tree, 3 Helvetica, 4 Helvetica-Bold,
	// 5 info, then a page and its content stream per page.
	n := 5 + 2*len(pages)
	offsets := make([]int, n+1)
	obj := func(id int, body string) {
		offsets[id] = buf.Len()
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", id, body)
	}
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 6+2*i)
	}
	obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	obj(2, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	obj(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj(4, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	info := fmt.Sprintf("<< /Title %s /Producer (Lingshu Edge)", pdfString(winAnsi(d.Title)))
	if !d.Created.IsZero() {
		info += " /CreationDate (D:" + d.Created.UTC().Format("20060102150405") + "Z)"
	}
	obj(5, info+" >>")
	for i, lines := range pages {
		page, content := 6+2*i, 7+2*i
		obj(page, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %g %g] "+
			"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>", pdfPageW, pdfPageH, content))
		stream := d.pageContent(lines, i+1, len(pages))
		obj(content, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream))
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", n+1)
	for id := 1; id <= n; id++ {
		fmt.Fprintf(&buf, "%010d 00000 n \n", offsets[id])
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n", n+1, xref)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("api: write pdf: %w", err)
	}
	return nil
}
