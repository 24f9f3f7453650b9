package status

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/insight"
)

// The charts are inline SVG written on the server: the page needs no script
// and no asset from the network (the container has none), prints as vectors
// and scales to the screen through its viewBox.

// palette colours segments by their place in the rule order.
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
	"#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939"}

func colour(i int) string { return palette[i%len(palette)] }

// svgDoc collects one chart's elements.
type svgDoc struct {
	b strings.Builder
}

func newSVG(w, h int, class, label string) *svgDoc {
	d := &svgDoc{}
	fmt.Fprintf(&d.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="chart %s" role="img" aria-label="%s">`,
		w, h, class, esc(label))
	return d
}

func (d *svgDoc) add(format string, args ...any) { fmt.Fprintf(&d.b, format, args...) }

func (d *svgDoc) text(x, y float64, anchor, class, s string) {
	d.add(`<text x="%.1f" y="%.1f" text-anchor="%s" class="%s">%s</text>`, x, y, anchor, class, esc(s))
}

func (d *svgDoc) done() template.HTML {
	d.b.WriteString("</svg>")
	return template.HTML(d.b.String()) // every text went through esc
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// histogramSVG draws counts per bucket as bars, each with its count; every
// bucket is labelled when they fit, else every few.
func histogramSVG(h insight.Histogram, class, xTitle string, tickAtLow bool) template.HTML {
	const w, ht, left, right, top, bottom = 600, 240, 44, 10, 18, 46
	d := newSVG(w, ht, "histogram "+class, xTitle)
	n := len(h.Buckets)
	if n == 0 {
		d.text(w/2, ht/2, "middle", "muted", "no customers")
		return d.done()
	}
	top1 := 1
	for _, b := range h.Buckets {
		top1 = max(top1, b.Count)
	}
	plotW, plotH := float64(w-left-right), float64(ht-top-bottom)
	bw := plotW / float64(n)
	yAxis(d, left, top, plotW, plotH, float64(top1))
	every := int(math.Ceil(float64(n) / 16))
	for i, b := range h.Buckets {
		x := float64(left) + float64(i)*bw
		bh := plotH * float64(b.Count) / float64(top1)
		y := float64(top) + plotH - bh
		d.add(`<g class="bar" data-lo="%d" data-hi="%d" data-count="%d"><title>%s: %s customers</title>`, b.Lo, b.Hi, b.Count, esc(b.Label), insight.FormatCount(int64(b.Count)))
		d.add(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="fill"/>`, x+1, y, math.Max(bw-2, 1), bh)
		if bw >= 22 || b.Count == top1 {
			d.text(x+bw/2, y-3, "middle", "val", insight.FormatShort(float64(b.Count)))
		}
		d.add(`</g>`)
		if i%every == 0 {
			label := b.Label
			tx := x + bw/2
			anchor := "middle"
			if tickAtLow {
				label, tx, anchor = fmt.Sprint(b.Lo), x, "start"
			}
			d.text(tx, float64(ht-bottom+14), anchor, "tick", label)
		}
	}
	d.text(float64(left)+plotW/2, float64(ht-6), "middle", "axis", xTitle)
	return d.done()
}

// yAxis draws a count axis with a few gridlines.
func yAxis(d *svgDoc, left, top int, plotW, plotH, maxV float64) {
	for _, v := range niceTicks(0, maxV, 4) {
		y := float64(top) + plotH - plotH*v/maxV
		d.add(`<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/>`, left, float64(left)+plotW, y, y)
		d.text(float64(left-4), y+3, "end", "tick", insight.FormatShort(v))
	}
}

// niceTicks returns round values from lo to hi, about n of them.
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

