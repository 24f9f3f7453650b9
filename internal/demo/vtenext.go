package demo

import (
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/rfmsync/rfmsync/connectors/vtenext/vtenexttest"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/syncloop"
	"github.com/rfmsync/rfmsync/internal/synth"
)

// VtenextBase is what SeedVtenext created.
type VtenextBase struct {
	Accounts []string
	// Orders are the sales orders' ids, in creation order.
	Orders []string
	// Fields maps each output to the cf_ field the admin created for it.
	Fields map[string]string
}

// SeedVtenext creates the RFM custom fields on Accounts, as an admin does
// in the Layout Editor (picklists with the default segment labels), the
// accounts and a few years of sales orders: delivered, approved, created
// and cancelled, refunds, ties, a quarter in US dollars (hdnGrandTotal in
// dollars, conversion_rate 1.1), orders without a total or an account.
func SeedVtenext(s *vtenexttest.Server, spec synth.Spec) (*VtenextBase, error) {
	b := &VtenextBase{Fields: map[string]string{}}
	var labels []string
	seg := syncloop.FieldSpecs(outputs.FieldMap{outputs.Segment: outputs.Named("x")}, rfm.DefaultParams(), 730, syncloop.Inactive{})
	for _, o := range seg[0].Options {
		labels = append(labels, o.Label)
	}
	for _, f := range []struct {
		out  string
		spec vtenexttest.FieldSpec
	}{
		{outputs.R, vtenexttest.FieldSpec{Type: vtenexttest.TypeDouble}}, {outputs.F, vtenexttest.FieldSpec{Type: vtenexttest.TypeDouble}},
		{outputs.M, vtenexttest.FieldSpec{Type: vtenexttest.TypeDouble}}, {outputs.RFM, vtenexttest.FieldSpec{Type: vtenexttest.TypeString}},
		{outputs.Segment, vtenexttest.FieldSpec{Type: vtenexttest.TypePicklist, Values: labels}},
		{outputs.Monetary, vtenexttest.FieldSpec{Type: vtenexttest.TypeDouble, Decimals: 2}},
		{outputs.Frequency, vtenexttest.FieldSpec{Type: vtenexttest.TypeDouble}},
		{outputs.LastPurchaseAt, vtenexttest.FieldSpec{Type: vtenexttest.TypeString}},
		{outputs.PreviousSegment, vtenexttest.FieldSpec{Type: vtenexttest.TypePicklist, Values: labels}},
		{outputs.SegmentChangedAt, vtenexttest.FieldSpec{Type: vtenexttest.TypeString}},
	} {
		o, _ := outputs.Lookup(f.out)
		f.spec.Label = o.Label
		b.Fields[f.out] = s.AddField(vtenexttest.Accounts, f.spec)
	}
	byCustomer := map[string]string{}
	for i := 0; i < spec.Customers; i++ {
		id := s.Create(vtenexttest.Accounts, map[string]string{"accountname": fmt.Sprintf("Azienda %d Srl", i+1)})
		b.Accounts = append(b.Accounts, id)
		byCustomer[fmt.Sprintf("C%07d", i)] = id
	}
	n := 0
	err := synth.Generate(spec, func(o synth.Order) error {
		at, err := rfm.ParseInstant(o.ClosedAt)
		if err != nil {
			return err
		}
		status := map[string]string{"won": "Delivered", "Won ": "Approved", "WON": "Approved", "lost": "Cancelled", "open": "Created"}[o.Status]
		total, rate, currency := o.Amount, "1", "23x1"
		if _, err := rfm.ParseAmount(total); err != nil {
			total = "" // a NULL total
		} else if n%4 == 3 {
			m, _ := rfm.ParseAmount(total)
			usd, _ := rfm.ConvertRate(m, "1.1", rfm.Multiply)
			total, rate, currency = usd.String(), "1.1", "23x2"
		}
		n++
		id := s.Create(vtenexttest.SalesOrder, map[string]string{"subject": "Ordine " + o.ID, "account_id": byCustomer[o.Customer],
			"sostatus": status, "invoicestatus": "Created", "hdnGrandTotal": total, "conversion_rate": rate, "currency_id": currency,
			"createdtime": s.Wall(at.Time())})
		b.Orders = append(b.Orders, id)
		return nil
	})
	return b, err
}

