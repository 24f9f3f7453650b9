package salesforcetest

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkQueryAllPaging reads 20,000 opportunities with their contact
// roles through queryAll and nextRecordsUrl, the connector's first pull:
// the fake must not be what a pull-rate measurement measures.
func BenchmarkQueryAllPaging(b *testing.B) {
	s := New(Options{DailyAPIRequests: -1})
	defer s.Close()
	org := s.SeedOrg(OrgSpec{Accounts: 2000, ContactsPerAccount: 2, Opportunities: 20_000, Seed: 1})
	s.Advance(time.Hour)
	s.AddSession("bench")
	q := fmt.Sprintf("SELECT Id, AccountId, Amount, CloseDate, IsWon, IsClosed, SystemModstamp, IsDeleted, "+
		"(SELECT ContactId, IsPrimary FROM OpportunityContactRoles) FROM Opportunity "+
		"WHERE SystemModstamp <= %s ORDER BY SystemModstamp ASC, Id ASC", s.Now().Format(time.RFC3339))
	b.ResetTimer()
	for range b.N {
		rows := 0
		r := runQuery(b, s, "bench", "queryAll", q, nil)
		for {
			var res queryResult
			r.decode(b, &res)
			rows += len(res.Records)
			if res.Done {
				break
			}
			r = get(b, s, "bench", *res.NextRecordsURL)
		}
		if rows != len(org.Opportunities) {
			b.Fatalf("%d rows, want %d", rows, len(org.Opportunities))
		}
	}
	b.ReportMetric(float64(len(org.Opportunities)*b.N)/b.Elapsed().Seconds(), "records/s")
}
