package salesforcetest

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Object names, for the seeding API.
const (
	Account                 = "Account"
	Contact                 = "Contact"
	Opportunity             = "Opportunity"
	Order                   = "Order"
	OpportunityContactRole  = "OpportunityContactRole"
	CurrencyType            = "CurrencyType"
	DatedConversionRate     = "DatedConversionRate"
	PermissionSet           = "PermissionSet"
	FieldPermissions        = "FieldPermissions"
	PermissionSetAssignment = "PermissionSetAssignment"
)

// F is a record's field values for the seeding API: strings, bools,
// time.Time (datetimes), Date, Money or plain numbers (amounts), nil.
type F = map[string]any

func (s *Server) object(name string) *objectDef {
	o := s.schema[strings.ToLower(name)]
	if o == nil {
		panic("salesforcetest: unknown object " + name)
	}
	return o
}

// coerce converts a seeded value to the stored type of f.
func coerce(f *fieldDef, v any) any {
	if v == nil {
		return nil
	}
	switch f.typ {
	case typeDate:
		switch x := v.(type) {
		case Date:
			return x
		case string:
			return Date(x)
		case time.Time:
			return Date(x.UTC().Format(DateLayout))
		}
	case typeDatetime:
		if t, ok := v.(time.Time); ok {
			return stamp(t)
		}
	case typeCurrency, typeDouble, typePercent, typeInt:
		return moneyText(v)
	case typeBoolean:
		if b, ok := v.(bool); ok {
			return b
		}
	case typeID, typeRef:
		if s, ok := v.(string); ok {
			if id := normID(s); id != "" {
				return id
			}
		}
	default:
		if s, ok := v.(string); ok {
			return s
		}
	}
	panic(fmt.Sprintf("salesforcetest: %T is not a value for %s (%s)", v, f.name, f.typ))
}

// setLocked applies fields to r (god mode) and recomputes derived ones.
func (s *Server) setLocked(r *record, fields F) {
	for k, v := range fields {
		f := r.obj.byLower[strings.ToLower(k)]
		if f == nil {
			panic("salesforcetest: no field " + k + " on " + r.obj.name)
		}
		r.vals[f.name] = coerce(f, v)
	}
	s.derive(r)
}

// derive keeps the read-only fields in step: IsWon/IsClosed follow the
// stage, StatusCode and ActivatedDate follow Status.
func (s *Server) derive(r *record) {
	switch r.obj.name {
	case Opportunity:
		name, _ := r.vals["StageName"].(string)
		won, closed := false, false
		for _, st := range s.opts.Stages {
			if st.Name == name {
				won, closed = st.Won, st.Closed
			}
		}
		r.vals["IsWon"], r.vals["IsClosed"] = won, closed
	case Order:
		st, _ := r.vals["Status"].(string)
		code := "Draft"
		if st == "Activated" {
			code = "Activated"
		}
		if code == "Activated" && r.vals["ActivatedDate"] == nil {
			r.vals["ActivatedDate"] = stamp(s.clock.Now())
		}
		if code == "Draft" {
			r.vals["ActivatedDate"] = nil
		}
		r.vals["StatusCode"] = code
	}
}

func (s *Server) createLocked(obj *objectDef, fields F) *record {
	now := stamp(s.clock.Now())
	r := &record{obj: obj, id: s.st.newID(obj), vals: map[string]any{}}
	for _, f := range obj.fields {
		r.vals[f.name] = nil
	}
	r.vals["Id"] = r.id
	r.vals["IsDeleted"] = false
	r.vals["CreatedDate"], r.vals["LastModifiedDate"], r.vals["SystemModstamp"] = now, now, now
	if obj.name == Order {
		r.vals["OrderNumber"] = fmt.Sprintf("%08d", s.st.nextID[obj.prefix])
		r.vals["Status"] = "Draft"
	}
	if _, ok := obj.byLower["currencyisocode"]; ok && obj.name != CurrencyType && obj.name != DatedConversionRate {
		r.vals["CurrencyIsoCode"] = s.opts.CorporateCurrency
	}
	s.setLocked(r, fields)
	s.st.seq++
	r.seq = s.st.seq
	s.st.byID[r.id] = r
	s.st.byObj[obj.name] = append(s.st.byObj[obj.name], r)
	return r
}

