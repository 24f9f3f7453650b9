package hubspottest

import (
	"slices"
	"strconv"
	"time"
)

// value is one stored property value. HubSpot distinguishes null from ""
// (an amount can be either, §8 pitfall 13); both count as "no value" for
// HAS_PROPERTY.
type value struct {
	s    string
	null bool
}

func (v value) isSet() bool { return !v.null && v.s != "" }

// version is an immutable snapshot of a record. Writes create a new version,
// so a lagging search index can keep serving an older one (Options.SearchLag).
type version struct {
	props      map[string]value
	updatedAt  time.Time
	archived   bool
	archivedAt time.Time
	// writtenAt is the clock time of the write, which is what search lag
	// measures (updatedAt can be seeded to any value).
	writtenAt time.Time
}

// entry is one record and its recent history.
type entry struct {
	id        int64
	createdAt time.Time
	cur       *version
	// hist holds superseded versions that a lagging search may still show,
	// oldest first.
	hist []*version
	// mergedInto is the surviving record's ID once this one was merged away.
	mergedInto int64
}

// gone reports a record merged into another: it no longer resolves.
func (e *entry) gone() bool { return e.mergedInto != 0 }

// table is the store of one object type.
type table struct {
	meta *objectMeta
	byID map[int64]*entry
	// order holds every entry, by ascending ID when sorted is true; scans
	// walk it instead of hashing IDs, which dominated 100k-record searches.
	order  []*entry
	sorted bool
	nextID int64
	// gen changes on every write; it keys the search result cache.
	gen    uint64
	props  map[string]*Property
	groups map[string]*PropertyGroup
	cache  searchCache
}

func newTable(m *objectMeta, o *Options, now time.Time) *table {
	t := &table{meta: m, byID: map[int64]*entry{}, sorted: true, nextID: o.IDStart,
		props: map[string]*Property{}, groups: map[string]*PropertyGroup{}}
	for _, p := range o.builtinProperties(m, now) {
		t.props[p.Name] = p
	}
	g := builtinGroup(m)
	t.groups[g] = &PropertyGroup{Name: g, Label: m.singular + " information", DisplayOrder: -1}
	return t
}

// sorted returns every entry by ascending ID, sorting lazily after
// out-of-order inserts.
func (t *table) sortedEntries() []*entry {
	if !t.sorted {
		slices.SortFunc(t.order, func(a, b *entry) int { return cmpInt(a.id, b.id) })
		t.sorted = true
	}
	return t.order
}

// from returns the index of the first entry with an ID ≥ id.
func (t *table) from(id int64) int {
	order := t.sortedEntries()
	i, _ := slices.BinarySearchFunc(order, id, func(e *entry, id int64) int { return cmpInt(e.id, id) })
	return i
}

// insert adds a new entry.
func (t *table) insert(e *entry) {
	t.byID[e.id] = e
	if n := len(t.order); n > 0 && t.order[n-1].id > e.id {
		t.sorted = false
	}
	t.order = append(t.order, e)
	if e.id >= t.nextID {
		t.nextID = e.id + 1
	}
	t.gen++
}

// remove deletes an entry for good (a GDPR-style purge).
func (t *table) remove(id int64) {
	delete(t.byID, id)
	t.order = slices.DeleteFunc(t.order, func(e *entry) bool { return e.id == id })
	t.gen++
}

// lookup returns a live (not merged) entry.
func (t *table) lookup(id int64) *entry {
	e := t.byID[id]
	if e == nil || e.gone() {
		return nil
	}
	return e
}

// lookupString parses a decimal record ID.
func (t *table) lookupString(id string) *entry {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil
	}
	return t.lookup(n)
}

// commit installs nv as e's current version at the clock's now, keeping the
// history a lagging search needs and dropping what it can no longer show.
func (s *Server) commit(t *table, e *entry, nv *version) {
	now := s.clock.Now()
	nv.writtenAt = now
	if lag := s.opts.SearchLag; lag > 0 && e.cur != nil {
		e.hist = append(e.hist, e.cur)
		cutoff := now.Add(-lag)
		keep := 0
		for i := len(e.hist) - 1; i >= 0; i-- {
			if !e.hist[i].writtenAt.After(cutoff) {
				keep = i
				break
			}
		}
		e.hist = e.hist[keep:]
	}
	e.cur = nv
	t.gen++
}

// searchView returns the version the search index shows at cutoff, or nil
// when the record is not indexed yet.
func (e *entry) searchView(cutoff time.Time, lagging bool) *version {
	if !lagging || !e.cur.writtenAt.After(cutoff) {
		return e.cur
	}
	for i := len(e.hist) - 1; i >= 0; i-- {
		if !e.hist[i].writtenAt.After(cutoff) {
			return e.hist[i]
		}
	}
	return nil
}

// applyProps writes changes to e as one write: a new version with the changes
// merged, calculated properties recomputed and the modified timestamp bumped
// to now (or set to modifiedAt when given), as every HubSpot write does.
func (s *Server) applyProps(t *table, e *entry, changes map[string]value, modifiedAt *time.Time) {
	old := e.cur
	props := make(map[string]value, len(old.props)+len(changes)+4)
	for k, v := range old.props {
		props[k] = v
	}
	for k, v := range changes {
		props[k] = v
	}
	s.recompute(t.meta, props)
	nv := &version{props: props, updatedAt: s.stamp(modifiedAt),
		archived: old.archived, archivedAt: old.archivedAt}
	s.commit(t, e, nv)
}

// stamp returns the modified time of a write: explicit or now, at HubSpot's
// millisecond precision.
func (s *Server) stamp(explicit *time.Time) time.Time {
	if explicit != nil {
		return explicit.UTC().Truncate(time.Millisecond)
	}
	return s.clock.Now().Truncate(time.Millisecond)
}

// virtualValue resolves properties mirrored from record fields:
// hs_object_id, createdate and the type's modified-date property.
func virtualValue(m *objectMeta, e *entry, v *version, name string) (string, bool) {
	switch name {
	case "hs_object_id":
		return strconv.FormatInt(e.id, 10), true
	case "createdate":
		return formatTime(e.createdAt), true
	case m.modified:
		return formatTime(v.updatedAt), true
	}
	return "", false
}

// propValue returns a property of a version, including virtual ones; ok is
// false when the record holds nothing for name.
func propValue(m *objectMeta, e *entry, v *version, name string) (value, bool) {
	if s, ok := virtualValue(m, e, v, name); ok {
		return value{s: s}, true
	}
	val, ok := v.props[name]
	return val, ok
}

// outProps builds a response's properties map: requested names that are
// defined (null when unset) or stored; unknown names are dropped silently
// (§8 pitfall 14).
func outProps(t *table, e *entry, v *version, names []string) map[string]*string {
	out := make(map[string]*string, len(names))
	for _, n := range names {
		val, ok := propValue(t.meta, e, v, n)
		if !ok {
			if _, defined := t.props[n]; defined {
				out[n] = nil
			}
			continue
		}
		if val.null {
			out[n] = nil
			continue
		}
		s := val.s
		out[n] = &s
	}
	return out
}

// withDefaults adds the properties HubSpot always returns next to requested
// ones (§2.1), or the type's defaults when none were requested.
func withDefaults(m *objectMeta, requested []string) []string {
	if len(requested) == 0 {
		return m.defaults
	}
	out := make([]string, 0, len(requested)+3)
	seen := map[string]bool{}
	for _, n := range append(append([]string(nil), requested...), "createdate", m.modified, "hs_object_id") {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