// VtenextChanges counts what MutateVtenext changed.
type VtenextChanges struct {
	NewOrders, AmountsChanged, Cancelled, Deleted, Reassigned, AccountsDeleted int
}

// MutateVtenext changes the CRM as a week of work would, each change a
// save that moves modifiedtime (deletions do not: they are only seen by the
// id re-read): new orders closed in the last three days, corrected totals,
// cancellations, orders moved to the recycle bin, orders moved to another
// account, and one account deleted.
func MutateVtenext(s *vtenexttest.Server, b *VtenextBase, seed uint64) VtenextChanges {
	rng := rand.New(rand.NewPCG(seed, 11))
	var c VtenextChanges
	pick := func() string { return b.Orders[rng.IntN(len(b.Orders))] }
	n := len(b.Orders)
	for range n / 100 {
		at := s.Now().Add(-time.Duration(rng.IntN(72)) * time.Hour)
		id := s.Create(vtenexttest.SalesOrder, map[string]string{"subject": "Nuovo ordine", "account_id": b.Accounts[rng.IntN(len(b.Accounts))],
			"sostatus": "Delivered", "invoicestatus": "Created", "hdnGrandTotal": strconv.Itoa(50 + rng.IntN(900)), "conversion_rate": "1",
			"createdtime": s.Wall(at)})
		b.Orders = append(b.Orders, id)
		c.NewOrders++
	}
	for range n / 200 {
		s.Update(pick(), map[string]string{"hdnGrandTotal": strconv.Itoa(100 + rng.IntN(5000)), "conversion_rate": "1"})
		c.AmountsChanged++
	}
	for range n / 300 {
		s.Update(pick(), map[string]string{"sostatus": "Cancelled"})
		c.Cancelled++
	}
	for range n / 300 {
		if id := pick(); s.Exists(id) {
			s.Delete(id)
			c.Deleted++
		}
	}
	for range n / 300 {
		if id := pick(); s.Exists(id) {
			s.Update(id, map[string]string{"account_id": b.Accounts[rng.IntN(len(b.Accounts))]})
			c.Reassigned++
		}
	}
	s.Delete(b.Accounts[rng.IntN(len(b.Accounts))])
	c.AccountsDeleted++
	return c
}

// VtenextSite is a seeded fake vtenext served over HTTP, for the demo,
// which sees it only through this type.
type VtenextSite struct {
	s    *vtenexttest.Server
	web  *httptest.Server
	Base *VtenextBase
}

// StartVtenext seeds a fake vtenext (clock at the current second, server
// zone Europe/Rome, dates dd-mm-yyyy) and serves it on a local port.
func StartVtenext(accounts, orders int) (*VtenextSite, error) {
	s := vtenexttest.New(vtenexttest.Options{Start: time.Now().Truncate(time.Second)})
	base, err := SeedVtenext(s, synth.Spec{Customers: accounts, Orders: orders, End: s.Now().Add(-time.Hour), Years: 3, Seed: 42})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Advance(time.Minute) // past the query lag
	return &VtenextSite{s: s, web: httptest.NewServer(s), Base: base}, nil
}

// URL is the site URL (the connector's url; it calls url + /webservice.php).
func (v *VtenextSite) URL() string { return v.web.URL }

// User and AccessKey are the web-service user's credentials.
func (v *VtenextSite) User() string      { return vtenexttest.DefaultUser }
func (v *VtenextSite) AccessKey() string { return vtenexttest.DefaultAccessKey }

// Now is the fake's clock.
func (v *VtenextSite) Now() time.Time { return v.s.Now() }

// Logins and Revises count successful logins and revise calls so far.
func (v *VtenextSite) Logins() int  { return v.s.Logins() }
func (v *VtenextSite) Revises() int { return v.s.Count("revise") }

// Week moves the clock a week on and changes the CRM as that week's work
// would (MutateVtenext), then a person sets one account's segment by hand;
// it returns the changes and that account.
func (v *VtenextSite) Week() (VtenextChanges, string) {
	v.s.Advance(7 * 24 * time.Hour)
	c := MutateVtenext(v.s, v.Base, 7)
	victim := v.Base.Accounts[len(v.Base.Accounts)/2]
	v.s.Update(victim, map[string]string{v.Base.Fields[outputs.Segment]: "Champions"})
	v.s.Advance(time.Minute)
	return c, victim
}

// Close stops the server.
func (v *VtenextSite) Close() {
	v.web.Close()
	v.s.Close()
}