// Create stores a record and returns its 18-char id. Stamps are the
// clock's now at whole seconds unless fields set them.
func (s *Server) Create(object string, fields F) string {
	obj := s.object(object)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createLocked(obj, fields).id
}

func (s *Server) rec(id string) *record {
	r := s.st.byID[normID(id)]
	if r == nil {
		panic("salesforcetest: no record " + id)
	}
	return r
}

// Update changes fields as a user would: LastModifiedDate and
// SystemModstamp move to now unless fields set them.
func (s *Server) Update(id string, fields F) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rec(id)
	now := stamp(s.clock.Now())
	r.vals["LastModifiedDate"], r.vals["SystemModstamp"] = now, now
	s.setLocked(r, fields)
}

// Touch moves only SystemModstamp to now, as automation does.
func (s *Server) Touch(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rec(id).vals["SystemModstamp"] = stamp(s.clock.Now())
}

// SetStamp sets SystemModstamp of every id to t (whole seconds): bulk-load
// ties, e.g. more rows on one second than a page holds.
func (s *Server) SetStamp(t time.Time, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.rec(id).vals["SystemModstamp"] = stamp(t)
	}
}

// Delete moves a record to the recycle bin: query hides it, queryAll
// shows IsDeleted = true, SystemModstamp moves (§2.6, unverified there;
// the fake bumps it).
func (s *Server) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rec(id)
	r.vals["IsDeleted"] = true
	r.vals["SystemModstamp"] = stamp(s.clock.Now())
	r.deletedAt = s.clock.Now()
}

// Purge removes a record for good, as emptying the recycle bin does:
// queryAll no longer returns it.
func (s *Server) Purge(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rec(id)
	delete(s.st.byID, r.id)
	rows := s.st.byObj[r.obj.name]
	for i, x := range rows {
		if x == r {
			s.st.byObj[r.obj.name] = append(rows[:i:i], rows[i+1:]...)
			break
		}
	}
}

// Undelete restores a record from the recycle bin.
func (s *Server) Undelete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rec(id)
	r.vals["IsDeleted"] = false
	r.vals["SystemModstamp"] = stamp(s.clock.Now())
	r.deletedAt = time.Time{}
}

// Merge merges loser into winner (Accounts or Contacts, §2.7): the loser
// is deleted with MasterRecordId = winner, and every child pointing at it
// is re-parented to the winner with only SystemModstamp touched.
func (s *Server) Merge(winner, loser string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, l := s.rec(winner), s.rec(loser)
	if w.obj != l.obj {
		panic("salesforcetest: merge across objects")
	}
	now := stamp(s.clock.Now())
	l.vals["IsDeleted"], l.vals["MasterRecordId"], l.vals["SystemModstamp"] = true, w.id, now
	l.deletedAt = s.clock.Now()
	for _, obj := range s.schema {
		for _, f := range obj.fields {
			if f.typ != typeRef || f.refTo != w.obj.name || f.name == "MasterRecordId" {
				continue
			}
			for _, r := range s.st.byObj[obj.name] {
				if r.vals[f.name] == l.id {
					r.vals[f.name] = w.id
					r.vals["SystemModstamp"] = now
				}
			}
		}
	}
}

// CommitLate stores a record whose transaction commits late: its
// SystemModstamp is stampAt (in the past) but no query sees it until the
// clock has advanced by visibleAfter (§2.6, airbytehq/airbyte #27146).
func (s *Server) CommitLate(object string, fields F, stampAt time.Time, visibleAfter time.Duration) string {
	obj := s.object(object)
	s.mu.Lock()
	defer s.mu.Unlock()
	f := maps.Clone(fields)
	if f == nil {
		f = F{}
	}
	f["SystemModstamp"], f["LastModifiedDate"], f["CreatedDate"] = stampAt, stampAt, stampAt
	r := s.createLocked(obj, f)
	r.visibleAt = s.clock.Now().Add(visibleAfter)
	return r.id
}

