package demo

import (
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/internal/synth"
)

func TestSeedAndMutate(t *testing.T) {
	start := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	s := hubspottest.New(hubspottest.Options{Start: start})
	defer s.Close()
	b, err := Seed(s, synth.Spec{Customers: 200, Orders: 1500, End: start.Add(-time.Hour), Years: 3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Contacts) != 200 || len(b.Companies) != 50 || len(b.Deals) != 1500 {
		t.Fatalf("seeded %d contacts, %d companies, %d deals", len(b.Contacts), len(b.Companies), len(b.Deals))
	}
	won, withContact := 0, 0
	for _, id := range b.Deals {
		if v, _ := s.Value(hubspottest.Deals, id, "hs_is_closed_won"); v == "true" {
			won++
		}
		if len(s.Associations(hubspottest.Deals, id, hubspottest.Contacts)) == 1 {
			withContact++
		}
	}
	if won < 1200 || withContact < 1400 {
		t.Errorf("%d won deals, %d with a contact: the base is not realistic", won, withContact)
	}
	c := Mutate(s, b, 2, start)
	if c.NewDeals == 0 || c.Lost == 0 || c.Archived == 0 || c.Reassigned == 0 {
		t.Errorf("mutation did not change every kind: %+v", c)
	}
	if len(b.Deals) != 1500+c.NewDeals {
		t.Errorf("new deals not recorded in the base")
	}
}
