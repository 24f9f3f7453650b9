package hubspot

import (
	"fmt"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
)

// seedPortal creates deals won over the last two years, each associated
// with one of deals/10 contacts, all modified an hour before now.
func seedPortal(s *hubspottest.Server, deals int) []string {
	now := s.Now()
	contacts := s.CreateMany(hubspottest.Contacts, max(1, deals/10), func(i int) hubspottest.Props {
		return hubspottest.Props{"email": fmt.Sprintf("p%d@example.com", i)}
	})
	ids := s.CreateMany(hubspottest.Deals, deals, func(i int) hubspottest.Props {
		return wonDeal(fmt.Sprintf("%d.%02d", 10+i%900, i%100), now.Add(-time.Duration(1+i%17000)*time.Hour))
	})
	for i, id := range ids {
		s.AssociateDealContact(id, contacts[i%len(contacts)])
	}
	s.Advance(time.Hour)
	return ids
}

// ceilDiv is ⌈a/b⌉.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// TestPullCallBudget measures the API calls of a full pull and of an
// incremental pull after 1% of the deals changed, against the floor.
//
// A first pull lists the source (first_pull: list): one list call per 100
// deals, HubSpot's list page cap, and no association read, because each
// deal's associations come inline; only a deal with 100 or more inline
// associations, or a label whose primary-ness the inline form does not tell,
// costs a v4 read, none of which this portal has. The search phase that
// follows the list costs nothing here: the pull's horizon (now − search_lag)
// is not past the list's start minus search_lag, so its window is empty.
// An incremental pull costs one search per 200 changed deals and one
// association read per 1,000.
//
// A real run adds fixed calls: a token refresh per run with OAuth, a
// deletion scan (⌈archived/100⌉ list calls) when due, and an association
// rescan (⌈held/1,000⌉ reads) when due. Pacing runs on the fake clock, so
// the fake's real limits apply and no 429 may occur.
func TestPullCallBudget(t *testing.T) {
	const n = 20_000
	s := newFake(t, hubspottest.Options{SearchLag: 30 * time.Second})
	ids := seedPortal(s, n)
	c := connect(t, s, nil)

	start, fakeStart := time.Now(), s.Now()
	recs, cur, _ := pull(t, c, SourceDeals, nil, s.Now())
	wall, paced := time.Since(start), s.Now().Sub(fakeStart)
	if len(byID(t, recs)) != n {
		t.Fatalf("full pull read %d deals", len(recs))
	}
	full := c.Calls()
	floor := ceilDiv(n, MaxListPageSize)
	t.Logf("full pull of %d deals: %d calls (%v), floor %d; %v wall clock, %v of HubSpot time at the paced rate",
		n, sum(full), full, floor, wall.Round(time.Millisecond), paced.Round(time.Second))
	if sum(full) != int64(floor) || full[KindList] != int64(floor) {
		t.Errorf("full pull made %d calls (%v), floor %d list calls", sum(full), full, floor)
	}

	changed := n / 100
	for _, id := range ids[:changed] {
		s.Update(hubspottest.Deals, id, hubspottest.Props{"amount": "1.00"})
	}
	s.Advance(time.Hour)
	before := c.Calls()
	recs, _, _ = pull(t, c, SourceDeals, cur, s.Now())
	if len(recs) != changed {
		t.Fatalf("incremental pull read %d deals, want %d", len(recs), changed)
	}
	inc := sum(c.Calls()) - sum(before)
	floor = ceilDiv(changed, MaxPageSize) + ceilDiv(changed, MaxReadBatch)
	t.Logf("incremental pull after %d changes: %d calls, floor %d", changed, inc, floor)
	if inc != int64(floor) {
		t.Errorf("incremental pull made %d calls, floor %d", inc, floor)
	}
	if st := c.Stats(); st.RateLimited != 0 || st.Retries != 0 {
		t.Errorf("pacing let %d 429s through (%d retries)", st.RateLimited, st.Retries)
	}
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// BenchmarkPullDeals measures the connector's own speed: a full pull of
// 20,000 deals with their associations from an in-process fake with limits
// and pacing off.
func BenchmarkPullDeals(b *testing.B) {
	const n = 20_000
	s := hubspottest.New(noLimits(hubspottest.Options{}))
	defer s.Close()
	seedPortal(s, n)
	o := connectOpts(b, s, s.URL(), nil)
	o.hooks.unpaced = true
	c := build(b, o, nil)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if recs, _, _ := pull(b, c, SourceDeals, nil, s.Now()); len(recs) != n {
			b.Fatalf("read %d deals", len(recs))
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "deals/s")
	b.ReportMetric(float64(sum(c.Calls()))/float64(b.N), "calls/op")
}