// Get returns a copy of a record's fields (datetimes as time.Time, dates
// as Date, amounts as Money), or nil when there is no such record.
func (s *Server) Get(id string) F {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.byID[normID(id)]
	if r == nil {
		return nil
	}
	return maps.Clone(r.vals)
}

// Value returns one field of a record (nil when unset or unknown).
func (s *Server) Value(id, field string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.st.byID[normID(id)]
	if r == nil {
		return nil
	}
	if f := r.obj.byLower[strings.ToLower(field)]; f != nil {
		return r.vals[f.name]
	}
	return nil
}

// IDs lists an object's record ids in creation order (deleted included).
func (s *Server) IDs(object string) []string {
	obj := s.object(object)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.st.byObj[obj.name] {
		out = append(out, r.id)
	}
	return out
}

// CreatePersonAccount creates a person account: an Account and its
// Contact, the same customer twice (§2.7). Needs Options.PersonAccounts.
func (s *Server) CreatePersonAccount(name string) (accountID, contactID string) {
	if !s.opts.PersonAccounts {
		panic("salesforcetest: person accounts are off")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.createLocked(s.object(Account), F{"Name": name, "IsPersonAccount": true})
	first, last, _ := strings.Cut(name, " ")
	c := s.createLocked(s.object(Contact), F{"FirstName": first, "LastName": last, "AccountId": a.id, "IsPersonAccount": true})
	a.vals["PersonContactId"] = c.id
	return a.id, c.id
}

// AddCurrency adds an active CurrencyType with its rate to the corporate
// currency (decimal text). Needs Options.MultiCurrency.
func (s *Server) AddCurrency(iso, rate string) string {
	return s.Create(CurrencyType, F{"IsoCode": iso, "ConversionRate": Money(rate), "DecimalPlaces": 2, "IsActive": true, "IsCorporate": false})
}

// AddDatedRate adds a DatedConversionRate from start (Advanced Currency
// Management, Options.DatedRates).
func (s *Server) AddDatedRate(iso, rate string, start Date) string {
	return s.Create(DatedConversionRate, F{"IsoCode": iso, "ConversionRate": Money(rate), "StartDate": start})
}

// seedSystem creates the integration user, its profile's permission set
// and, in multi-currency orgs, the corporate currency.
func (s *Server) seedSystem() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.createLocked(s.object("User"), F{"Username": s.opts.Username, "IsActive": true})
	s.createLocked(s.object(PermissionSet), F{"Name": "X00e000000000001", "Label": "Integration profile", "IsOwnedByProfile": true})
	if s.opts.MultiCurrency {
		s.createLocked(s.object(CurrencyType), F{"IsoCode": s.opts.CorporateCurrency, "ConversionRate": Money("1"), "DecimalPlaces": 2, "IsActive": true, "IsCorporate": true})
	}
}

// OrgSpec sizes a seeded org.
type OrgSpec struct {
	Accounts int
	// ContactsPerAccount is the most contacts per account (≥1).
	ContactsPerAccount int
	// Opportunities and Orders are totals spread over the accounts.
	Opportunities int
	Orders        int
	// Years spreads CloseDates over this many years before now (≥1).
	Years int
	// Currencies, in a multi-currency org, are ISO codes with rates used
	// for a share of the opportunities.
	Currencies map[string]string
	Seed       uint64
}

// OrgSeed lists what SeedOrg created, by object.
type OrgSeed struct {
	Accounts, Contacts, Opportunities, Orders, ContactRoles []string
	// Won lists the won opportunities; Activated the activated orders.
	Won, Activated []string
}