// heatSVG draws the R×F grid: cell shade by customers, the count in each
// cell, lines where the main segment changes and each segment's label in
// its largest cell, with a colour legend.
func heatSVG(cells []insight.Cell, bins int, segs []insight.Segment) template.HTML {
	const cell, left, top = 80, 44, 8
	legendH := 54
	w, h := left+bins*cell+8, top+bins*cell+24+legendH
	d := newSVG(w, h, "heat", "R × F heat map")
	top1 := 1
	for _, c := range cells {
		top1 = max(top1, c.Count)
	}
	label := map[string]string{}
	for _, s := range segs {
		label[s.ID] = s.Label
	}
	at := map[[2]int]insight.Cell{}
	for _, c := range cells {
		at[[2]int{c.R, c.F}] = c
	}
	pos := func(r, f int) (float64, float64) {
		return float64(left + (f-1)*cell), float64(top + (bins-r)*cell)
	}
	for _, c := range cells {
		x, y := pos(c.R, c.F)
		t := math.Sqrt(float64(c.Count) / float64(top1))
		split := make([]string, 0, len(c.Split))
		for _, s := range c.Split {
			split = append(split, fmt.Sprintf("%s %d", label[s.Segment], s.N))
		}
		d.add(`<g class="cell" data-r="%d" data-f="%d" data-count="%d" data-segment="%s"><title>R %d, F %d: %s customers%s</title>`,
			c.R, c.F, c.Count, esc(c.Segment), c.R, c.F, insight.FormatCount(int64(c.Count)), esc(prefixed(": ", strings.Join(split, ", "))))
		d.add(`<rect x="%.0f" y="%.0f" width="%d" height="%d" fill="%s"/>`, x, y, cell, cell, heatColour(t))
		cls := "num"
		if t > 0.6 {
			cls = "num light"
		}
		d.text(x+cell/2, y+cell/2-2, "middle", cls, insight.FormatCount(int64(c.Count)))
		d.add(`</g>`)
	}
	// Region borders: between neighbours whose main segment differs.
	for r := 1; r <= bins; r++ {
		for f := 1; f <= bins; f++ {
			x, y := pos(r, f)
			s := at[[2]int{r, f}].Segment
			if f < bins && at[[2]int{r, f + 1}].Segment != s {
				d.add(`<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" class="region"/>`, x+cell, x+cell, y, y+cell)
			}
			if r > 1 && at[[2]int{r - 1, f}].Segment != s {
				d.add(`<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" class="region"/>`, x, x+cell, y+cell, y+cell)
			}
		}
	}
	d.add(`<rect x="%d" y="%d" width="%d" height="%d" class="frame"/>`, left, top, bins*cell, bins*cell)
	// One label per region, in its largest cell.
	best := map[string]insight.Cell{}
	for _, c := range cells {
		if c.Segment == "" {
			continue
		}
		if b, ok := best[c.Segment]; !ok || c.Count > b.Count {
			best[c.Segment] = c
		}
	}
	for _, s := range segs {
		c, ok := best[s.ID]
		if !ok {
			continue
		}
		x, y := pos(c.R, c.F)
		t := math.Sqrt(float64(c.Count) / float64(top1))
		cls := "seg"
		if t > 0.6 {
			cls = "seg light"
		}
		lines := wrap(s.Label, 12)
		for i, l := range lines {
			d.add(`<text x="%.0f" y="%.0f" text-anchor="middle" class="%s" data-region="%s">%s</text>`,
				x+cell/2, y+cell/2+14+float64(i)*11, cls, esc(s.ID), esc(l))
		}
	}
	for i := 1; i <= bins; i++ {
		x, y := pos(i, i)
		d.text(float64(left-8), y+cell/2+4, "end", "tick", fmt.Sprint(i))
		d.text(x+cell/2, float64(top+bins*cell+14), "middle", "tick", fmt.Sprint(i))
	}
	d.text(9, float64(top+bins*cell/2), "middle", "axis", "R")
	d.text(float64(left+bins*cell/2), float64(top+bins*cell+26), "middle", "axis", "F (frequency score) →")
	// Colour legend: the shade scale from 0 to the fullest cell.
	ly := float64(top + bins*cell + 36)
	steps := 10
	lw := float64(bins*cell) / float64(steps)
	for i := range steps {
		t := float64(i) / float64(steps-1)
		d.add(`<rect x="%.1f" y="%.0f" width="%.1f" height="10" fill="%s" class="legend"/>`, float64(left)+float64(i)*lw, ly, lw+0.5, heatColour(t))
	}
	d.text(float64(left), ly+22, "start", "tick", "0")
	d.text(float64(left)+float64(bins*cell)/2, ly+22, "middle", "tick", "customers per cell (√ scale)")
	d.text(float64(left+bins*cell), ly+22, "end", "tick", insight.FormatCount(int64(top1)))
	return d.done()
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// heatColour interpolates from a pale to a deep blue.
func heatColour(t float64) string {
	lo, hi := [3]float64{241, 246, 253}, [3]float64{23, 78, 166}
	var c [3]int
	for i := range c {
		c[i] = int(math.Round(lo[i] + (hi[i]-lo[i])*t))
	}
	return fmt.Sprintf("rgb(%d,%d,%d)", c[0], c[1], c[2])
}

// wrap splits a label into lines of about n characters at spaces.
func wrap(s string, n int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(w)) > n {
			lines = append(lines, line)
			line = w
			continue
		}
		line = strings.TrimSpace(line + " " + w)
	}
	return append(lines, line)
}

