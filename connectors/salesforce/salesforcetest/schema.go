package salesforcetest

import (
	"sort"
	"strings"
)

// Field types as describe reports them (§5.1).
const (
	typeID       = "id"
	typeRef      = "reference"
	typeString   = "string"
	typePicklist = "picklist"
	typeBoolean  = "boolean"
	typeCurrency = "currency"
	typeDouble   = "double"
	typePercent  = "percent"
	typeInt      = "int"
	typeDate     = "date"
	typeDatetime = "datetime"
	typeTextarea = "textarea"
	typeAddress  = "address"
)

// fieldDef is one field of an object.
type fieldDef struct {
	name     string
	label    string
	typ      string
	custom   bool
	system   bool // read-only system field (Id, SystemModstamp, IsDeleted, …)
	readOnly bool // formula, roll-up or derived (IsWon, TotalAmount)
	nillable bool
	// filterable false makes WHERE on it fail (§2.6: some objects' stamps).
	filterable bool
	length     int
	precision  int
	scale      int
	picklist   []string
	restricted bool
	refTo      string // reference: target object, for dot paths
	relName    string // reference: relationship name (Account for AccountId)
	// hidden is FLS: a custom field made through the Tooling API is absent
	// for the integration user until a permission set grants read (§5.3).
	hidden   bool
	noEdit   bool // FLS read without edit: updateable false
	longText bool
	// fls marks a field made through the Tooling API: its visibility
	// follows FieldPermissions of the integration user's permission sets.
	fls bool
}

func (f *fieldDef) updateable() bool { return !f.system && !f.readOnly && !f.noEdit }

// objectDef is an sObject type.
type objectDef struct {
	name      string
	label     string
	prefix    string
	tooling   bool
	creatable bool // through POST /sobjects/{type}
	fields    []*fieldDef
	byLower   map[string]*fieldDef
	relations map[string]*fieldDef // lower-case relationship name → its reference field
	children  map[string]*childRel // lower-case child relationship name
}

// childRel is a parent-to-child relationship (Opportunity.OpportunityContactRoles).
type childRel struct {
	name string
	obj  *objectDef
	ref  *fieldDef // the child's lookup to the parent
}

func addChild(parent *objectDef, name string, child *objectDef, field string) {
	parent.children[strings.ToLower(name)] = &childRel{name: name, obj: child, ref: child.byLower[strings.ToLower(field)]}
}

func (o *objectDef) add(f *fieldDef) {
	if f.label == "" {
		f.label = f.name
	}
	o.fields = append(o.fields, f)
	o.byLower[strings.ToLower(f.name)] = f
	if f.relName != "" {
		o.relations[strings.ToLower(f.relName)] = f
	}
}

// field returns a field visible to the integration user.
func (o *objectDef) field(name string) *fieldDef {
	f := o.byLower[strings.ToLower(name)]
	if f == nil || f.hidden {
		return nil
	}
	return f
}

func newObject(name, prefix string, tooling bool) *objectDef {
	return &objectDef{name: name, label: name, prefix: prefix, tooling: tooling,
		byLower: map[string]*fieldDef{}, relations: map[string]*fieldDef{}, children: map[string]*childRel{}}
}

func sys(name, typ string) *fieldDef {
	return &fieldDef{name: name, typ: typ, system: true, filterable: true}
}

func std(name, typ string) *fieldDef {
	return &fieldDef{name: name, typ: typ, nillable: true, filterable: true}
}

func ref(name, to, rel string) *fieldDef {
	return &fieldDef{name: name, typ: typeRef, nillable: true, filterable: true, refTo: to, relName: rel}
}

func derived(name, typ string) *fieldDef {
	return &fieldDef{name: name, typ: typ, readOnly: true, filterable: true, nillable: true}
}

// addSystem adds the fields every object has.
func addSystem(o *objectDef) {
	o.add(sys("Id", typeID))
	o.add(sys("IsDeleted", typeBoolean))
	o.add(sys("CreatedDate", typeDatetime))
	o.add(sys("LastModifiedDate", typeDatetime))
	o.add(sys("SystemModstamp", typeDatetime))
}