// SeedOrg fills the org with a realistic book: accounts with contacts,
// opportunities won, lost and open (some without an amount, some without
// an account), primary and secondary contact roles, and orders activated
// or draft, spread over the years before now.
func (s *Server) SeedOrg(spec OrgSpec) OrgSeed {
	rnd := rand.New(rand.NewPCG(spec.Seed, 0x5f))
	if spec.ContactsPerAccount < 1 {
		spec.ContactsPerAccount = 1
	}
	if spec.Years < 1 {
		spec.Years = 1
	}
	var isos []string
	if s.opts.MultiCurrency {
		for _, iso := range sortedKeys(spec.Currencies) {
			s.AddCurrency(iso, spec.Currencies[iso])
			isos = append(isos, iso)
		}
	}
	var out OrgSeed
	contactsOf := map[string][]string{}
	for i := range spec.Accounts {
		a := s.Create(Account, F{"Name": fmt.Sprintf("Account %04d", i+1), "BillingCity": "Springfield"})
		out.Accounts = append(out.Accounts, a)
		for j := range 1 + rnd.IntN(spec.ContactsPerAccount) {
			c := s.Create(Contact, F{"AccountId": a, "FirstName": "Pat", "LastName": fmt.Sprintf("Buyer %04d-%d", i+1, j+1),
				"Email": fmt.Sprintf("buyer%d.%d@example.com", i+1, j+1)})
			out.Contacts = append(out.Contacts, c)
			contactsOf[a] = append(contactsOf[a], c)
		}
	}
	now := s.clock.Now()
	span := spec.Years * 365
	stages := s.opts.Stages
	for i := range spec.Opportunities {
		f := F{"Name": fmt.Sprintf("Deal %05d", i+1),
			"CloseDate": Date(now.AddDate(0, 0, -rnd.IntN(span)).Format(DateLayout))}
		var acct string
		if len(out.Accounts) > 0 && rnd.IntN(50) != 0 { // 2% without an account
			acct = out.Accounts[rnd.IntN(len(out.Accounts))]
			f["AccountId"] = acct
		}
		switch p := rnd.IntN(10); {
		case p < 6:
			f["StageName"] = wonStage(stages)
		case p < 8:
			f["StageName"] = lostStage(stages)
		default:
			f["StageName"] = stages[0].Name
		}
		if rnd.IntN(40) != 0 { // a few opportunities have no amount
			f["Amount"] = Money(strconv.Itoa(100+rnd.IntN(50_000)) + "." + strconv.Itoa(rnd.IntN(10)))
		}
		if len(isos) > 0 && rnd.IntN(4) == 0 {
			f["CurrencyIsoCode"] = isos[rnd.IntN(len(isos))]
		}
		o := s.Create(Opportunity, f)
		out.Opportunities = append(out.Opportunities, o)
		if f["StageName"] == wonStage(stages) {
			out.Won = append(out.Won, o)
		}
		if cs := contactsOf[acct]; len(cs) > 0 {
			out.ContactRoles = append(out.ContactRoles, s.Create(OpportunityContactRole,
				F{"OpportunityId": o, "ContactId": cs[rnd.IntN(len(cs))], "Role": "Decision Maker", "IsPrimary": true}))
			if len(cs) > 1 && rnd.IntN(3) == 0 {
				out.ContactRoles = append(out.ContactRoles, s.Create(OpportunityContactRole,
					F{"OpportunityId": o, "ContactId": cs[rnd.IntN(len(cs))], "Role": "Influencer", "IsPrimary": false}))
			}
		}
	}
	for range spec.Orders {
		if len(out.Accounts) == 0 {
			break
		}
		a := out.Accounts[rnd.IntN(len(out.Accounts))]
		f := F{"AccountId": a, "EffectiveDate": Date(now.AddDate(0, 0, -rnd.IntN(span)).Format(DateLayout)),
			"TotalAmount": Money(strconv.Itoa(50 + rnd.IntN(5_000)))}
		if cs := contactsOf[a]; len(cs) > 0 {
			f["BillToContactId"] = cs[rnd.IntN(len(cs))]
		}
		if rnd.IntN(4) != 0 {
			f["Status"] = "Activated"
		}
		o := s.Create(Order, f)
		out.Orders = append(out.Orders, o)
		if f["Status"] == "Activated" {
			out.Activated = append(out.Activated, o)
		}
	}
	return out
}

func wonStage(st []Stage) string {
	for _, s := range st {
		if s.Won {
			return s.Name
		}
	}
	panic("salesforcetest: no won stage")
}

func lostStage(st []Stage) string {
	for _, s := range st {
		if s.Closed && !s.Won {
			return s.Name
		}
	}
	panic("salesforcetest: no lost stage")
}
