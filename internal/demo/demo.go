// Package demo seeds the in-process fake HubSpot with a realistic customer
// base and changes it between syncs, for `rfmsync demo`.
package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/internal/synth"
)

// Base is what Seed created.
type Base struct {
	Contacts  []string
	Companies []string
	// Deals are the ids of every deal, in creation order.
	Deals []string
}

// Seed creates contacts, companies (one per four contacts) and a few years
// of deals: won and lost, refunds (negative amounts), ties, unparseable
// amounts and deals without a contact, as the generator makes them. Each
// deal is associated with its contact and, as primary, the contact's company.
func Seed(s *hubspottest.Server, spec synth.Spec) (*Base, error) {
	b := &Base{}
	b.Companies = s.CreateMany(hubspottest.Companies, (spec.Customers+3)/4, func(i int) hubspottest.Props {
		return hubspottest.Props{"name": fmt.Sprintf("Company %d", i+1), "domain": fmt.Sprintf("company%d.example", i+1)}
	})
	b.Contacts = s.CreateMany(hubspottest.Contacts, spec.Customers, func(i int) hubspottest.Props {
		return hubspottest.Props{"email": fmt.Sprintf("customer%d@example.com", i+1), "firstname": "Customer", "lastname": strconv.Itoa(i + 1)}
	})
	type deal struct {
		props   hubspottest.Props
		contact int
	}
	var deals []deal
	err := synth.Generate(spec, func(o synth.Order) error {
		stage := hubspottest.DealStageClosedWon
		switch o.Status {
		case "lost":
			stage = hubspottest.DealStageClosedLost
		case "open":
			stage = "contractsent"
		}
		amount := any(o.Amount)
		if o.Amount == "n/a" {
			amount = nil // HubSpot's null: an unset amount
		}
		closed, _ := time.Parse(time.RFC3339, o.ClosedAt)
		d := deal{contact: -1, props: hubspottest.Props{
			"dealname": "Order " + o.ID, "pipeline": hubspottest.DealPipelineDefault, "dealstage": stage,
			"amount": amount, "closedate": closed, "createdate": closed.Add(-72 * time.Hour),
			"hs_lastmodifieddate": closed,
		}}
		if o.Customer != "" {
			n, _ := strconv.Atoi(o.Customer[1:])
			d.contact = n
		}
		deals = append(deals, d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.Deals = s.CreateMany(hubspottest.Deals, len(deals), func(i int) hubspottest.Props { return deals[i].props })
	for i, d := range deals {
		if d.contact < 0 {
			continue
		}
		s.AssociateDealContact(b.Deals[i], b.Contacts[d.contact])
		s.AssociateDealCompany(b.Deals[i], b.Companies[d.contact/4], true)
	}
	return b, nil
}

// Changes counts what Mutate did.
type Changes struct {
	NewDeals, AmountsChanged, Lost, Archived, Reassigned, ContactsDeleted int
}

// Mutate changes the base the way a week of CRM work would, all at once at
// now: new won deals (closed up to three days before now), corrected
// amounts, deals lost after all, deals deleted (archived), deals moved to
// another contact (an association change, which HubSpot does not stamp on
// the deal) and a contact deleted.
func Mutate(s *hubspottest.Server, b *Base, seed uint64, now time.Time) Changes {
	return mutate(s, b, seed, 1, func() time.Time { return now }, 72, false)
}

// Work does what Mutate does spread over days of work: each day a share of
// every kind of change, stamped when it happens (new deals close that day),
// and the server's clock moves a day after each, so it ends days later.
func Work(s *hubspottest.Server, b *Base, seed uint64, days int) Changes {
	return mutate(s, b, seed, max(days, 1), s.Now, 12, true)
}

// mutate spreads the changes over days; new deals close up to backHours
// before now().
func mutate(s *hubspottest.Server, b *Base, seed uint64, days int, now func() time.Time, backHours int, advance bool) Changes {
	rng := rand.New(rand.NewPCG(seed, 7))
	var c Changes
	pick := func() string { return b.Deals[rng.IntN(len(b.Deals))] }
	work := make([][]func(), days)
	// spread puts n tasks of one kind evenly over the days.
	spread := func(n int, task func()) {
		for i := range n {
			d := i * days / max(n, 1)
			work[d] = append(work[d], task)
		}
	}
	deals := len(b.Deals)
	spread(deals/100, func() {
		contact := rng.IntN(len(b.Contacts))
		id := s.CreateDeal(hubspottest.Props{
			"dealname": "New order", "pipeline": hubspottest.DealPipelineDefault, "dealstage": hubspottest.DealStageClosedWon,
			"amount": strconv.Itoa(50 + rng.IntN(900)), "closedate": now().Add(-time.Duration(rng.IntN(backHours)) * time.Hour),
		})
		s.AssociateDealContact(id, b.Contacts[contact])
		b.Deals = append(b.Deals, id)
		c.NewDeals++
	})
	spread(deals/200, func() {
		s.Update(hubspottest.Deals, pick(), hubspottest.Props{"amount": strconv.Itoa(100 + rng.IntN(5000))})
		c.AmountsChanged++
	})
	spread(deals/300, func() {
		s.Update(hubspottest.Deals, pick(), hubspottest.Props{"dealstage": hubspottest.DealStageClosedLost})
		c.Lost++
	})
	archived := map[string]bool{}
	spread(deals/300, func() {
		id := pick()
		if rec, ok := s.Get(hubspottest.Deals, id); ok && !rec.Archived && !archived[id] {
			s.Archive(hubspottest.Deals, id)
			archived[id] = true
			c.Archived++
		}
	})
	spread(deals/300, func() {
		id := pick()
		if archived[id] {
			return
		}
		for _, old := range s.Associations(hubspottest.Deals, id, hubspottest.Contacts) {
			s.Dissociate(hubspottest.Deals, id, hubspottest.Contacts, old)
		}
		s.AssociateDealContact(id, b.Contacts[rng.IntN(len(b.Contacts))])
		c.Reassigned++
	})
	work[days-1] = append(work[days-1], func() {
		s.DeleteContact(b.Contacts[rng.IntN(len(b.Contacts))])
		c.ContactsDeleted++
	})
	for _, day := range work {
		for _, task := range day {
			task()
		}
		if advance {
			s.Advance(24 * time.Hour)
		}
	}
	return c
}

// EditSegment overwrites one contact's segment field by hand, as a person in
// the CRM might, and returns the contact's id ("" when none has a segment).
func EditSegment(s *hubspottest.Server, b *Base, field string) string {
	for _, id := range b.Contacts {
		v, ok := s.Value(hubspottest.Contacts, id, field)
		if !ok || v == "" {
			continue
		}
		other := "lost"
		if v == other {
			other = "champions"
		}
		s.Update(hubspottest.Contacts, id, hubspottest.Props{field: other})
		return id
	}
	return ""
}
