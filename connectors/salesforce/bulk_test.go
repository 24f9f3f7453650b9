package salesforce

import (
	"context"
	"testing"
	"time"

	sf "github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
	"github.com/rfmsync/rfmsync/core/connector"
)

// TestBulkFirstBackfill: a first window of bulk_threshold rows or more is
// read through one Bulk query job, set by set; later pulls use REST from
// the window's end and see only what changed.
func TestBulkFirstBackfill(t *testing.T) {
	s := newFake(t, sf.Options{BulkMaxRecords: 250})
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	ids := seedOpps(s, acct, 600)
	s.Delete(ids[0])
	s.Advance(time.Minute)
	c := connect(t, s, map[string]any{"bulk_threshold": 500})
	recs, cur, _ := pull(t, c, SourceOpportunities, nil, s.Now())
	got := byID(t, recs)
	if len(got) != 600 || !got[ids[0]].Deleted || got[ids[1]].Status != "won" || got[ids[1]].Amount != "100.25" {
		t.Fatalf("bulk backfill: %d records, %+v", len(got), got[ids[1]])
	}
	if s.BulkJobs() != 1 || c.Calls()[KindBulk] < 4 {
		t.Errorf("bulk jobs %d, calls %v", s.BulkJobs(), c.Calls())
	}
	s.Update(ids[5], sf.F{"StageName": "Closed Lost"})
	s.Advance(time.Minute)
	again, _, _ := pull(t, c, SourceOpportunities, cur, s.Now())
	if len(again) != 1 || again[0].OrderID != ids[5] || s.BulkJobs() != 1 {
		t.Fatalf("after the backfill: %+v (jobs %d)", again, s.BulkJobs())
	}
}

// TestBulkResumesAfterCrash: the job id and locator are in the cursor; a
// new process goes on with the next results set of the same job.
func TestBulkResumesAfterCrash(t *testing.T) {
	s := newFake(t, sf.Options{BulkMaxRecords: 200})
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	seedOpps(s, acct, 500)
	s.Advance(time.Minute)
	c := connect(t, s, map[string]any{"bulk_threshold": 100})
	var recs []connector.Record
	var cur []byte
	for len(recs) == 0 {
		p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceOpportunities, Cursor: cur, Now: s.Now()})
		if err != nil || p.Done {
			t.Fatalf("page: done %t, %v", p.Done, err)
		}
		recs, cur = p.Records, p.Cursor
	}
	// The process dies here; the next one resumes from the committed cursor.
	rest, _, _ := pull(t, connect(t, s, map[string]any{"bulk_threshold": 100}), SourceOpportunities, cur, s.Now())
	if n := len(byID(t, append(recs, rest...))); n != 500 || s.BulkJobs() != 1 {
		t.Fatalf("resumed: %d of 500, %d jobs", n, s.BulkJobs())
	}
}

// TestBulkFailedJobFallsBackToREST: a job that ends Failed is given up and
// the window is read through REST queries.
func TestBulkFailedJobFallsBackToREST(t *testing.T) {
	s := newFake(t, sf.Options{})
	acct := s.Create(sf.Account, sf.F{"Name": "Acme"})
	seedOpps(s, acct, 300)
	s.Advance(time.Minute)
	s.FailNextBulkJob("InternalError: retry later")
	c := connect(t, s, map[string]any{"bulk_threshold": 100})
	recs, _, _ := pull(t, c, SourceOpportunities, nil, s.Now())
	if len(byID(t, recs)) != 300 || s.BulkJobs() != 1 {
		t.Fatalf("fallback: %d records, %d jobs", len(recs), s.BulkJobs())
	}
}

// TestBulkWrite: a batch at bulk_write_threshold goes through one ingest
// job; results sort records as Collections does, a cleared value is sent
// as #N/A (an empty cell would leave it unchanged), and a smaller batch
// uses Collections.
func TestBulkWrite(t *testing.T) {
	s := newFake(t, sf.Options{})
	c := ensured(t, s, map[string]any{"bulk_write_threshold": 250})
	if c.MaxBatch() != 250 {
		t.Fatalf("max batch %d", c.MaxBatch())
	}
	var ups []connector.Update
	for range 250 {
		id := s.Create(sf.Account, sf.F{"Name": "A", "RFM_Code__c": "111"})
		ups = append(ups, connector.Update{Key: connector.CustomerKey{Type: "Account", ID: id},
			Fields: map[string]string{"RFM_R__c": "5", "RFM_Segment__c": "champions", "RFM_Code__c": ""}})
	}
	s.LockRow(ups[1].Key.ID, 1)
	s.Delete(ups[2].Key.ID)
	res, err := c.WriteBatch(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Accepted) != 248 || len(res.RetryLater) != 1 || len(res.NotFound)+len(res.Rejected) != 1 || res.Calls < 6 {
		t.Fatalf("accepted %d, retry %v, not found %v, rejected %v, calls %d", len(res.Accepted), res.RetryLater, res.NotFound, res.Rejected, res.Calls)
	}
	if s.BulkJobs() != 1 || s.Value(ups[0].Key.ID, "RFM_Code__c") != nil || fakeText(s.Value(ups[0].Key.ID, "RFM_R__c")) != "5" {
		t.Errorf("jobs %d, code %v, r %v", s.BulkJobs(), s.Value(ups[0].Key.ID, "RFM_Code__c"), s.Value(ups[0].Key.ID, "RFM_R__c"))
	}
	res, err = c.WriteBatch(context.Background(), ups[3:10])
	if err != nil || len(res.Accepted) != 7 || s.BulkJobs() != 1 || res.Calls != 1 {
		t.Fatalf("small batch: %+v %v (jobs %d)", res, err, s.BulkJobs())
	}
}
