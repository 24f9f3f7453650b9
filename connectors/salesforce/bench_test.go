package salesforce

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	sf "github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// seedBook creates accounts and won opportunities spread evenly over them,
// closed over the last two years, and moves the clock past query_lag.
func seedBook(s *sf.Server, accounts, opps int) (acc, opp []string) {
	for i := range accounts {
		acc = append(acc, s.Create(sf.Account, sf.F{"Name": fmt.Sprintf("Account %d", i)}))
	}
	now := s.Now()
	for i := range opps {
		opp = append(opp, s.Create(sf.Opportunity, sf.F{"Name": "Deal", "AccountId": acc[i%accounts], "StageName": "Closed Won",
			"Amount": sf.Money(benchAmount(i, 0)), "CloseDate": sf.Date(now.Add(-time.Duration(1+i*7919%17000) * time.Hour).Format(sf.DateLayout))}))
	}
	s.Advance(time.Hour)
	return acc, opp
}

func benchAmount(i, plus int) string { return fmt.Sprintf("%d.%02d", 10+i*37%2000+plus, i%100) }

// BenchmarkPull measures records pulled per second from the fake org, no
// pacing (Salesforce limits by allocation, not rate): through REST query
// pages of 2,000 (nextRecordsUrl), and through one Bulk API 2.0 query job
// (CSV sets of 50,000), the path a first backfill of 50,000 rows takes.
//
//	go test ./connectors/salesforce -run '^$' -bench BenchmarkPull -benchtime 3x
func BenchmarkPull(b *testing.B) {
	const opps = 50_000
	s := newFake(b, sf.Options{DailyAPIRequests: -1})
	seedBook(s, 5_000, opps)
	for _, path := range []struct {
		name      string
		threshold int
	}{{"rest", 0}, {"bulk", opps}} {
		b.Run(path.name, func(b *testing.B) {
			var pages int
			for b.Loop() {
				c := connect(b, s, map[string]any{"bulk_threshold": path.threshold})
				var recs int
				var cur []byte
				for {
					p, err := c.ReadPage(context.Background(), connectorReq(cur, s.Now()))
					if err != nil {
						b.Fatal(err)
					}
					recs += len(p.Records)
					cur = p.Cursor
					pages++
					if p.Done {
						break
					}
				}
				if recs != opps {
					b.Fatalf("pulled %d of %d", recs, opps)
				}
			}
			b.ReportMetric(float64(opps*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(pages)/float64(b.N), "pages")
		})
	}
}

// BenchmarkSyncCalls counts API calls of a full first sync of 5,000
// accounts and 20,000 won opportunities through the real sync loop, of a
// sync after 1 % of the opportunities changed (on distinct accounts), and
// of a sync with no change, each next to the floor: ⌈changed rows/2,000⌉
// query pages + ⌈changed customers/200⌉ writes + the fixed calls (token,
// server time, describe). The repair pass is off (repair_every 0): its
// reads are a periodic scan, not the sync.
//
//	go test ./connectors/salesforce -run '^$' -bench BenchmarkSyncCalls -benchtime 1x
func BenchmarkSyncCalls(b *testing.B) {
	const accounts, opps = 5_000, 20_000
	const fixed = 3
	var first, second, third *syncloop.Report
	for b.Loop() {
		b.StopTimer()
		s := newFake(b, sf.Options{DailyAPIRequests: -1})
		c := connect(b, s, map[string]any{"permission_set": "RFM_Sync"})
		if _, err := c.EnsureFields(context.Background(), specs(rfmFields()), true); err != nil {
			b.Fatal(err)
		}
		_, ids := seedBook(s, accounts, opps)
		path := filepath.Join(b.TempDir(), "state.db")
		run := func() *syncloop.Report {
			return syncRun(b, s, connect(b, s, map[string]any{"repair_every": "0s"}), path)
		}
		b.StartTimer()
		first = run()
		b.StopTimer()
		for j := range opps / 100 {
			s.Update(ids[j], sf.F{"Amount": sf.Money(benchAmount(j, 25))})
		}
		s.Advance(time.Hour)
		second = run()
		s.Advance(time.Hour)
		third = run()
		b.StartTimer()
	}
	if first.Pulled[SourceOpportunities] != opps || first.Written != accounts {
		b.Fatalf("first sync pulled %d and wrote %d", first.Pulled[SourceOpportunities], first.Written)
	}
	report := func(prefix string, r *syncloop.Report, rows int) {
		b.ReportMetric(float64(sumCalls(r.APICalls)), prefix+"calls")
		// At least one query page: seeing that nothing changed takes one.
		b.ReportMetric(float64(max(1, ceilDiv(rows, MaxPageSize))+ceilDiv(r.Changed, MaxWriteBatch)+fixed), prefix+"floor")
		b.ReportMetric(float64(r.WriteCalls), prefix+"write_calls")
	}
	report("1st_", first, opps)
	report("2nd_", second, opps/100)
	report("3rd_", third, 0)
	if third.WriteCalls != 0 {
		b.Errorf("a run without changes made %d write calls", third.WriteCalls)
	}
}

func sumCalls(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// syncRun runs the real sync loop once over the state file at path.
func syncRun(tb testing.TB, s *sf.Server, c *Connector, path string) *syncloop.Report {
	tb.Helper()
	db, err := state.Open(path, state.Options{LockTimeout: time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rep, err := syncloop.Run(context.Background(), syncloop.Options{
		Connector: c, State: db, Params: rfm.DefaultParams(), WindowDays: syncWindowDays,
		Fields: outputs.Single(rfmFields()), PullFingerprint: "bench", ScoreFingerprint: "bench", Now: s.Now,
	})
	if err != nil {
		tb.Fatalf("sync: %v (report %+v)", err, rep)
	}
	return rep
}
