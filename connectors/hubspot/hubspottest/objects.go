package hubspottest

import (
	"fmt"
	"strings"
)

// ObjectType names a CRM object type by its plural name, the canonical form
// the fake uses in its API. Every method that takes one also accepts the
// aliases HubSpot accepts in paths ("deal", "0-3", …).
type ObjectType string

// The object types rfmsync reads or writes.
const (
	Deals     ObjectType = "deals"
	Contacts  ObjectType = "contacts"
	Companies ObjectType = "companies"
	Orders    ObjectType = "orders"
)

// objectMeta holds what differs between object types: names, the modified
// timestamp property (contacts use lastmodifieddate, §8 pitfall 5) and the
// default property sets of search and list.
type objectMeta struct {
	plural   ObjectType
	singular string
	typeID   string
	// modified is the property mirroring updatedAt.
	modified string
	// defaults are returned when a request names no properties (§2.1).
	defaults []string
	// searchable are the properties the free-text search query looks at.
	searchable []string
}

var objectMetas = []*objectMeta{
	{
		plural: Deals, singular: "deal", typeID: "0-3", modified: "hs_lastmodifieddate",
		defaults: []string{"dealname", "amount", "closedate", "pipeline", "dealstage",
			"createdate", "hs_lastmodifieddate", "hs_object_id"},
		searchable: []string{"dealname", "pipeline", "dealstage", "description", "dealtype"},
	},
	{
		plural: Contacts, singular: "contact", typeID: "0-1", modified: "lastmodifieddate",
		defaults: []string{"firstname", "lastname", "email",
			"createdate", "lastmodifieddate", "hs_object_id"},
		searchable: []string{"firstname", "lastname", "email", "phone", "company"},
	},
	{
		plural: Companies, singular: "company", typeID: "0-2", modified: "hs_lastmodifieddate",
		defaults: []string{"name", "domain",
			"createdate", "hs_lastmodifieddate", "hs_object_id"},
		searchable: []string{"name", "domain", "website", "phone"},
	},
	{
		plural: Orders, singular: "order", typeID: "0-123", modified: "hs_lastmodifieddate",
		defaults:   []string{"createdate", "hs_lastmodifieddate", "hs_object_id"},
		searchable: []string{"hs_order_name", "hs_external_order_id"},
	},
}

// lookupType resolves a path segment or ObjectType alias; nil when unknown.
// HubSpot matches names case-insensitively.
func lookupType(name string) *objectMeta {
	n := strings.ToLower(name)
	for _, m := range objectMetas {
		if n == string(m.plural) || n == m.singular || n == m.typeID {
			return m
		}
	}
	return nil
}

// mustType resolves t for the seeding API, which panics on misuse.
func mustType(t ObjectType) *objectMeta {
	m := lookupType(string(t))
	if m == nil {
		panic(fmt.Sprintf("hubspottest: unknown object type %q", t))
	}
	return m
}

// upper is the object name as HubSpot prints it in batch error messages.
func (m *objectMeta) upper() string { return strings.ToUpper(m.singular) }

// readScope and writeScope are the granular scopes guarding the object.
func (m *objectMeta) readScope() string  { return "crm.objects." + string(m.plural) + ".read" }
func (m *objectMeta) writeScope() string { return "crm.objects." + string(m.plural) + ".write" }

// schemaReadScope and schemaWriteScope guard its property definitions.
func (m *objectMeta) schemaReadScope() string {
	return "crm.schemas." + string(m.plural) + ".read"
}
func (m *objectMeta) schemaWriteScope() string {
	return "crm.schemas." + string(m.plural) + ".write"
}

// allScopes is what a token configured with nil scopes is granted.
func allScopes() []string {
	out := []string{"oauth"}
	for _, m := range objectMetas {
		out = append(out, m.readScope(), m.writeScope(), m.schemaReadScope(), m.schemaWriteScope())
	}
	return out
}
