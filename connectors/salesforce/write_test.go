package salesforce

import (
	"context"
	"strings"
	"testing"

	sf "github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
	"github.com/rfmsync/rfmsync/core/connector"
)

// ensured returns a connector whose org has the RFM fields, created and
// granted by fields ensure.
func ensured(t *testing.T, s *sf.Server, section map[string]any) *Connector {
	t.Helper()
	if section == nil {
		section = map[string]any{}
	}
	section["permission_set"] = "RFM_Sync"
	c := connect(t, s, section)
	if _, err := c.EnsureFields(context.Background(), specs(rfmFields()), true); err != nil {
		t.Fatalf("fields ensure: %v", err)
	}
	return c
}

// TestWriteBuckets: one Collections call sorts every record by its result
// index: accepted, locked (retry later), deleted and merged (not found),
// refused by a validation rule (rejected); numbers go as JSON numbers and
// "" clears.
func TestWriteBuckets(t *testing.T) {
	s := newFake(t, sf.Options{})
	c := ensured(t, s, nil)
	var keys []connector.CustomerKey
	for range 5 {
		keys = append(keys, connector.CustomerKey{Type: "Account", ID: s.Create(sf.Account, sf.F{"Name": "A"})})
	}
	s.LockRow(keys[1].ID, 1)
	s.Delete(keys[2].ID)
	s.Merge(keys[0].ID, keys[3].ID)
	s.SetValidation(func(_, id string, _ map[string]any) *sf.RecordError {
		if id == keys[4].ID {
			return &sf.RecordError{StatusCode: "FIELD_CUSTOM_VALIDATION_EXCEPTION", Message: "no"}
		}
		return nil
	})
	var ups []connector.Update
	for _, k := range keys {
		ups = append(ups, connector.Update{Key: k, Fields: map[string]string{"RFM_R__c": "5", "RFM_Segment__c": "champions", "RFM_Code__c": ""}})
	}
	before := s.WriteCalls()
	res, err := c.WriteBatch(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Accepted) != 1 || res.Accepted[0] != keys[0] || len(res.RetryLater) != 1 || res.RetryLater[keys[1]] == "" ||
		len(res.NotFound) != 2 || len(res.Rejected) != 1 || res.Rejected[keys[4]] == "" || res.Calls != 1 {
		t.Fatalf("result %+v", res)
	}
	if s.WriteCalls()-before != 1 {
		t.Errorf("%d write calls", s.WriteCalls()-before)
	}
	if v := s.Value(keys[0].ID, "RFM_R__c"); fakeText(v) != "5" {
		t.Errorf("RFM_R__c = %v (%T)", v, v)
	}
	// The locked row lands on the next try.
	res, err = c.WriteBatch(context.Background(), ups[1:2])
	if err != nil || len(res.Accepted) != 1 {
		t.Fatalf("retry: %+v %v", res, err)
	}
}

// TestWriteMissingFieldNamesIt: a field that is not there (or hidden)
// stops the run with an error naming it and pointing to fields ensure.
func TestWriteMissingFieldNamesIt(t *testing.T) {
	s := newFake(t, sf.Options{})
	c := connect(t, s, nil)
	k := connector.CustomerKey{Type: "Account", ID: s.Create(sf.Account, sf.F{"Name": "A"})}
	_, err := c.WriteBatch(context.Background(), []connector.Update{{Key: k, Fields: map[string]string{"RFM_R__c": "5"}}})
	if err == nil || !strings.Contains(err.Error(), "RFM_R__c") || !strings.Contains(err.Error(), "fields ensure") {
		t.Fatalf("error %v", err)
	}
}

// TestWriteRefusesOversizedBatch: more than write_batch is a programming
// error, refused before any call.
func TestWriteRefusesOversizedBatch(t *testing.T) {
	s := newFake(t, sf.Options{})
	c := connect(t, s, map[string]any{"write_batch": 2})
	ups := make([]connector.Update, 3)
	for i := range ups {
		ups[i] = connector.Update{Key: connector.CustomerKey{Type: "Account", ID: "001000000000001AAA"}}
	}
	if _, err := c.WriteBatch(context.Background(), ups); err == nil {
		t.Fatal("a batch over write_batch was sent")
	}
	if c.WriteCalls(401) != 201 {
		t.Errorf("WriteCalls(401) = %d with write_batch 2", c.WriteCalls(401))
	}
}

// TestRepairReadsBack: ReadFields returns stored values as text and omits
// deleted records.
func TestRepairReadsBack(t *testing.T) {
	s := newFake(t, sf.Options{})
	c := ensured(t, s, nil)
	a := connector.CustomerKey{Type: "Account", ID: s.Create(sf.Account, sf.F{"Name": "A"})}
	b := connector.CustomerKey{Type: "Account", ID: s.Create(sf.Account, sf.F{"Name": "B"})}
	if _, err := c.WriteBatch(context.Background(), []connector.Update{{Key: a, Fields: map[string]string{"RFM_R__c": "4", "RFM_Segment__c": "at_risk"}}}); err != nil {
		t.Fatal(err)
	}
	s.Delete(b.ID)
	got, err := c.ReadFields(context.Background(), []connector.CustomerKey{a, b}, []string{"RFM_R__c", "RFM_Segment__c", "RFM_Code__c"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[a]["RFM_Segment__c"] != "at_risk" || got[a]["RFM_Code__c"] != "" || !strings.HasPrefix(got[a]["RFM_R__c"], "4") {
		t.Fatalf("read back %+v", got)
	}
}
