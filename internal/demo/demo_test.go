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
	before := s.Now()
	c := Work(s, b, 2, 7)
	if got := s.Now().Sub(before); got != 7*24*time.Hour {
		t.Errorf("a week of work moved the clock by %s", got)
	}
	// New deals close across the week, not in one burst.
	var first, last time.Time
	for _, id := range b.Deals[1500:] {
		v, _ := s.Value(hubspottest.Deals, id, "closedate")
		at, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t.Fatalf("closedate %q: %v", v, err)
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	if last.Sub(first) < 5*24*time.Hour || first.Before(before.Add(-12*time.Hour)) || last.After(s.Now()) {
		t.Errorf("new deals close from %s to %s, want across the week from %s", first, last, before)
	}
	if c.NewDeals == 0 || c.Lost == 0 || c.Archived == 0 || c.Reassigned == 0 {
		t.Errorf("mutation did not change every kind: %+v", c)
	}
	if len(b.Deals) != 1500+c.NewDeals {
		t.Errorf("new deals not recorded in the base")
	}
}
