package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// runColors tell runs apart in every plot (colour-blind safe pairs).
var runColors = []string{"#3b6fb6", "#e08a2c", "#3a9a5b", "#b5447a", "#7a5cc4"}

func runColor(i int) string { return runColors[i%len(runColors)] }

// barEntry is one bar: a score in [0, 1] with an optional interval.
type barEntry struct {
	Label  string
	Values []float64    // one per run (NaN: absent)
	CIs    [][2]float64 // one per run
	Metric string
}

// barChart draws one group of horizontal bars per dataset, one bar per
// run, with the 95% interval as a whisker and the value printed.
func barChart(entries []barEntry, runs int) template.HTML {
	const labelW, plotW, barH, gap = 190, 560, 16, 12
	groupH := runs*barH + gap
	h := len(entries)*groupH + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="scores by dataset">`, labelW+plotW+90, h)
	for t := 0; t <= 10; t += 2 {
		x := labelW + plotW*t/10
		fmt.Fprintf(&b, `<line x1="%d" y1="10" x2="%d" y2="%d" stroke="#ddd"/><text x="%d" y="%d" font-size="11" text-anchor="middle" fill="#555">%d%%</text>`,
			x, x, h-22, x, h-8, t*10)
	}
	for i, e := range entries {
		y0 := 10 + i*groupH
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" text-anchor="end" fill="#222">%s</text>`,
			labelW-8, y0+runs*barH/2+4, html.EscapeString(e.Label))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" text-anchor="end" fill="#777">%s</text>`,
			labelW-8, y0+runs*barH/2+16, html.EscapeString(e.Metric))
		for r, v := range e.Values {
			if math.IsNaN(v) {
				continue
			}
			y := y0 + r*barH
			w := max(2, int(math.Round(clamp01(v)*plotW))) // a zero stays visible
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" rx="2"><title>%.1f%%</title></rect>`,
				labelW, y+1, w, barH-3, runColor(r), 100*v)
			if ci := e.CIs[r]; !math.IsNaN(ci[0]) {
				x0, x1 := labelW+int(clamp01(ci[0])*plotW), labelW+int(clamp01(ci[1])*plotW)
				ym := y + barH/2
				fmt.Fprintf(&b, `<path d="M%d %dH%dM%d %dV%dM%d %dV%d" stroke="#222" stroke-width="1.2"/>`,
					x0, ym, x1, x0, ym-4, ym+4, x1, ym-4, ym+4)
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#222">%.1f</text>`, labelW+plotW+6, y+barH-4, 100*v)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// heatmap draws a confusion matrix: reference rows, read columns.
func heatmap(c Confusion) template.HTML {
	const cell = 34
	longest := 0
	for _, l := range c.Cols {
		longest = max(longest, len([]rune(l)))
	}
	left, top, rotate := max(60, 7*longest+12), 42, longest > 5
	if rotate { // long column labels are written at 45°
		top = 30 + 5*longest
	}
	w, h := left+cell*len(c.Cols)+10+5*longest, top+cell*len(c.Labels)+10
	maxv := 1
	for _, row := range c.Counts {
		for _, v := range row {
			maxv = max(maxv, v)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="confusion %s">`, w, h, c.Kind)
	fmt.Fprintf(&b, `<text x="%d" y="12" font-size="11" fill="#555">model answer →</text>`, left)
	fmt.Fprintf(&b, `<text x="4" y="%d" font-size="11" fill="#555">truth ↓</text>`, top-6)
	for j, l := range c.Cols {
		x := left + j*cell + cell/2
		if rotate {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" transform="rotate(-45 %d %d)">%s</text>`, x, top-6, x, top-6, html.EscapeString(l))
			continue
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="middle">%s</text>`, x, top-8, html.EscapeString(l))
	}
	for i, l := range c.Labels {
		y := top + i*cell
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end">%s</text>`, left-6, y+cell/2+4, html.EscapeString(l))
		for j, v := range c.Counts[i] {
			a := float64(v) / float64(maxv)
			fill := fmt.Sprintf("rgba(59,111,182,%.2f)", 0.08+0.92*a)
			if j == i {
				fill = fmt.Sprintf("rgba(58,154,91,%.2f)", 0.08+0.92*a)
			}
			txt := "#222"
			if a > 0.6 {
				txt = "#fff"
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#fff"/><text x="%d" y="%d" font-size="12" text-anchor="middle" fill="%s">%d</text>`,
				left+j*cell, y, cell, cell, fill, left+j*cell+cell/2, y+cell/2+4, txt, v)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// histogram overlays the distributions of generated and reference report
// lengths (words) in 12 equal bins.
func histogram(gen, ref []int) template.HTML {
	const w, h, left, bottom, bins = 520, 190, 40, 30, 12
	hi := 1
	for _, v := range append(append([]int{}, gen...), ref...) {
		hi = max(hi, v)
	}
	width := (hi + bins) / bins
	count := func(xs []int) []int {
		c := make([]int, bins)
		for _, v := range xs {
			c[min(v/width, bins-1)]++
		}
		return c
	}
	cg, cr := count(gen), count(ref)
	top := 1
	for i := range bins {
		top = max(top, cg[i], cr[i])
	}
	plotH := h - bottom - 20
	bw := (w - left - 10) / bins
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="report lengths">`, w, h)
	for i := range bins {
		x := left + i*bw
		for k, c := range [][]int{cr, cg} {
			bh := plotH * c[i] / top
			color := []string{"#bbb", runColor(0)}[k]
			off := []int{0, bw / 3}[k]
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%d–%d words: %d</title></rect>`,
				x+off, h-bottom-bh, bw*2/3-1, bh, color, i*width, (i+1)*width-1, c[i])
		}
		if i%2 == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" text-anchor="middle" fill="#555">%d</text>`, x+bw/2, h-bottom+13, i*width)
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="middle" fill="#555">words per report</text>`, left+(w-left)/2, h-4)
	fmt.Fprintf(&b, `<rect x="%d" y="4" width="10" height="10" fill="%s"/><text x="%d" y="13" font-size="11">generated</text>`, w-170, runColor(0), w-156)
	fmt.Fprintf(&b, `<rect x="%d" y="4" width="10" height="10" fill="#bbb"/><text x="%d" y="13" font-size="11">reference</text>`, w-85, w-71)
	fmt.Fprintf(&b, `<text x="4" y="18" font-size="10" fill="#555">%d</text>`, top)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
