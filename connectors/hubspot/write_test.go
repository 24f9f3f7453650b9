package hubspot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
)

// writeFixture is a fake with n contacts and the RFM test properties.
func writeFixture(t *testing.T, n int) (*hubspottest.Server, []connector.CustomerKey) {
	s := newFake(t, hubspottest.Options{Seed: 7})
	s.DefineGroup(hubspottest.Contacts, hubspottest.PropertyGroup{Name: "rfm", Label: "RFM"})
	s.DefineProperty(hubspottest.Contacts, hubspottest.Property{Name: "rfm_code", Label: "RFM code", Type: "string", FieldType: "text", GroupName: "rfm"})
	s.DefineProperty(hubspottest.Contacts, hubspottest.Property{Name: "rfm_monetary", Label: "RFM monetary", Type: "number", FieldType: "number", GroupName: "rfm"})
	s.DefineProperty(hubspottest.Contacts, hubspottest.Property{Name: "rfm_segment", Label: "RFM segment", Type: "enumeration", FieldType: "select", GroupName: "rfm",
		Options: []hubspottest.Option{{Label: "Champions", Value: "champions"}, {Label: "Lost", Value: "lost"}}})
	keys := make([]connector.CustomerKey, n)
	for i := range keys {
		keys[i] = connector.CustomerKey{Type: "contacts", ID: s.CreateContact(hubspottest.Props{"email": fmt.Sprintf("w%d@example.com", i)})}
	}
	return s, keys
}

func updates(keys []connector.CustomerKey, f func(i int) map[string]string) []connector.Update {
	out := make([]connector.Update, len(keys))
	for i, k := range keys {
		out[i] = connector.Update{Key: k, Fields: f(i)}
	}
	return out
}

func sorted(keys []connector.CustomerKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.ID
	}
	slices.Sort(out)
	return out
}

