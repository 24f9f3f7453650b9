package vtenext

import (
	"fmt"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/vtenext/vtenexttest"
)

// BenchmarkPull measures records pulled per second against the fake,
// unpaced: 20,000 sales orders in pages of 500 (the contract's maximum).
func BenchmarkPull(b *testing.B) {
	s, url := newFake(b, vtenexttest.Options{})
	acc := s.Create(vtenexttest.Accounts, map[string]string{"accountname": "A"})
	const n = 20_000
	for i := 0; i < n; i++ {
		order(s, acc, "Delivered", fmt.Sprintf("%d.50", 10+i%900), "1")
		if i%100 == 0 {
			s.Advance(time.Second) // modifiedtime ties of up to 100 rows
		}
	}
	s.Advance(time.Hour)
	o := options(b, s, url, map[string]any{"page_size": MaxPageSize})
	o.hooks.unpaced = true
	c := build(b, o, nil)
	b.ResetTimer()
	start := time.Now()
	total := 0
	for b.Loop() {
		recs, _ := readAll(b, c, SourceSalesOrder, nil, s.Now())
		if len(recs) != n {
			b.Fatalf("pulled %d of %d", len(recs), n)
		}
		total += len(recs)
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkWrite10k writes 10,000 changed customers through a whole sync
// at the default write rate (5/s) and reports the time it takes on the
// fake's clock, with one session and with four, for saves that take no
// time and for saves of 300 ms (a busy instance: workflows, audit).
func BenchmarkWrite10k(b *testing.B) {
	for _, c := range []struct {
		sessions int
		latency  time.Duration
	}{{1, 0}, {4, 0}, {1, 300 * time.Millisecond}, {4, 300 * time.Millisecond}} {
		b.Run(fmt.Sprintf("sessions=%d/save=%v", c.sessions, c.latency), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				w := newSyncWorld(b, 1, 1, map[string]any{"write_concurrency": c.sessions, "write_batch": 100, "page_size": 500})
				w.latency = c.latency
				// Exactly 10,000 more customers with two orders each: all change.
				for i := 0; i < 10_000; i++ {
					acc := w.s.Create(vtenexttest.Accounts, map[string]string{"accountname": fmt.Sprintf("B%d", i)})
					for j := 0; j < 2; j++ {
						id := order(w.s, acc, "Delivered", fmt.Sprintf("%d.00", 10+(i*7+j)%500), "1")
						w.s.SetRaw(id, map[string]string{"createdtime": w.s.Wall(w.s.Now().Add(-time.Duration(1+(i*13+j*5)%9000) * time.Hour))})
					}
				}
				w.s.Advance(time.Hour)
				b.StartTimer()
				start := w.s.Now()
				rep := w.sync(b)
				fake := w.s.Now().Sub(start)
				if rep.Changed < 10_000 || rep.WriteCalls != rep.Changed {
					b.Fatalf("%d changed, %d write calls", rep.Changed, rep.WriteCalls)
				}
				b.ReportMetric(fake.Seconds(), "fake-s")
				b.ReportMetric(float64(rep.WriteCalls)/float64(rep.Changed), "calls/customer")
				b.ReportMetric(float64(rep.Changed), "customers")
			}
		})
	}
}
