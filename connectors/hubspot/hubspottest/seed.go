package hubspottest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Props are property values for seeding. A value may be a string (stored as
// is, except that datetime/date properties are normalised to HubSpot's
// output format when parseable), nil (stored as JSON null — distinct from ""),
// a time.Time, an integer, a float or a bool.
//
// "createdate" sets the creation time, and the type's modified-date property
// ("hs_lastmodifieddate", contacts "lastmodifieddate") pins the modified time
// of this write instead of the clock's now. Calculated properties
// (hs_is_closed_won, amount_in_home_currency, …) are always recomputed.
type Props map[string]any

// Record is a stored record as a test sees it: every stored property (nil
// for null), including the calculated ones and the mirrored hs_object_id,
// createdate and modified date.
type Record struct {
	ID         string
	Properties map[string]*string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Archived   bool
	ArchivedAt time.Time
	// MergedInto is the surviving record's ID after a merge, else "".
	MergedInto string
}

// Create stores a new record with an auto-assigned ID and returns the ID.
func (s *Server) Create(t ObjectType, props Props) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.tables[mustType(t).plural]
	return s.createLocked(tb, tb.nextID, props)
}

// CreateWithID stores a new record under a chosen decimal ID; it panics if
// the ID is taken or not a positive decimal number.
func (s *Server) CreateWithID(t ObjectType, id string, props Props) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		panic(fmt.Sprintf("hubspottest: record ID %q is not a positive decimal", id))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.tables[mustType(t).plural]
	if tb.byID[n] != nil {
		panic(fmt.Sprintf("hubspottest: %s %s already exists", t, id))
	}
	s.createLocked(tb, n, props)
}

// CreateMany stores n records built by fn under one lock, for large
// fixtures, and returns their IDs in creation order.
func (s *Server) CreateMany(t ObjectType, n int, fn func(i int) Props) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.tables[mustType(t).plural]
	ids := make([]string, n)
	for i := range n {
		ids[i] = s.createLocked(tb, tb.nextID, fn(i))
	}
	return ids
}

// CreateDeal is Create(Deals, props).
func (s *Server) CreateDeal(props Props) string { return s.Create(Deals, props) }

// CreateOrder is Create(Orders, props).
func (s *Server) CreateOrder(props Props) string { return s.Create(Orders, props) }

// CreateContact is Create(Contacts, props).
func (s *Server) CreateContact(props Props) string { return s.Create(Contacts, props) }

// CreateCompany is Create(Companies, props).
func (s *Server) CreateCompany(props Props) string { return s.Create(Companies, props) }

func (s *Server) createLocked(tb *table, id int64, props Props) string {
	now := s.clock.Now().Truncate(time.Millisecond)
	changes, created, modified := s.seedChanges(tb, props)
	e := &entry{id: id, createdAt: now}
	if created != nil {
		e.createdAt = created.Truncate(time.Millisecond)
	}
	tb.insert(e)
	s.recompute(tb.meta, changes)
	s.commit(tb, e, &version{props: changes, updatedAt: s.stamp(modified)})
	return strconv.FormatInt(id, 10)
}

// Update writes props to a record, bumping its modified timestamp.
func (s *Server) Update(t ObjectType, id string, props Props) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb, e := s.mustEntry(t, id)
	changes, created, modified := s.seedChanges(tb, props)
	if created != nil {
		e.createdAt = created.Truncate(time.Millisecond)
	}
	s.applyProps(tb, e, changes, modified)
}

// Touch bumps a record's modified timestamp without changing a value, like
// a workflow touching it; mid-paging it moves the record across page
// boundaries of a search sorted by modified date.
func (s *Server) Touch(t ObjectType, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb, e := s.mustEntry(t, id)
	s.applyProps(tb, e, nil, nil)
}

// BulkStamp gives many records the same modified timestamp, as HubSpot's
// bulk jobs do (§8 pitfall 2).
func (s *Server) BulkStamp(t ObjectType, ids []string, modified time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		tb, e := s.mustEntry(t, id)
		s.applyProps(tb, e, nil, &modified)
	}
}

// Archive soft-deletes a record: search and default lists stop showing it;
// list with archived=true shows it with archivedAt.
func (s *Server) Archive(t ObjectType, id string) {
	s.setArchived(t, id, true)
}

// Unarchive restores an archived record (a write: the modified date moves).
func (s *Server) Unarchive(t ObjectType, id string) {
	s.setArchived(t, id, false)
}

func (s *Server) setArchived(t ObjectType, id string, archived bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb, e := s.mustEntry(t, id)
	nv := *e.cur
	nv.archived = archived
	if archived {
		nv.archivedAt = s.clock.Now().Truncate(time.Millisecond)
	} else {
		nv.archivedAt = time.Time{}
		nv.updatedAt = s.stamp(nil)
	}
	s.commit(tb, e, &nv)
}

// Purge deletes a record and its associations for good (a GDPR delete): it
// is not even listed as archived.
func (s *Server) Purge(t ObjectType, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb, e := s.mustEntry(t, id)
	s.dropAssociations(tb.meta.plural, e.id)
	tb.remove(e.id)
}

// DeleteContact archives a contact, as deleting one in HubSpot does.
func (s *Server) DeleteContact(id string) { s.Archive(Contacts, id) }

