package insight

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/rfm"
)

func money(t *testing.T, s string) rfm.Money {
	t.Helper()
	m, err := rfm.ParseAmount(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// customer builds an aggregate with freq orders, the last one days before asof.
func customer(key string, freq int64, days int64, amount rfm.Money, asof rfm.Instant) rfm.Customer {
	last := asof - rfm.Instant(days*rfm.DaySeconds*1_000_000)
	return rfm.Customer{Key: key, Agg: rfm.Aggregate{Frequency: freq, Orders: freq, Last: last, First: last, Monetary: amount}}
}

func TestSegmentFiguresAreExactAndInRuleOrder(t *testing.T) {
	p := rfm.DefaultParams()
	seg := func(id string) rfm.Segment {
		for _, r := range p.Segments.Rules() {
			if r.ID == id {
				return r.Segment
			}
		}
		t.Fatalf("no segment %s", id)
		return rfm.Segment{}
	}
	scores := []rfm.Score{
		{Key: "a", Frequency: 2, RecencyDays: 10, Monetary: money(t, "10.10"), R: 5, F: 5, M: 5, Segment: seg("at_risk")},
		{Key: "b", Frequency: 1, RecencyDays: 30, Monetary: money(t, "20.20"), R: 1, F: 1, M: 1, Segment: seg("at_risk")},
		{Key: "c", Frequency: 3, RecencyDays: 3, Monetary: money(t, "0.01"), R: 5, F: 5, M: 5, Segment: seg("at_risk")},
		{Key: "d", Frequency: 1, RecencyDays: 7, Monetary: money(t, "69.69"), R: 5, F: 1, M: 5, Segment: seg("champions")},
	}
	in := Summarize(scores, p, Options{})
	if len(in.Segments) != len(p.Segments.Rules()) {
		t.Fatalf("%d segments, want every rule's", len(in.Segments))
	}
	for i, r := range p.Segments.Rules() {
		if in.Segments[i].ID != r.ID || in.Segments[i].Label != r.Label {
			t.Errorf("segment %d is %s/%s, want %s/%s (rule order, labels)", i, in.Segments[i].ID, in.Segments[i].Label, r.ID, r.Label)
		}
	}
	risk, _ := in.Lookup("at_risk")
	if risk.Customers != 3 || risk.Orders != 6 || risk.Revenue.String() != "30.310000" {
		t.Errorf("at risk: %d customers, %d orders, revenue %s", risk.Customers, risk.Orders, risk.Revenue)
	}
	if risk.AOV.Round2() != "5.05" { // 30.31 / 6 = 5.0516…
		t.Errorf("AOV %s, want 5.05", risk.AOV.Round2())
	}
	if risk.MedianRecencyDays != 10 {
		t.Errorf("median recency %v, want 10", risk.MedianRecencyDays)
	}
	if b := risk.Monetary; b == nil || b.Min.Round2() != "0.01" || b.Median.Round2() != "10.10" || b.Max.Round2() != "20.20" {
		t.Errorf("box %+v", b)
	}
	if in.Revenue.String() != "100.000000" || risk.RevenueShare < 0.3030 || risk.RevenueShare > 0.3032 {
		t.Errorf("revenue %s, at-risk share %v", in.Revenue, risk.RevenueShare)
	}
	if risk.Rule != "R 1-2, FM 3-4" {
		t.Errorf("rule text %q", risk.Rule)
	}
	if lost, _ := in.Lookup("lost"); lost.Customers != 0 || lost.Monetary != nil {
		t.Errorf("empty segment has figures: %+v", lost)
	}
}

func TestHeatMapCellsCoverEveryCustomer(t *testing.T) {
	asof := rfm.InstantOf(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	var cs []rfm.Customer
	for i := range 500 {
		cs = append(cs, customer(itoa(int64(i)), int64(1+i%13), int64(i*7%700), rfm.MoneyFromInt(int64(i*37%1000)), asof))
	}
	p := rfm.DefaultParams()
	scores := rfm.ScoreAll(cs, asof, p)
	in := Summarize(scores, p, Options{WindowDays: 730})
	if len(in.RF) != p.Bins*p.Bins {
		t.Fatalf("%d cells, want %d", len(in.RF), p.Bins*p.Bins)
	}
	sum := 0
	for _, c := range in.RF {
		sum += c.Count
		split := 0
		for _, s := range c.Split {
			split += s.N
		}
		if split != c.Count || (c.Count > 0) != (c.Segment != "") {
			t.Errorf("cell R%d F%d: count %d, split %d, segment %q", c.R, c.F, c.Count, split, c.Segment)
		}
	}
	if sum != len(scores) {
		t.Errorf("cells hold %d customers, %d scored", sum, len(scores))
	}
	total := 0
	for _, b := range in.Recency.Buckets {
		total += b.Count
	}
	if last := in.Recency.Buckets[len(in.Recency.Buckets)-1]; last.Hi != 729 {
		t.Errorf("the last recency bar ends at %d days, want the window's 729", last.Hi)
	}
	if total != len(scores) || len(in.Recency.Buckets) > maxRecencyBars {
		t.Errorf("recency histogram: %d customers in %d bars", total, len(in.Recency.Buckets))
	}
}

func TestEmptyQuantileScoreIsExplained(t *testing.T) {
	asof := rfm.InstantOf(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	var cs []rfm.Customer
	// 6 of 10 customers have one order: they all rank 1 and score F 1; the
	// next value ranks 7 and scores 1 + floor(5·6/10) = 4, so F 2 and 3 are empty.
	for i, f := range []int64{1, 1, 1, 1, 1, 1, 2, 2, 3, 3} {
		cs = append(cs, customer(itoa(int64(i)), f, int64(i), rfm.MoneyFromInt(int64(10+i)), asof))
	}
	p := rfm.DefaultParams()
	in := Summarize(rfm.ScoreAll(cs, asof, p), p, Options{})
	f := in.Scales[1]
	if f.Metric != rfm.Frequency || f.Method != rfm.Quantile {
		t.Fatalf("scale 1 is %s/%s", f.Metric, f.Method)
	}
	if f.Scores[0].Customers != 6 || f.Scores[1].Customers != 0 || f.Scores[2].Customers != 0 || f.Scores[3].Lo != "2 orders" {
		t.Errorf("F ranges %+v", f.Scores)
	}
	if len(f.Notes) != 2 || !strings.Contains(f.Notes[0], "F 2 is empty: 6 customers (60%) have 1 order") ||
		!strings.Contains(f.Notes[0], "the next value (2 orders) starts at F 4") || !strings.HasPrefix(f.Notes[1], "F 3 is empty") {
		t.Errorf("notes %q", f.Notes)
	}
	if len(in.Scales[2].Notes) != 0 {
		t.Errorf("M has no empty score but notes %q", in.Scales[2].Notes)
	}
}

func TestThresholdScalesShowCutsAndEmptyRanges(t *testing.T) {
	asof := rfm.InstantOf(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	p := rfm.DefaultParams()
	cuts := func(v ...int64) []rfm.Money {
		var out []rfm.Money
		for _, x := range v {
			out = append(out, rfm.MoneyFromInt(x))
		}
		return out
	}
	p.R = rfm.Scale{Method: rfm.Threshold, Cuts: cuts(30, 90, 180, 365)}
	p.F = rfm.Scale{Method: rfm.Threshold, Cuts: cuts(1, 2, 5, 10)}
	var cs []rfm.Customer
	for i, f := range []int64{1, 1, 3, 4, 20} { // nobody has exactly 2 orders (F 2) or 6..10 (F 4)
		cs = append(cs, customer(itoa(int64(i)), f, int64(10+i*100), rfm.MoneyFromInt(5), asof))
	}
	when := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	in := Summarize(rfm.ScoreAll(cs, asof, p), p, Options{Recalibrated: map[rfm.Metric]time.Time{rfm.Frequency: when}})
	f := in.Scales[1]
	if strings.Join(f.Cuts, " ") != "1 2 5 10" || f.Recalibrated == nil || !f.Recalibrated.Equal(when) {
		t.Errorf("F cuts %v recalibrated %v", f.Cuts, f.Recalibrated)
	}
	want := []string{"F 2 is empty: no customer's orders in the window falls between its cuts (over 1 order and at most 2 orders).",
		"F 4 is empty: no customer's orders in the window falls between its cuts (over 5 orders and at most 10 orders)."}
	if strings.Join(f.Notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes\n%s\nwant\n%s", strings.Join(f.Notes, "\n"), strings.Join(want, "\n"))
	}
	r := in.Scales[0]
	// Recency days 10, 110, 210, 310, 410: R 5 (<30), R 3 (90..179), R 2 ×2 (180..364), R 1 (≥365); R 4 is empty.
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "R 4 is empty") || !strings.Contains(r.Notes[0], "from 30 days to under 90 days") {
		t.Errorf("R notes %q", r.Notes)
	}
	if in.Scales[2].Recalibrated != nil || in.Scales[2].Cuts != nil {
		t.Errorf("quantile M shows cuts")
	}
}

func TestFrequencyHistogramHasALongTail(t *testing.T) {
	var scores []rfm.Score
	for i := int64(1); i <= 100; i++ {
		scores = append(scores, rfm.Score{Frequency: i})
	}
	h := frequencyHistogram(scores)
	// p95 = 95 orders, capped at 30 bars: 1..29 and "30+".
	last := h.Buckets[len(h.Buckets)-1]
	if len(h.Buckets) != maxFrequencyBars || last.Label != "30+" || last.Count != 71 || last.Hi != -1 || h.Buckets[0].Count != 1 {
		t.Errorf("%d bars, last %+v", len(h.Buckets), last)
	}
	h = frequencyHistogram([]rfm.Score{{Frequency: 1}, {Frequency: 1}, {Frequency: 3}})
	if len(h.Buckets) != 3 || h.Buckets[0].Count != 2 || h.Buckets[1].Count != 0 || h.Buckets[2].Count != 1 {
		t.Errorf("short histogram %+v", h.Buckets)
	}
}

func TestMoveMatrix(t *testing.T) {
	segs := []Segment{{ID: "champions", Label: "Champions"}, {ID: "at_risk", Label: "At Risk"}, {ID: "lost", Label: "Lost"}}
	moves := SumMoves(
		map[string]int{"champions → at_risk": 3, "(none) → champions": 5, "at_risk → (inactive)": 1},
		map[string]int{"champions → at_risk": 2, "retired → lost": 1},
	)
	m := MoveMatrix(moves, segs)
	ids := func(refs []Ref) string {
		var s []string
		for _, r := range refs {
			s = append(s, r.Label)
		}
		return strings.Join(s, ",")
	}
	if ids(m.Rows) != "(new),Champions,At Risk,retired" || ids(m.Cols) != "Champions,At Risk,Lost,(inactive)" {
		t.Fatalf("rows %s cols %s", ids(m.Rows), ids(m.Cols))
	}
	if m.Counts[1][1] != 5 || m.Counts[0][0] != 5 || m.Total != 12 {
		t.Errorf("counts %v total %d", m.Counts, m.Total)
	}
	var b bytes.Buffer
	PrintMoves(&b, m)
	if !strings.Contains(b.String(), "Champions     5 → At Risk 5") {
		t.Errorf("printed:\n%s", b.String())
	}
}

func TestMoneyFormatting(t *testing.T) {
	for _, c := range []struct {
		amount string
		n      int64
		want   string
	}{{"10", 3, "3.33"}, {"20", 3, "6.67"}, {"-5", 2, "-2.50"}, {"0.005", 1, "0.01"}, {"-0.005", 1, "-0.01"}, {"7", 0, "0.00"}} {
		if got := DivRound2(money(t, c.amount), c.n).Round2(); got != c.want {
			t.Errorf("%s / %d = %s, want %s", c.amount, c.n, got, c.want)
		}
	}
	for in, want := range map[string]string{"1234567.891": "1,234,567.89", "-1000": "-1,000.00", "999.995": "1,000.00", "0.004": "0.00"} {
		if got := FormatMoney(money(t, in)); got != want {
			t.Errorf("FormatMoney(%s) = %s, want %s", in, got, want)
		}
	}
	if FormatCount(1976) != "1,976" || FormatCount(100) != "100" {
		t.Error("FormatCount")
	}
}