// boxSVG draws the monetary spread of each non-empty segment: whiskers at
// min and max, the box from Q1 to Q3 and the median. The axis is
// logarithmic when values span two orders of magnitude or more; values at or
// below zero (net refunds) then sit at the axis floor.
func boxSVG(segs []insight.Segment) template.HTML {
	var rows []insight.Segment
	idx := map[string]int{}
	for i, s := range segs {
		idx[s.ID] = i
		if s.Monetary != nil {
			rows = append(rows, s)
		}
	}
	const left, right, top, rowH = 150, 16, 10, 30
	w := 640
	h := top + len(rows)*rowH + 40
	d := newSVG(w, h, "boxes", "monetary value per segment")
	if len(rows) == 0 {
		d.text(float64(w/2), 30, "middle", "muted", "no customers")
		return d.done()
	}
	lo, hi, minPos := math.Inf(1), math.Inf(-1), math.Inf(1)
	for _, s := range rows {
		for _, v := range []float64{insight.Float(s.Monetary.Min), insight.Float(s.Monetary.Max)} {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		for _, m := range []float64{insight.Float(s.Monetary.Min), insight.Float(s.Monetary.Q1)} {
			if m > 0 {
				minPos = math.Min(minPos, m)
			}
		}
	}
	useLog := !math.IsInf(minPos, 1) && hi/minPos >= 100
	plotW := float64(w - left - right)
	var x func(v float64) float64
	var ticks []float64
	if useLog {
		a, b := math.Floor(math.Log10(minPos)), math.Ceil(math.Log10(hi))
		b = math.Max(b, a+1)
		x = func(v float64) float64 {
			v = math.Max(v, math.Pow(10, a))
			return float64(left) + plotW*(math.Log10(v)-a)/(b-a)
		}
		for e := a; e <= b; e++ {
			ticks = append(ticks, math.Pow(10, e))
		}
	} else {
		a, b := math.Min(lo, 0), math.Max(hi, 1)
		x = func(v float64) float64 { return float64(left) + plotW*(v-a)/(b-a) }
		ticks = niceTicks(a, b, 5)
	}
	axisY := float64(top + len(rows)*rowH)
	for _, t := range ticks {
		d.add(`<line x1="%.1f" x2="%.1f" y1="%d" y2="%.0f" class="grid"/>`, x(t), x(t), top, axisY)
		d.text(x(t), axisY+14, "middle", "tick", insight.FormatShort(t))
	}
	scale := "linear scale"
	if useLog {
		scale = "log scale; values ≤ 0 at the left edge"
	}
	d.text(float64(left)+plotW/2, axisY+32, "middle", "axis", "monetary value per customer ("+scale+")")
	for i, s := range rows {
		b := s.Monetary
		y := float64(top + i*rowH)
		mid := y + rowH/2
		c := colour(idx[s.ID])
		d.add(`<g class="box" data-segment="%s"><title>%s: min %s, Q1 %s, median %s, Q3 %s, max %s</title>`, esc(s.ID), esc(s.Label),
			insight.FormatMoney(b.Min), insight.FormatMoney(b.Q1), insight.FormatMoney(b.Median), insight.FormatMoney(b.Q3), insight.FormatMoney(b.Max))
		d.text(float64(left-8), mid+4, "end", "label", s.Label)
		x0, x1, x3, x4, xm := x(insight.Float(b.Min)), x(insight.Float(b.Q1)), x(insight.Float(b.Q3)), x(insight.Float(b.Max)), x(insight.Float(b.Median))
		d.add(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="whisker"/>`, x0, x4, mid, mid)
		d.add(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="whisker"/>`, x0, x0, mid-6, mid+6)
		d.add(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="whisker"/>`, x4, x4, mid-6, mid+6)
		d.add(`<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s" class="iqr"/>`, x1, mid-9, math.Max(x3-x1, 1.5), 18, c)
		d.add(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="median"/>`, xm, xm, mid-9, mid+9)
		d.add(`</g>`)
	}
	return d.done()
}

// sizePoint is one run's segment sizes, for the chart over time.
type sizePoint struct {
	At    time.Time
	Sizes map[string]int
}

// sizesSVG draws segment sizes over runs, one line per segment in its colour.
func sizesSVG(points []sizePoint, segs []insight.Segment) template.HTML {
	const w, h, left, right, top, bottom = 1000, 300, 48, 12, 12, 34
	d := newSVG(w, h, "sizes", "segment sizes over time")
	if len(points) == 0 {
		d.text(w/2, h/2, "middle", "muted", "no runs yet")
		return d.done()
	}
	top1 := 1
	for _, p := range points {
		for _, v := range p.Sizes {
			top1 = max(top1, v)
		}
	}
	plotW, plotH := float64(w-left-right), float64(h-top-bottom)
	t0, t1 := points[0].At, points[len(points)-1].At
	span := t1.Sub(t0).Seconds()
	x := func(t time.Time) float64 {
		if span <= 0 {
			return float64(left) + plotW/2
		}
		return float64(left) + plotW*t.Sub(t0).Seconds()/span
	}
	y := func(v int) float64 { return float64(top) + plotH - plotH*float64(v)/float64(top1) }
	yAxis(d, left, top, plotW, plotH, float64(top1))
	for i, s := range segs {
		var pts []string
		for _, p := range points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.Sizes[s.ID])))
		}
		d.add(`<g class="series" data-segment="%s"><title>%s</title>`, esc(s.ID), esc(s.Label))
		if len(points) > 1 {
			d.add(`<polyline points="%s" stroke="%s" class="line"/>`, strings.Join(pts, " "), colour(i))
		}
		for k, p := range points {
			d.add(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %s</title></circle>`, x(p.At), y(p.Sizes[s.ID]), colour(i),
				esc(s.Label), p.At.Format("2006-01-02"), insight.FormatCount(int64(points[k].Sizes[s.ID])))
		}
		d.add(`</g>`)
	}
	d.text(float64(left), float64(h-10), "start", "tick", t0.Format("2006-01-02 15:04"))
	if span > 0 {
		d.text(float64(left)+plotW, float64(h-10), "end", "tick", t1.Format("2006-01-02 15:04"))
	}
	return d.done()
}