// newSchema builds the org's objects (§2.7); multiCurrency adds
// CurrencyIsoCode to the money-bearing objects and the currency objects.
func newSchema(o *Options) map[string]*objectDef {
	m := map[string]*objectDef{}
	put := func(ob *objectDef) { m[strings.ToLower(ob.name)] = ob }

	acc := newObject("Account", "001", false)
	addSystem(acc)
	acc.add(&fieldDef{name: "Name", typ: typeString, filterable: true, length: 255})
	acc.add(ref("MasterRecordId", "Account", "MasterRecord"))
	acc.fields[len(acc.fields)-1].system = true
	acc.add(std("Type", typePicklist))
	acc.add(&fieldDef{name: "BillingAddress", typ: typeAddress, readOnly: true, nillable: true})
	acc.add(&fieldDef{name: "BillingCity", typ: typeString, nillable: true, filterable: true, length: 40})
	acc.add(&fieldDef{name: "Description", typ: typeTextarea, nillable: true, longText: true, length: 32000})
	if o.PersonAccounts {
		acc.add(derived("IsPersonAccount", typeBoolean))
		acc.add(ref("PersonContactId", "Contact", "PersonContact"))
		acc.fields[len(acc.fields)-1].readOnly = true
	}
	put(acc)

	con := newObject("Contact", "003", false)
	addSystem(con)
	con.add(ref("AccountId", "Account", "Account"))
	con.add(ref("MasterRecordId", "Contact", "MasterRecord"))
	con.fields[len(con.fields)-1].system = true
	con.add(&fieldDef{name: "FirstName", typ: typeString, nillable: true, filterable: true, length: 40})
	con.add(&fieldDef{name: "LastName", typ: typeString, filterable: true, length: 80})
	con.add(&fieldDef{name: "Email", typ: "email", nillable: true, filterable: true, length: 80})
	if o.PersonAccounts {
		con.add(derived("IsPersonAccount", typeBoolean))
	}
	put(con)

	opp := newObject("Opportunity", "006", false)
	addSystem(opp)
	opp.add(ref("AccountId", "Account", "Account"))
	opp.add(&fieldDef{name: "Name", typ: typeString, filterable: true, length: 120})
	opp.add(std("Amount", typeCurrency))
	opp.fields[len(opp.fields)-1].precision, opp.fields[len(opp.fields)-1].scale = 18, 2
	opp.add(&fieldDef{name: "CloseDate", typ: typeDate, filterable: true})
	opp.add(&fieldDef{name: "StageName", typ: typePicklist, filterable: true, length: 255,
		picklist: stageNames(o)})
	opp.add(derived("IsWon", typeBoolean))
	opp.add(derived("IsClosed", typeBoolean))
	opp.add(ref("ContactId", "Contact", "Contact"))
	opp.add(std("Probability", typePercent))
	opp.add(std("Type", typePicklist))
	put(opp)

	ord := newObject("Order", "801", false)
	addSystem(ord)
	ord.add(ref("AccountId", "Account", "Account"))
	ord.add(derived("OrderNumber", typeString))
	ord.add(&fieldDef{name: "Status", typ: typePicklist, filterable: true, length: 255, picklist: []string{"Draft", "Activated"}})
	ord.add(derived("StatusCode", typePicklist))
	ord.add(derived("ActivatedDate", typeDatetime))
	ord.add(&fieldDef{name: "EffectiveDate", typ: typeDate, filterable: true})
	ord.add(derived("TotalAmount", typeCurrency))
	ord.add(ref("BillToContactId", "Contact", "BillToContact"))
	ord.add(ref("ShipToContactId", "Contact", "ShipToContact"))
	ord.add(ref("CustomerAuthorizedById", "Contact", "CustomerAuthorizedBy"))
	put(ord)

	ocr := newObject("OpportunityContactRole", "00K", false)
	addSystem(ocr)
	ocr.add(ref("OpportunityId", "Opportunity", "Opportunity"))
	ocr.add(ref("ContactId", "Contact", "Contact"))
	ocr.add(std("Role", typePicklist))
	ocr.add(&fieldDef{name: "IsPrimary", typ: typeBoolean, filterable: true})
	put(ocr)
	addChild(opp, "OpportunityContactRoles", ocr, "OpportunityId")
	addChild(acc, "Contacts", con, "AccountId")
	addChild(acc, "Opportunities", opp, "AccountId")
	addChild(acc, "Orders", ord, "AccountId")

	if o.MultiCurrency {
		for _, ob := range []*objectDef{acc, con, opp, ord} {
			ob.add(&fieldDef{name: "CurrencyIsoCode", typ: typePicklist, filterable: true, length: 3, restricted: true})
		}
		ct := newObject("CurrencyType", "01L", false)
		addSystem(ct)
		ct.add(&fieldDef{name: "IsoCode", typ: typePicklist, filterable: true, length: 3})
		ct.add(&fieldDef{name: "ConversionRate", typ: typeDouble, filterable: true, precision: 18, scale: 6})
		ct.add(&fieldDef{name: "DecimalPlaces", typ: typeInt, filterable: true})
		ct.add(&fieldDef{name: "IsActive", typ: typeBoolean, filterable: true})
		ct.add(&fieldDef{name: "IsCorporate", typ: typeBoolean, filterable: true})
		put(ct)
		if o.DatedRates {
			dr := newObject("DatedConversionRate", "04w", false)
			addSystem(dr)
			dr.add(&fieldDef{name: "IsoCode", typ: typePicklist, filterable: true, length: 3})
			dr.add(&fieldDef{name: "ConversionRate", typ: typeDouble, filterable: true, precision: 18, scale: 6})
			dr.add(&fieldDef{name: "StartDate", typ: typeDate, filterable: true})
			dr.add(derived("NextStartDate", typeDate))
			put(dr)
		}
	}

	usr := newObject("User", "005", false)
	addSystem(usr)
	usr.add(&fieldDef{name: "Username", typ: typeString, filterable: true, length: 80})
	usr.add(std("IsActive", typeBoolean))
	put(usr)

	ps := newObject("PermissionSet", "0PS", false)
	ps.creatable = true
	addSystem(ps)
	ps.add(&fieldDef{name: "Name", typ: typeString, filterable: true, length: 80})
	ps.add(&fieldDef{name: "Label", typ: typeString, filterable: true, length: 80})
	ps.add(derived("IsOwnedByProfile", typeBoolean))
	put(ps)

	fp := newObject("FieldPermissions", "01k", false)
	fp.creatable = true
	addSystem(fp)
	fp.add(ref("ParentId", "PermissionSet", "Parent"))
	fp.add(&fieldDef{name: "SobjectType", typ: typePicklist, filterable: true, length: 40})
	fp.add(&fieldDef{name: "Field", typ: typeString, filterable: true, length: 120})
	fp.add(&fieldDef{name: "PermissionsRead", typ: typeBoolean, filterable: true})
	fp.add(&fieldDef{name: "PermissionsEdit", typ: typeBoolean, filterable: true})
	put(fp)

	psa := newObject("PermissionSetAssignment", "0Pa", false)
	psa.creatable = true
	addSystem(psa)
	psa.add(ref("AssigneeId", "User", "Assignee"))
	psa.add(ref("PermissionSetId", "PermissionSet", "PermissionSet"))
	put(psa)
	return m
}

