package status

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/rfmsync/rfmsync/core/insight"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// chromiumPath finds a headless-capable Chromium, as Debian and others name it.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// realisticRun scores n generated customers the way a sync does: most
// bought once, a long tail buys often, spend is log-normal with refunds.
func realisticRun(n int, asof time.Time, seed uint64) *syncloop.Report {
	rng := rand.New(rand.NewPCG(seed, 1))
	at := rfm.InstantOf(asof)
	var cs []rfm.Customer
	for i := range n {
		f := int64(1)
		for rng.Float64() < 0.55 && f < 60 {
			f++
		}
		days := int64(rng.ExpFloat64() * 180)
		days = min(days, 729)
		amount := int64(math.Exp(4+rng.NormFloat64()) * float64(f) * 100)
		if rng.IntN(40) == 0 {
			amount = -amount / 10 // net refund
		}
		last := at - rfm.Instant(days*rfm.DaySeconds*1_000_000)
		cs = append(cs, rfm.Customer{Key: strconv.Itoa(i), Agg: rfm.Aggregate{
			Frequency: f, Orders: f, Last: last, First: last, Monetary: rfm.MoneyFromMicros(amount * 10_000)}})
	}
	p := rfm.DefaultParams()
	scores := rfm.ScoreAll(cs, at, p)
	rep := &syncloop.Report{AsOf: at, Scored: len(scores), Segments: map[string]int{}, Moves: map[string]int{},
		APICalls: map[string]int64{"list": 20, "batch_update": 5}}
	for _, s := range scores {
		rep.Segments[s.Segment.ID]++
		// Some customers arrive, some move between neighbours.
		switch rng.IntN(10) {
		case 0:
			rep.Moves[insight.FromNone+" → "+s.Segment.ID]++
		case 1:
			rep.Moves["hibernating → "+s.Segment.ID]++
		}
	}
	rep.Insight = insight.Summarize(scores, p, insight.Options{WindowDays: 730})
	return rep
}

