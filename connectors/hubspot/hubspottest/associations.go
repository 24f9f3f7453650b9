package hubspottest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Association categories (§3.2).
const (
	CategoryHubSpotDefined = "HUBSPOT_DEFINED"
	CategoryUserDefined    = "USER_DEFINED"
)

// AssociationType is one label of an association; Label "" is sent as null.
type AssociationType struct {
	Category string
	TypeID   int
	Label    string
}

// assocDef is a HubSpot-defined association type (§3.4) with its reverse
// and the legacy name v3 inline associations print.
type assocDef struct {
	from, to       ObjectType
	typeID, revID  int
	label          string
	legacy, revLeg string
}

var assocDefs = []assocDef{
	{Deals, Contacts, 3, 4, "", "deal_to_contact", "contact_to_deal"},
	{Deals, Companies, 341, 342, "", "deal_to_company_unlabeled", "company_to_deal_unlabeled"},
	{Deals, Companies, 5, 6, "Primary", "deal_to_company", "company_to_deal"},
	{Contacts, Companies, 279, 280, "", "contact_to_company_unlabeled", "company_to_contact_unlabeled"},
	{Contacts, Companies, 1, 2, "Primary", "contact_to_company", "company_to_contact"},
	{Orders, Contacts, 507, 508, "", "order_to_contact", "contact_to_order"},
	{Orders, Companies, 509, 510, "", "order_to_company", "company_to_order"},
	{Orders, Deals, 512, 511, "", "order_to_deal", "deal_to_order"},
}

// Primary deal→company association types: a primary company is stored with
// both, so it appears twice in v3 inline reads (§8 pitfall 8).
var (
	DealToCompanyUnlabeled = AssociationType{CategoryHubSpotDefined, 341, ""}
	DealToCompanyPrimary   = AssociationType{CategoryHubSpotDefined, 5, "Primary"}
)

type assocKey struct{ from, to ObjectType }

// edge is one association from a record to a target with its types.
type edge struct {
	to    int64
	types []AssociationType
}

// defaultType is the unlabeled HubSpot-defined type of a pair.
func defaultType(from, to ObjectType) (AssociationType, bool) {
	for _, d := range assocDefs {
		if d.label != "" {
			continue
		}
		if d.from == from && d.to == to {
			return AssociationType{CategoryHubSpotDefined, d.typeID, ""}, true
		}
		if d.from == to && d.to == from {
			return AssociationType{CategoryHubSpotDefined, d.revID, ""}, true
		}
	}
	return AssociationType{}, false
}

// reverseType maps a type to the one the target sees; user-defined labels
// keep their ID (the fake does not model paired label IDs).
func reverseType(from, to ObjectType, at AssociationType) AssociationType {
	for _, d := range assocDefs {
		if d.from == from && d.to == to && d.typeID == at.TypeID {
			return AssociationType{at.Category, d.revID, at.Label}
		}
		if d.from == to && d.to == from && d.revID == at.TypeID {
			return AssociationType{at.Category, d.typeID, at.Label}
		}
	}
	return at
}

// legacyName is the v3 inline "type" string of an association type.
func legacyName(from, to *objectMeta, at AssociationType) string {
	for _, d := range assocDefs {
		if d.from == from.plural && d.to == to.plural && d.typeID == at.TypeID {
			return d.legacy
		}
		if d.from == to.plural && d.to == from.plural && d.revID == at.TypeID {
			return d.revLeg
		}
	}
	name := from.singular + "_to_" + to.singular
	if at.Label != "" {
		name += "_" + strings.ToLower(strings.ReplaceAll(at.Label, " ", "_"))
	}
	return name
}

// Associate links two records (both directions). Without types it uses the
// pair's unlabeled HubSpot-defined type. Association writes do not change
// either record's modified date (§3.4, §8 pitfall 7).
func (s *Server) Associate(from ObjectType, fromID string, to ObjectType, toID string, types ...AssociationType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fm, tm := mustType(from), mustType(to)
	_, fe := s.mustEntry(fm.plural, fromID)
	_, te := s.mustEntry(tm.plural, toID)
	if len(types) == 0 {
		dt, ok := defaultType(fm.plural, tm.plural)
		if !ok {
			panic(fmt.Sprintf("hubspottest: no default association type for %s→%s; pass one", from, to))
		}
		types = []AssociationType{dt}
	}
	rev := make([]AssociationType, len(types))
	for i, at := range types {
		rev[i] = reverseType(fm.plural, tm.plural, at)
	}
	s.addEdge(fm.plural, tm.plural, fe.id, te.id, types)
	s.addEdge(tm.plural, fm.plural, te.id, fe.id, rev)
}

// AssociateDealContact links a deal to a contact (typeId 3).
func (s *Server) AssociateDealContact(dealID, contactID string) {
	s.Associate(Deals, dealID, Contacts, contactID)
}