// Merge merges record mergedID into primaryID: the merged ID stops
// resolving (404 on read, absent from search and lists, silently dropped from
// batch/update results, §8 pitfall 18), its associations move to the
// primary, and the primary lists it in hs_merged_object_ids.
func (s *Server) Merge(t ObjectType, primaryID, mergedID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb, primary := s.mustEntry(t, primaryID)
	_, merged := s.mustEntry(t, mergedID)
	if primary == merged {
		panic("hubspottest: cannot merge a record into itself")
	}
	s.moveAssociations(tb.meta.plural, merged.id, primary.id)
	merged.mergedInto = primary.id
	ids := primary.cur.props["hs_merged_object_ids"].s
	if ids != "" {
		ids += ";"
	}
	ids += mergedID
	s.applyProps(tb, primary, map[string]value{"hs_merged_object_ids": {s: ids}}, nil)
}

// MergeContacts is Merge(Contacts, primaryID, mergedID).
func (s *Server) MergeContacts(primaryID, mergedID string) { s.Merge(Contacts, primaryID, mergedID) }

// Get returns a record's stored state, merged ones included; ok is false
// for unknown IDs.
func (s *Server) Get(t ObjectType, id string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.tables[mustType(t).plural]
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return Record{}, false
	}
	e := tb.byID[n]
	if e == nil {
		return Record{}, false
	}
	r := Record{ID: id, CreatedAt: e.createdAt, UpdatedAt: e.cur.updatedAt,
		Archived: e.cur.archived, ArchivedAt: e.cur.archivedAt,
		Properties: map[string]*string{}}
	if e.mergedInto != 0 {
		r.MergedInto = strconv.FormatInt(e.mergedInto, 10)
	}
	for k, v := range e.cur.props {
		if v.null {
			r.Properties[k] = nil
			continue
		}
		val := v.s
		r.Properties[k] = &val
	}
	for _, k := range []string{"hs_object_id", "createdate", tb.meta.modified} {
		v, _ := virtualValue(tb.meta, e, e.cur, k)
		r.Properties[k] = &v
	}
	return r, true
}

// Value returns one stored property; ok is false when it is unset or null
// (an empty string is returned with ok true).
func (s *Server) Value(t ObjectType, id, prop string) (string, bool) {
	r, found := s.Get(t, id)
	if !found {
		return "", false
	}
	v := r.Properties[prop]
	if v == nil {
		return "", false
	}
	return *v, true
}

// IDs lists the IDs of records that still resolve (archived included,
// merged excluded), ascending.
func (s *Server) IDs(t ObjectType) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.tables[mustType(t).plural]
	var out []string
	for _, e := range tb.sortedEntries() {
		if !e.gone() {
			out = append(out, strconv.FormatInt(e.id, 10))
		}
	}
	return out
}

func (s *Server) mustEntry(t ObjectType, id string) (*table, *entry) {
	tb := s.tables[mustType(t).plural]
	e := tb.lookupString(id)
	if e == nil {
		panic(fmt.Sprintf("hubspottest: no %s with ID %q", t, id))
	}
	return tb, e
}

// seedChanges converts Props into stored values, pulling out the record
// timestamps.
func (s *Server) seedChanges(tb *table, props Props) (changes map[string]value, created, modified *time.Time) {
	changes = make(map[string]value, len(props))
	for k, raw := range props {
		switch k {
		case "hs_object_id":
			panic("hubspottest: set record IDs with CreateWithID, not hs_object_id")
		case "createdate", tb.meta.modified:
			tm, ok := seedTime(raw)
			if !ok {
				panic(fmt.Sprintf("hubspottest: %s must be a time or timestamp, got %v", k, raw))
			}
			if k == "createdate" {
				created = &tm
			} else {
				modified = &tm
			}
			continue
		}
		changes[k] = seedValue(tb.props[k], raw)
	}
	return changes, created, modified
}

func seedTime(raw any) (time.Time, bool) {
	switch v := raw.(type) {
	case time.Time:
		return v.UTC(), true
	case string:
		return parseTimeInput(v)
	case int64:
		return time.UnixMilli(v).UTC(), true
	case int:
		return time.UnixMilli(int64(v)).UTC(), true
	}
	return time.Time{}, false
}

// seedValue converts one seeded value, normalising dates for date-typed
// properties the way HubSpot stores written values.
func seedValue(def *Property, raw any) value {
	var str string
	switch v := raw.(type) {
	case nil:
		return value{null: true}
	case *string:
		if v == nil {
			return value{null: true}
		}
		str = *v
	case string:
		str = v
	case time.Time:
		if def != nil && def.Type == "date" {
			return value{s: v.UTC().Format("2006-01-02")}
		}
		return value{s: formatTime(v)}
	case int:
		str = strconv.Itoa(v)
	case int64:
		str = strconv.FormatInt(v, 10)
	case int32:
		str = strconv.FormatInt(int64(v), 10)
	case float64:
		str = strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		str = strconv.FormatFloat(float64(v), 'f', -1, 32)
	case bool:
		str = strconv.FormatBool(v)
	default:
		panic(fmt.Sprintf("hubspottest: unsupported seed value %T", raw))
	}
	if def != nil && str != "" {
		str = normaliseStored(def, str)
	}
	return value{s: str}
}

// normaliseStored converts an accepted input into the form HubSpot returns:
// datetimes as ISO-8601, dates as YYYY-MM-DD, booleans lower-case; anything
// it cannot parse is kept as written.
func normaliseStored(def *Property, s string) string {
	switch def.Type {
	case "datetime":
		if t, ok := parseTimeInput(s); ok {
			return formatTime(t)
		}
	case "date":
		if t, ok := parseTimeInput(s); ok {
			return t.Format("2006-01-02")
		}
	case "bool":
		return strings.ToLower(s)
	}
	return s
}