// TestDashboardInChromium loads the page in real headless Chromium: no
// console errors, a bins×bins heat map whose numbers add up to the
// customers scored, a box plot for every segment of the map, no sideways
// scrolling at 1280 px or on a phone, and a screenshot kept as an artefact.
func TestDashboardInChromium(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		t.Skip("SKIPPED: no chromium binary found (apt-get install -y chromium, or set CHROMIUM=/path); the dashboard was NOT checked in a browser")
	}
	b := NewBoard()
	t0 := time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC)
	var last *syncloop.Report
	for i := range 5 {
		asof := t0.Add(time.Duration(i) * 7 * 24 * time.Hour)
		last = realisticRun(1800+60*i, asof, uint64(i))
		b.Record(Run{Started: asof, Finished: asof.Add(time.Minute), Report: last})
	}
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("headless", true), chromedp.DisableGPU, chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	// Subscribed before the page loads, so no message is missed; the
	// messages keep their order, so a probe written last marks the end.
	messages := chromedp.Console(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("svg.heat"))); err != nil {
		t.Fatalf("chromium (%s): %v", bin, err)
	}
	type pageFacts struct {
		Cells     []map[string]string `json:"cells"`
		CellText  []string            `json:"cellText"`
		Boxes     []string            `json:"boxes"`
		Regions   []string            `json:"regions"`
		TableSegs []string            `json:"tableSegs"`
		Overflow  int                 `json:"overflow"`
	}
	const factsJS = `(() => {
		const all = s => [...document.querySelectorAll(s)];
		return {
			cells: all("svg.heat g.cell").map(g => ({r: g.dataset.r, f: g.dataset.f, count: g.dataset.count, segment: g.dataset.segment})),
			cellText: all("svg.heat g.cell text").map(t => t.textContent),
			boxes: all("svg.boxes g.box").map(g => g.dataset.segment),
			regions: all("svg.heat [data-region]").map(t => t.dataset.region),
			tableSegs: all("table.segtable tr[data-segment]").map(r => r.dataset.segment),
			overflow: document.documentElement.scrollWidth - window.innerWidth,
		};
	})()`
	facts, err := chromedp.Run(ctx, chromedp.Evaluate[pageFacts](factsJS))
	if err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("svg.heat"))); err != nil {
		t.Fatal(err)
	}
	phone, err := chromedp.Run(ctx, chromedp.Evaluate[pageFacts](factsJS))
	if err != nil {
		t.Fatal(err)
	}
	phonePNG, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	phoneHeat, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#heatmap")))
	if err != nil {
		t.Fatal(err)
	}
	// Print: an A4 page is about 794 CSS px wide; links to other periods go.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(794, 1123)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	printed, err := chromedp.Run(ctx, chromedp.Evaluate[pageFacts](factsJS))
	if err != nil {
		t.Fatal(err)
	}
	periodLinks, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".periods")).display`))
	if err != nil {
		t.Fatal(err)
	}
	printPNG, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if printed.Overflow > 0 || periodLinks != "none" {
		t.Errorf("print layout: %d px too wide, period links display %q", printed.Overflow, periodLinks)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`console.error("rfmsync-probe"), true`)); err != nil {
		t.Fatal(err)
	}
	var problems []string
	for m, err := range messages {
		if err != nil {
			t.Fatalf("console: %v", err)
		}
		if strings.Contains(m.Text, "rfmsync-probe") {
			break
		}
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
			problems = append(problems, m.String())
		}
	}
	if len(problems) > 0 {
		t.Errorf("browser reported problems:\n%s", strings.Join(problems, "\n"))
	}
	dir := os.Getenv("TEST_ARTIFACTS")
	if dir == "" {
		dir = os.TempDir()
	}
	for name, img := range map[string][]byte{"rfmsync-dashboard-1280.png": png, "rfmsync-dashboard-phone.png": phonePNG, "rfmsync-dashboard-print.png": printPNG,
		"rfmsync-dashboard-phone-heatmap.png": phoneHeat} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, img, 0o644); err != nil {
			t.Errorf("screenshot: %v", err)
		}
		t.Logf("screenshot: %s (%d bytes)", path, len(img))
	}

	bins := last.Insight.Bins
	if len(facts.Cells) != bins*bins {
		t.Fatalf("heat map has %d cells, want %d×%d", len(facts.Cells), bins, bins)
	}
	attrSum, textSum := 0, 0
	seen := map[[2]string]bool{}
	mapSegs := map[string]bool{}
	for _, c := range facts.Cells {
		n, _ := strconv.Atoi(c["count"])
		attrSum += n
		seen[[2]string{c["r"], c["f"]}] = true
		if c["segment"] != "" {
			mapSegs[c["segment"]] = true
		}
	}
	for _, s := range facts.CellText {
		if n, err := strconv.Atoi(strings.ReplaceAll(s, ",", "")); err == nil {
			textSum += n
		}
	}
	if len(seen) != bins*bins || attrSum != last.Scored || textSum != last.Scored {
		t.Errorf("heat map: %d distinct cells, counts add to %d, shown numbers to %d; %d customers scored", len(seen), attrSum, textSum, last.Scored)
	}
	hasBox := map[string]bool{}
	for _, s := range facts.Boxes {
		hasBox[s] = true
	}
	for _, s := range append(facts.Regions, keys(mapSegs)...) {
		if !hasBox[s] {
			t.Errorf("segment %s is on the heat map but has no box plot (boxes: %v)", s, facts.Boxes)
		}
	}
	if len(facts.Regions) == 0 {
		t.Error("no segment region is labelled on the heat map")
	}
	var order []string
	for _, s := range last.Insight.Segments {
		order = append(order, s.ID)
	}
	if strings.Join(facts.TableSegs, ",") != strings.Join(order, ",") {
		t.Errorf("segment table rows %v, want rule order %v", facts.TableSegs, order)
	}
	if facts.Overflow > 0 || phone.Overflow > 0 {
		t.Errorf("page scrolls sideways: %d px at 1280, %d px on a 390 px phone", facts.Overflow, phone.Overflow)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
