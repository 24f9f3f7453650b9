package hubspot

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// syncBench is one seeded portal with its connector and state file.
type syncBench struct {
	s      *hubspottest.Server
	c      *Connector
	deals  []string
	path   string
	fields map[string]string
}

// newSyncBench seeds a Professional-tier portal: contacts, and won deals
// over the last two years spread evenly over them (2 or 3 each), all
// modified an hour before the sync starts. The connector paces at the
// tier's 190 per 10 s and 4 searches/s, on the fake's clock.
func newSyncBench(b *testing.B, contacts, deals int) *syncBench {
	s := newFake(b, hubspottest.Options{BurstLimit: hubspottest.TierProfessional,
		DailyLimit: hubspottest.DailyProfessional, Seed: 1})
	w := &syncBench{s: s, path: filepath.Join(b.TempDir(), "state.db"), fields: rfmFields()}
	ensureFields(b, connect(b, s, nil), w.fields)
	cs := s.CreateMany(hubspottest.Contacts, contacts, func(i int) hubspottest.Props {
		return hubspottest.Props{"email": fmt.Sprintf("b%d@example.com", i)}
	})
	now := s.Now()
	w.deals = s.CreateMany(hubspottest.Deals, deals, func(i int) hubspottest.Props {
		return wonDeal(benchAmount(i, 0), now.Add(-time.Duration(1+i*7919%17000)*time.Hour))
	})
	for i, d := range w.deals {
		s.AssociateDealContact(d, cs[i%contacts])
	}
	s.Advance(time.Hour) // past search_lag, and every rate window empty
	w.c = connect(b, s, map[string]any{"limits": map[string]any{
		"ten_second": 190, "search_per_second": 4, "daily": hubspottest.DailyProfessional}})
	return w
}

// benchAmount is deal i's amount, raised by plus.
func benchAmount(i, plus int) string { return fmt.Sprintf("%d.%02d", 10+i*37%2000+plus, i%100) }

// syncResult is one run as measured.
type syncResult struct {
	rep        *syncloop.Report
	fake, wall time.Duration
}

func (w *syncBench) sync(b *testing.B) syncResult {
	fake0, wall0 := w.s.Now(), time.Now()
	rep := syncOnce(b, w.s, w.c, w.path, w.fields)
	return syncResult{rep: rep, fake: w.s.Now().Sub(fake0), wall: time.Since(wall0)}
}

// ceiling is the least HubSpot time the calls of a run can take at the
// Professional tier. Per the contract (§6) search has its own limit of 5/s
// and is not counted in the ten-second burst (the fake, like HubSpot for
// public apps, exempts it; the connector paces it in its own bucket), and
// v4 association reads have their own 100 per 10 s on top of the burst
// limit the connector also paces them by (§3.2). Every other call shares
// the burst limit of 190 per 10 s: the first pull's list calls, deletion
// scans, batch reads and writes alike. Separate budgets can be spent at the
// same time, so the ceiling is the largest of them, not the sum.
func ceiling(calls map[string]int64) float64 {
	var nonSearch int64
	for k, n := range calls {
		if k != KindSearch && k != KindToken {
			nonSearch += n
		}
	}
	return max(rolling(nonSearch, hubspottest.TierProfessional, 10), rolling(calls[KindSearch], 5, 1),
		rolling(calls[KindAssociations], 100, 10))
}

// rolling is the least time, in seconds, n calls take under a rolling
// window of limit calls per per seconds: the first limit calls go at once,
// then each further limit calls wait one more window.
func rolling(n int64, limit int, per float64) float64 {
	if n == 0 {
		return 0
	}
	return float64(ceilDiv(int(n), limit)-1) * per
}

// BenchmarkFirstSync100kContacts measures one full first sync of 100,000
// contacts and 250,000 deals through the real sync loop (real state file,
// every output mapped but recency_days), then an incremental sync after 1%
// of the deals changed. Pacing waits advance the fake's clock, so fake_s is
// the HubSpot time the run needs at the limits, next to ceiling_s, the
// least the tier allows for the calls made; wall_s is this machine's time.
//
//	go test ./connectors/hubspot -run '^$' -bench BenchmarkFirstSync100kContacts -benchtime 1x
func BenchmarkFirstSync100kContacts(b *testing.B) {
	const contacts, deals = 100_000, 250_000
	var first, second syncResult
	var w *syncBench
	for b.Loop() {
		b.StopTimer()
		w = newSyncBench(b, contacts, deals)
		b.StartTimer()
		first = w.sync(b)
		b.StopTimer()
		changed := deals / 100
		for j := range changed {
			// 99·j mod 100,000 is distinct for every j, so 2,500 customers
			// see one amount corrected upwards by 25.
			w.s.Update(hubspottest.Deals, w.deals[99*j], hubspottest.Props{"amount": benchAmount(99*j, 25)})
		}
		w.s.Advance(time.Hour)
		second = w.sync(b)
		b.StartTimer()
	}
	r := first.rep
	if r.Pulled[SourceDeals] != deals || r.Written != contacts {
		b.Fatalf("first sync pulled %d deals and wrote %d customers, want %d and %d", r.Pulled[SourceDeals], r.Written, deals, contacts)
	}
	if st := w.c.Stats(); st.RateLimited != 0 {
		b.Errorf("pacing let %d 429s through", st.RateLimited)
	}
	b.ReportMetric(first.fake.Seconds(), "fake_s")
	b.ReportMetric(ceiling(r.APICalls), "ceiling_s")
	b.ReportMetric(first.wall.Seconds(), "wall_s")
	for _, k := range []string{KindSearch, KindAssociations, KindBatchUpdate, KindRead, KindList, KindProperties, KindOther, KindToken} {
		if r.APICalls[k] > 0 || k == KindRead {
			b.ReportMetric(float64(r.APICalls[k]), k+"_calls")
		}
	}
	b.ReportMetric(float64(r.WriteCalls), "write_calls")
	b.ReportMetric(float64(ceilDiv(r.Changed, MaxBatch)), "write_floor")
	r2 := second.rep
	b.ReportMetric(second.fake.Seconds(), "2nd_fake_s")
	b.ReportMetric(float64(r2.Changed), "2nd_changed_customers")
	b.ReportMetric(float64(r2.WriteCalls), "2nd_write_calls")
	b.ReportMetric(float64(ceilDiv(r2.Changed, MaxBatch)), "2nd_write_floor")
	b.ReportMetric(float64(sum(r2.APICalls)), "2nd_calls")
}