// newToolingSchema holds the Tooling API's CustomField (§5.2).
func newToolingSchema() map[string]*objectDef {
	cf := newObject("CustomField", "00N", true)
	cf.add(sys("Id", typeID))
	cf.add(&fieldDef{name: "DeveloperName", typ: typeString, filterable: true, length: 40})
	cf.add(&fieldDef{name: "TableEnumOrId", typ: typeString, filterable: true, length: 40})
	cf.add(&fieldDef{name: "FullName", typ: typeString, filterable: true, length: 120})
	cf.add(sys("CreatedDate", typeDatetime))
	cf.add(sys("SystemModstamp", typeDatetime))
	return map[string]*objectDef{"customfield": cf}
}

func stageNames(o *Options) []string {
	var out []string
	for _, s := range o.Stages {
		out = append(out, s.Name)
	}
	return out
}

// Stage is an Opportunity stage and the flags it implies (IsWon/IsClosed
// are derived from the stage definition, §2.7).
type Stage struct {
	Name   string
	Won    bool
	Closed bool
}

// DefaultStages are a fresh org's stages.
var DefaultStages = []Stage{
	{Name: "Prospecting"}, {Name: "Qualification"}, {Name: "Proposal/Price Quote"},
	{Name: "Negotiation/Review"}, {Name: "Closed Won", Won: true, Closed: true},
	{Name: "Closed Lost", Closed: true},
}

// visibleFields lists the fields the integration user can read.
func (o *objectDef) visibleFields() []*fieldDef {
	var out []*fieldDef
	for _, f := range o.fields {
		if !f.hidden {
			out = append(out, f)
		}
	}
	return out
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
