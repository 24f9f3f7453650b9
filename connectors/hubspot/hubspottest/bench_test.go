package hubspottest

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// seedDeals stores n closed-won deals sharing one modified timestamp, the
// worst case for timestamp windowing.
func seedDeals(s *Server, n int) (ids []string, stamp time.Time) {
	stamp = time.Date(2024, 5, 31, 0, 0, 0, 0, time.UTC)
	ids = s.CreateMany(Deals, n, func(i int) Props {
		return Props{"dealstage": "closedwon", "amount": strconv.Itoa(i%5000) + ".00",
			"closedate": stamp, "hs_lastmodifieddate": stamp}
	})
	return ids, stamp
}

// keysetWalk pages through every deal with the keyset pattern of §2.2 and
// returns how many records and requests it took.
func keysetWalk(tb testing.TB, s *Server, stamp time.Time) (records, requests int) {
	last := "0"
	for {
		requests++
		r := postTB(tb, s, "/crm/v3/objects/deals/search", searchBody{
			"filterGroups": groups([]map[string]any{
				f("hs_lastmodifieddate", "GTE", strconv.FormatInt(stamp.UnixMilli(), 10)),
				f("hs_is_closed_won", "EQ", "true"),
				f("hs_object_id", "GT", last),
			}),
			"sorts":      []map[string]string{{"propertyName": "hs_object_id", "direction": "ASCENDING"}},
			"properties": []string{"amount", "amount_in_home_currency", "closedate", "dealstage", "pipeline", "hs_is_closed_won"},
			"limit":      200,
		})
		var res searchResult
		if err := jsonUnmarshal(r.body, &res); err != nil || r.status != http.StatusOK {
			tb.Fatalf("status %d: %s", r.status, r.body)
		}
		records += len(res.Results)
		if res.Paging == nil {
			return records, requests
		}
		last = res.Results[len(res.Results)-1].ID
	}
}

// TestKeysetSearchOverManyDeals is the scale check: every deal is reached
// through search despite the 10,000 cap and identical timestamps. It uses
// 100k deals normally and 20k under -short.
func TestKeysetSearchOverManyDeals(t *testing.T) {
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 20_000
	}
	s := newServer(t, noLimits(Options{}))
	start := time.Now()
	_, stamp := seedDeals(s, n)
	seeded := time.Since(start)
	start = time.Now()
	records, requests := keysetWalk(t, s, stamp)
	if records != n || requests != n/200 {
		t.Errorf("walk returned %d records in %d requests, want %d in %d", records, requests, n, n/200)
	}
	t.Logf("%d deals: seeded in %v, walked in %v (%d requests)", n, seeded, time.Since(start), requests)
}

func BenchmarkKeysetWalk100k(b *testing.B) {
	s := New(noLimits(Options{}))
	defer s.Close()
	_, stamp := seedDeals(s, 100_000)
	b.ResetTimer()
	for b.Loop() {
		if records, _ := keysetWalk(b, s, stamp); records != 100_000 {
			b.Fatalf("records %d", records)
		}
	}
}

func BenchmarkOffsetPage100k(b *testing.B) {
	s := New(noLimits(Options{}))
	defer s.Close()
	seedDeals(s, 100_000)
	body := searchBody{"sorts": []string{"-amount"}, "limit": 200, "after": "9800"}
	b.ResetTimer()
	for b.Loop() {
		if r := postTB(b, s, "/crm/v3/objects/deals/search", body); r.status != http.StatusOK {
			b.Fatalf("status %d", r.status)
		}
	}
}

func BenchmarkSeed100k(b *testing.B) {
	for b.Loop() {
		s := New(Options{})
		seedDeals(s, 100_000)
		s.Close()
	}
}
