package demo

import (
	"math/rand/v2"
	"strconv"
	"time"

	sf "github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
)

// SalesforceChanges counts what WorkSalesforce did.
type SalesforceChanges struct {
	NewDeals, AmountsChanged, Lost, Deleted, Reparented, Merged int
}

// WorkSalesforce changes a seeded org the way a week of CRM work would,
// spread over days (the clock moves a day after each): new won
// opportunities, corrected amounts, deals lost after all, deletions,
// opportunities moved to another account, and one account merged into
// another (the loser deleted, its opportunities re-parented).
func WorkSalesforce(s *sf.Server, org *sf.OrgSeed, seed uint64, days int) SalesforceChanges {
	rng := rand.New(rand.NewPCG(seed, 11))
	var c SalesforceChanges
	days = max(days, 1)
	gone := map[string]bool{}
	pick := func() string {
		for {
			if id := org.Won[rng.IntN(len(org.Won))]; !gone[id] {
				return id
			}
		}
	}
	account := func() string { return org.Accounts[2+rng.IntN(len(org.Accounts)-2)] }
	n := len(org.Opportunities)
	for day := range days {
		for range n / 100 / days {
			id := s.Create(sf.Opportunity, sf.F{"Name": "New deal", "AccountId": account(), "StageName": "Closed Won",
				"Amount": sf.Money(strconv.Itoa(100 + rng.IntN(20_000))), "CloseDate": sf.Date(s.Now().Format(sf.DateLayout))})
			org.Won = append(org.Won, id)
			c.NewDeals++
		}
		for range n / 200 / days {
			s.Update(pick(), sf.F{"Amount": sf.Money(strconv.Itoa(100+rng.IntN(30_000)) + ".50")})
			c.AmountsChanged++
		}
		for range n / 300 / days {
			id := pick()
			s.Update(id, sf.F{"StageName": "Closed Lost"})
			gone[id] = true
			c.Lost++
		}
		for range n / 300 / days {
			id := pick()
			s.Delete(id)
			gone[id] = true
			c.Deleted++
		}
		for range n / 300 / days {
			s.Update(pick(), sf.F{"AccountId": account()})
			c.Reparented++
		}
		if day == days-1 {
			s.Merge(org.Accounts[0], org.Accounts[1])
			c.Merged++
		}
		s.Advance(24 * time.Hour)
	}
	return c
}

// EditAccountSegment overwrites the first account's segment field that has
// one, as a person in Salesforce might, and returns its id.
func EditAccountSegment(s *sf.Server, org *sf.OrgSeed, field string) string {
	for _, id := range org.Accounts[2:] {
		v, _ := s.Value(id, field).(string)
		if v == "" {
			continue
		}
		other := "lost"
		if v == other {
			other = "champions"
		}
		s.Update(id, sf.F{field: other})
		return id
	}
	return ""
}