func TestWriteBatchUnorderedResults(t *testing.T) {
	s, keys := writeFixture(t, 100)
	c := connect(t, s, nil)
	res, err := c.WriteBatch(context.Background(), updates(keys, func(i int) map[string]string {
		return map[string]string{"rfm_code": fmt.Sprintf("%03d", i), "rfm_monetary": fmt.Sprintf("%d.50", i), "rfm_segment": "champions"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sorted(res.Accepted), sorted(keys)) || len(res.NotFound) != 0 || len(res.Rejected) != 0 {
		t.Fatalf("result %+v", res)
	}
	if v, _ := s.Value(hubspottest.Contacts, keys[42].ID, "rfm_code"); v != "042" {
		t.Errorf("rfm_code of the 43rd contact = %q", v)
	}
	if s.WriteCalls() != 1 {
		t.Errorf("%d write calls, want 1", s.WriteCalls())
	}
	// An empty value clears the field.
	if _, err := c.WriteBatch(context.Background(), []connector.Update{{Key: keys[0], Fields: map[string]string{"rfm_segment": ""}}}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Value(hubspottest.Contacts, keys[0].ID, "rfm_segment"); v != "" {
		t.Errorf("cleared segment = %q", v)
	}
}

func TestWriteBatchNotFound(t *testing.T) {
	s, keys := writeFixture(t, 6)
	s.DeleteContact(keys[1].ID)
	s.MergeContacts(keys[2].ID, keys[3].ID) // keys[3] vanishes from results silently
	unknown := connector.CustomerKey{Type: "contacts", ID: "99999999999"}
	ups := updates(append(keys, unknown), func(int) map[string]string { return map[string]string{"rfm_code": "555"} })
	res, err := connect(t, s, nil).WriteBatch(context.Background(), ups)
	if err != nil {
		t.Fatal(err)
	}
	// Deleted and unknown records come back as OBJECT_NOT_FOUND: gone. The
	// merged one is only absent, which is no evidence: retried next run
	// (RetryLater), and the repair read-back finds it missing.
	want := []connector.CustomerKey{keys[1], unknown}
	if !slices.Equal(sorted(res.NotFound), sorted(want)) || len(res.Accepted) != 4 || len(res.Rejected) != 0 ||
		len(res.RetryLater) != 1 || res.RetryLater[keys[3]] == "" {
		t.Errorf("accepted %v, not found %v (want %v), rejected %v, retry later %v (want %v)", res.Accepted, res.NotFound, want, res.Rejected, res.RetryLater, keys[3])
	}
}

func TestWriteBatchIsolatesABadValue(t *testing.T) {
	s, keys := writeFixture(t, 8)
	c := connect(t, s, nil)
	res, err := c.WriteBatch(context.Background(), updates(keys, func(i int) map[string]string {
		m := map[string]string{"rfm_monetary": "12.34", "rfm_code": "444"}
		if i == 5 {
			m["rfm_monetary"] = "12,34" // not a number HubSpot accepts
		}
		return m
	}))
	if err != nil {
		t.Fatal(err)
	}
	why, rejected := res.Rejected[keys[5]]
	if len(res.Rejected) != 1 || !rejected || !strings.Contains(why, "rfm_monetary") || !strings.Contains(why, "INVALID_INTEGER") {
		t.Errorf("rejected %v, want only %s with HubSpot's reason", res.Rejected, keys[5])
	}
	others := slices.Delete(slices.Clone(keys), 5, 6)
	if !slices.Equal(sorted(res.Accepted), sorted(others)) {
		t.Errorf("accepted %v, want the 7 others", res.Accepted)
	}
	if v, _ := s.Value(hubspottest.Contacts, keys[4].ID, "rfm_monetary"); v != "12.34" {
		t.Errorf("a good record did not land: %q", v)
	}
	// 8 → 4+4 → 2+2 of the bad half → 1+1: 1 + 2 + 2 + 2 calls.
	if n := s.Calls(hubspottest.RouteBatchUpdate); n != 7 {
		t.Errorf("%d batch/update calls, want 7 (halving)", n)
	}
}

func TestWriteBatchStopsOnAFieldProblem(t *testing.T) {
	for _, tt := range []struct {
		name, field, value, code string
	}{
		{"missing property", "rfm_recency", "12", "PROPERTY_DOESNT_EXIST"},
		{"missing dropdown option", "rfm_segment", "hibernating", "INVALID_OPTION"},
		{"read-only property", "hs_object_id", "1", "READ_ONLY_VALUE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, keys := writeFixture(t, 10)
			res, err := connect(t, s, nil).WriteBatch(context.Background(), updates(keys, func(int) map[string]string {
				return map[string]string{"rfm_code": "111", tt.field: tt.value}
			}))
			if !errors.Is(err, crmerr.ErrValidation) || !strings.Contains(err.Error(), tt.field) ||
				!strings.Contains(err.Error(), tt.code) || !strings.Contains(err.Error(), "rfmsync fields ensure") {
				t.Errorf("error %v, want a validation error naming %s and the fix", err, tt.field)
			}
			if len(res.Accepted)+len(res.NotFound)+len(res.Rejected) != 0 || s.Calls(hubspottest.RouteBatchUpdate) != 1 {
				t.Errorf("result %+v after %d calls: no split, nothing settled", res, s.Calls(hubspottest.RouteBatchUpdate))
			}
		})
	}
}

func TestWriteBatchGuards(t *testing.T) {
	s, keys := writeFixture(t, 3)
	c := connect(t, s, map[string]any{"write_batch": 2})
	if c.MaxBatch() != 2 {
		t.Errorf("MaxBatch %d", c.MaxBatch())
	}
	f := func(int) map[string]string { return map[string]string{"rfm_code": "1"} }
	mixed := updates(keys[:2], f)
	mixed[1].Key.Type = "companies"
	for name, ups := range map[string][]connector.Update{
		"too many":  updates(keys, f),
		"mixed":     mixed,
		"duplicate": updates([]connector.CustomerKey{keys[0], keys[0]}, f),
		"deals":     updates([]connector.CustomerKey{{Type: "deals", ID: "1"}}, f),
	} {
		if _, err := c.WriteBatch(context.Background(), ups); !errors.Is(err, crmerr.ErrValidation) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if s.Calls(hubspottest.AnyRoute) != 0 {
		t.Errorf("%d calls for refused batches", s.Calls(hubspottest.AnyRoute))
	}
}

func TestWriteRetriesTransientAndCountsCalls(t *testing.T) {
	s, keys := writeFixture(t, 4)
	s.InjectFault(hubspottest.RouteBatchUpdate, 1, hubspottest.Fault{Status: 503})
	c := connect(t, s, nil)
	res, err := c.WriteBatch(context.Background(), updates(keys, func(int) map[string]string { return map[string]string{"rfm_code": "2"} }))
	if err != nil || len(res.Accepted) != 4 {
		t.Fatalf("%+v, %v", res, err)
	}
	if got := c.Calls(); got[KindBatchUpdate] != 2 || len(got) != 1 {
		t.Errorf("calls %v, want 2 batch_update (one retry)", got)
	}
}