// AssociateDealCompany links a deal to a company: unlabeled (341), or as
// the primary company, stored as 341 plus 5 "Primary" like HubSpot does.
func (s *Server) AssociateDealCompany(dealID, companyID string, primary bool) {
	if primary {
		s.Associate(Deals, dealID, Companies, companyID, DealToCompanyUnlabeled, DealToCompanyPrimary)
		return
	}
	s.Associate(Deals, dealID, Companies, companyID, DealToCompanyUnlabeled)
}

// AssociateOrderContact links an order to a contact (typeId 507).
func (s *Server) AssociateOrderContact(orderID, contactID string) {
	s.Associate(Orders, orderID, Contacts, contactID)
}

// AssociateOrderCompany links an order to a company (typeId 509).
func (s *Server) AssociateOrderCompany(orderID, companyID string) {
	s.Associate(Orders, orderID, Companies, companyID)
}

// Dissociate removes every association between two records.
func (s *Server) Dissociate(from ObjectType, fromID string, to ObjectType, toID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fm, tm := mustType(from), mustType(to)
	_, fe := s.mustEntry(fm.plural, fromID)
	_, te := s.mustEntry(tm.plural, toID)
	s.delEdge(fm.plural, tm.plural, fe.id, te.id)
	s.delEdge(tm.plural, fm.plural, te.id, fe.id)
}

// addEdge merges types into the edge from→to, keeping targets sorted.
func (s *Server) addEdge(from, to ObjectType, fromID, toID int64, types []AssociationType) {
	k := assocKey{from, to}
	if s.assoc[k] == nil {
		s.assoc[k] = map[int64][]*edge{}
	}
	edges := s.assoc[k][fromID]
	i, found := slices.BinarySearchFunc(edges, toID, func(e *edge, id int64) int { return cmpInt(e.to, id) })
	if !found {
		edges = slices.Insert(edges, i, &edge{to: toID})
		s.assoc[k][fromID] = edges
	}
	ed := edges[i]
	for _, at := range types {
		if !slices.ContainsFunc(ed.types, func(x AssociationType) bool { return x.TypeID == at.TypeID && x.Category == at.Category }) {
			ed.types = append(ed.types, at)
		}
	}
	s.bumpGen(from)
}

func (s *Server) delEdge(from, to ObjectType, fromID, toID int64) {
	m := s.assoc[assocKey{from, to}]
	if m == nil {
		return
	}
	m[fromID] = slices.DeleteFunc(m[fromID], func(e *edge) bool { return e.to == toID })
	s.bumpGen(from)
}

// bumpGen invalidates cached searches (associations.* filters read edges)
// without touching any record.
func (s *Server) bumpGen(t ObjectType) { s.tables[t].gen++ }

// dropAssociations removes every edge touching a purged record.
func (s *Server) dropAssociations(t ObjectType, id int64) {
	for k, m := range s.assoc {
		if k.from == t {
			for _, e := range m[id] {
				s.delEdge(k.to, k.from, e.to, id)
			}
			delete(m, id)
		}
	}
	s.bumpGen(t)
}

// moveAssociations re-points a merged record's associations to the survivor.
func (s *Server) moveAssociations(t ObjectType, from, to int64) {
	var keys []assocKey
	for k := range s.assoc {
		if k.from == t {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		for _, e := range slices.Clone(s.assoc[k][from]) {
			types := slices.Clone(e.types)
			s.delEdge(k.to, k.from, e.to, from)
			s.delEdge(k.from, k.to, from, e.to)
			rev := make([]AssociationType, len(types))
			for i, at := range types {
				rev[i] = reverseType(k.from, k.to, at)
			}
			s.addEdge(k.from, k.to, to, e.to, types)
			s.addEdge(k.to, k.from, e.to, to, rev)
		}
	}
}

// visibleEdges returns the edges of a live, unarchived record to live,
// unarchived targets; s.mu is held.
func (s *Server) visibleEdges(from, to ObjectType, id int64) []*edge {
	fe := s.tables[from].lookup(id)
	if fe == nil || fe.cur.archived {
		return nil
	}
	tt := s.tables[to]
	var out []*edge
	for _, e := range s.assoc[assocKey{from, to}][id] {
		if te := tt.lookup(e.to); te != nil && !te.cur.archived && len(e.types) > 0 {
			out = append(out, e)
		}
	}
	return out
}

// associatedIDs lists target IDs, for associations.{type} filters.
func (s *Server) associatedIDs(from, to ObjectType, id int64) []string {
	edges := s.visibleEdges(from, to, id)
	out := make([]string, len(edges))
	for i, e := range edges {
		out[i] = strconv.FormatInt(e.to, 10)
	}
	return out
}

// Associations returns the target IDs of a record's associations, ascending
// (for assertions).
func (s *Server) Associations(from ObjectType, fromID string, to ObjectType) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	fm, tm := mustType(from), mustType(to)
	n, err := strconv.ParseInt(fromID, 10, 64)
	if err != nil {
		return nil
	}
	return s.associatedIDs(fm.plural, tm.plural, n)
}
