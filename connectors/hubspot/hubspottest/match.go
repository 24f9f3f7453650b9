package hubspottest

import (
	"cmp"
	"strings"
	"unicode"
)

// numValue reads a numeric-kind property; set is false when absent or
// unparsable.
func numValue(t *table, kind propKind, vt virt, name string, e *entry, v *version) (float64, bool) {
	switch vt {
	case virtID:
		return float64(e.id), true
	case virtCreated:
		return epochMS(e.createdAt), true
	case virtModified:
		return epochMS(v.updatedAt), true
	}
	val, ok := v.props[name]
	if !ok || !val.isSet() {
		return 0, false
	}
	if kind == kindNumber {
		return parseNumber(val.s)
	}
	tm, ok := parseTimeInput(val.s)
	if !ok {
		return 0, false
	}
	return epochMS(tm), true
}

// strValue reads any property as its string form.
func strValue(t *table, name string, e *entry, v *version) (string, bool) {
	val, ok := propValue(t.meta, e, v, name)
	if !ok || !val.isSet() {
		return "", false
	}
	return val.s, true
}

// match evaluates f on one record version; s.mu is held.
func (f *cfilter) match(s *Server, t *table, e *entry, v *version) bool {
	if f.assoc != nil {
		return f.matchSet(s.associatedIDs(t.meta.plural, f.assoc.plural, e.id))
	}
	if f.kind.numeric() {
		x, set := numValue(t, f.kind, f.virt, f.prop, e, v)
		return f.matchNum(x, set)
	}
	str, set := strValue(t, f.prop, e, v)
	return f.matchStr(str, set)
}

// unsetMatches is the answer for a record without the property: only the
// negative operators match it.
func (f *cfilter) unsetMatches() bool {
	switch f.op {
	case "NEQ", "NOT_IN", "NOT_HAS_PROPERTY", "NOT_CONTAINS_TOKEN":
		return true
	}
	return false
}

func (f *cfilter) matchNum(x float64, set bool) bool {
	if !set {
		return f.unsetMatches()
	}
	switch f.op {
	case "HAS_PROPERTY":
		return true
	case "NOT_HAS_PROPERTY":
		return false
	case "EQ":
		return x == f.n1
	case "NEQ":
		return x != f.n1
	case "LT":
		return x < f.n1
	case "LTE":
		return x <= f.n1
	case "GT":
		return x > f.n1
	case "GTE":
		return x >= f.n1
	case "BETWEEN":
		return x >= f.n1 && x <= f.n2
	case "IN", "NOT_IN":
		in := false
		for _, n := range f.nset {
			if n == x {
				in = true
				break
			}
		}
		return in == (f.op == "IN")
	}
	return false
}

func (f *cfilter) matchStr(x string, set bool) bool {
	if !set {
		return f.unsetMatches()
	}
	fold := f.kind != kindEnum
	switch f.op {
	case "EQ", "NEQ":
		eq := x == f.s1 || (fold && strings.EqualFold(x, f.s1))
		return eq == (f.op == "EQ")
	}
	c := func(a, b string) int {
		if fold {
			return cmp.Compare(strings.ToLower(a), strings.ToLower(b))
		}
		return cmp.Compare(a, b)
	}
	switch f.op {
	case "HAS_PROPERTY":
		return true
	case "NOT_HAS_PROPERTY":
		return false
	case "EQ":
		return c(x, f.s1) == 0
	case "NEQ":
		return c(x, f.s1) != 0
	case "LT":
		return c(x, f.s1) < 0
	case "LTE":
		return c(x, f.s1) <= 0
	case "GT":
		return c(x, f.s1) > 0
	case "GTE":
		return c(x, f.s1) >= 0
	case "BETWEEN":
		return c(x, f.s1) >= 0 && c(x, f.s2) <= 0
	case "IN", "NOT_IN":
		// For string properties IN compares against the lower-cased stored
		// value, so upper-case filter values never match (§2.1);
		// enumerations compare exactly.
		key := x
		if fold {
			key = strings.ToLower(x)
		}
		return f.sset[key] == (f.op == "IN")
	case "CONTAINS_TOKEN":
		return containsToken(x, f.s1)
	case "NOT_CONTAINS_TOKEN":
		return !containsToken(x, f.s1)
	}
	return false
}

// matchSet evaluates an associations.{type} filter on the associated IDs.
func (f *cfilter) matchSet(ids []string) bool {
	if len(ids) == 0 {
		return f.unsetMatches()
	}
	has := func(want string) bool {
		for _, id := range ids {
			if id == strings.TrimSpace(want) {
				return true
			}
		}
		return false
	}
	switch f.op {
	case "HAS_PROPERTY":
		return true
	case "NOT_HAS_PROPERTY":
		return false
	case "EQ":
		return has(f.s1)
	case "NEQ":
		return !has(f.s1)
	case "IN", "NOT_IN":
		in := false
		for v := range f.sset {
			if has(v) {
				in = true
				break
			}
		}
		return in == (f.op == "IN")
	}
	return false
}

// containsToken approximates HubSpot's token match: the value is split into
// lower-cased words, and the pattern (with * wildcards) must match one of
// them or the whole value.
func containsToken(value, pattern string) bool {
	pattern = strings.ToLower(strings.TrimSpace(pattern))
	value = strings.ToLower(value)
	if wildcard(pattern, value) {
		return true
	}
	for _, tok := range strings.FieldsFunc(value, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if wildcard(pattern, tok) {
			return true
		}
	}
	return false
}

// wildcard matches s against a pattern whose only metacharacter is *.
func wildcard(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
