package hubspottest

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// operators are HubSpot's search filter operators (§2.1); anything else is
// rejected the way HubSpot's JSON layer rejects an unknown enum constant.
var operators = map[string]bool{
	"EQ": true, "NEQ": true, "LT": true, "LTE": true, "GT": true, "GTE": true,
	"BETWEEN": true, "IN": true, "NOT_IN": true, "HAS_PROPERTY": true,
	"NOT_HAS_PROPERTY": true, "CONTAINS_TOKEN": true, "NOT_CONTAINS_TOKEN": true,
}

// operatorList is the list HubSpot prints in the unknown-operator message.
const operatorList = "[EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN, NOT_CONTAINS_TOKEN]"

// propKind is how values of a property compare.
type propKind int

const (
	kindString propKind = iota // case-insensitive
	kindEnum                   // case-sensitive for every operator (§2.1)
	kindBool
	kindNumber
	kindDatetime
	kindDate
)

func (k propKind) numeric() bool { return k >= kindNumber }

// virt marks properties mirrored from record fields, read without parsing.
type virt int

const (
	virtNone virt = iota
	virtID
	virtCreated
	virtModified
)

// kindOf returns how name compares on t. hs_object_id compares numerically:
// the contract lists this as open (an Airbyte test suite suggests HubSpot
// compares it as a string), and §2.2 asks the fake to compare numerically
// while the client guards by checking that IDs increase. Unknown properties
// compare as strings and are simply unset on every record, so filtering on
// them matches nothing, silently.
func kindOf(t *table, name string) (propKind, virt) {
	switch name {
	case "hs_object_id":
		return kindNumber, virtID
	case "createdate":
		return kindDatetime, virtCreated
	case t.meta.modified:
		return kindDatetime, virtModified
	}
	def := t.props[name]
	if def == nil {
		return kindString, virtNone
	}
	switch def.Type {
	case "number":
		return kindNumber, virtNone
	case "datetime":
		return kindDatetime, virtNone
	case "date":
		return kindDate, virtNone
	case "bool":
		return kindBool, virtNone
	case "enumeration":
		return kindEnum, virtNone
	}
	return kindString, virtNone
}

// filterIn is one filter as sent.
type filterIn struct {
	PropertyName string            `json:"propertyName"`
	Operator     string            `json:"operator"`
	Value        json.RawMessage   `json:"value"`
	HighValue    json.RawMessage   `json:"highValue"`
	Values       []json.RawMessage `json:"values"`
}

// cfilter is a compiled filter.
type cfilter struct {
	prop   string
	op     string
	kind   propKind
	virt   virt
	assoc  *objectMeta // associations.{type} pseudo-property
	n1, n2 float64
	s1, s2 string
	nset   []float64
	sset   map[string]bool
}

// compileFilter validates one filter and parses its values for the
// property's kind; the string is a 400 message.
func compileFilter(t *table, in filterIn) (*cfilter, string) {
	var missing []string
	if in.PropertyName == "" {
		missing = append(missing, "propertyName")
	}
	if in.Operator == "" {
		missing = append(missing, "operator")
	}
	if len(missing) > 0 {
		return nil, fmt.Sprintf("Invalid input JSON: Cannot build Filter, some of required attributes are not set [%s]", strings.Join(missing, ", "))
	}
	if !operators[in.Operator] {
		return nil, fmt.Sprintf("Invalid input JSON: Cannot deserialize value of type `FilterOperator` from String %q: not one of the values accepted for Enum class: %s", in.Operator, operatorList)
	}
	f := &cfilter{prop: in.PropertyName, op: in.Operator}
	if rest, ok := strings.CutPrefix(f.prop, "associations."); ok {
		f.assoc = lookupType(rest)
		if f.assoc == nil {
			return nil, fmt.Sprintf("Unable to infer object type from: %s", rest)
		}
		f.kind = kindString
	} else {
		f.kind, f.virt = kindOf(t, f.prop)
	}
	if f.op == "CONTAINS_TOKEN" || f.op == "NOT_CONTAINS_TOKEN" {
		f.kind = kindString
	}
	val, hasVal := scalar(in.Value)
	switch f.op {
	case "HAS_PROPERTY", "NOT_HAS_PROPERTY":
		if hasVal && val != "" {
			return nil, fmt.Sprintf("Operator %s does not take a value (property %s)", f.op, f.prop)
		}
		return f, ""
	case "IN", "NOT_IN":
		if len(in.Values) == 0 {
			return nil, fmt.Sprintf("Operator %s requires a non-empty values list (property %s)", f.op, f.prop)
		}
		f.sset = map[string]bool{}
		for _, raw := range in.Values {
			v, ok := scalar(raw)
			if !ok {
				return nil, fmt.Sprintf("Operator %s requires scalar values (property %s)", f.op, f.prop)
			}
			if f.kind.numeric() {
				n, msg := f.parse(v)
				if msg != "" {
					return nil, msg
				}
				f.nset = append(f.nset, n)
			}
			f.sset[v] = true
		}
		return f, ""
	}
	if !hasVal {
		return nil, fmt.Sprintf("Operator %s requires a value (property %s)", f.op, f.prop)
	}
	f.s1 = val
	if f.op == "BETWEEN" {
		hi, ok := scalar(in.HighValue)
		if !ok {
			return nil, fmt.Sprintf("Operator BETWEEN requires a highValue (property %s)", f.prop)
		}
		f.s2 = hi
	}
	if f.kind.numeric() {
		var msg string
		if f.n1, msg = f.parse(f.s1); msg != "" {
			return nil, msg
		}
		if f.op == "BETWEEN" {
			if f.n2, msg = f.parse(f.s2); msg != "" {
				return nil, msg
			}
		}
	}
	return f, ""
}

// isIDRange reports an hs_object_id comparison that can be applied to
// cached matches by ID alone.
func (f *cfilter) isIDRange() bool {
	if f.virt != virtID {
		return false
	}
	switch f.op {
	case "EQ", "GT", "GTE", "LT", "LTE", "BETWEEN":
		return true
	}
	return false
}

// key identifies the filter in the search cache.
func (f *cfilter) key() string {
	set := make([]string, 0, len(f.sset))
	for v := range f.sset {
		set = append(set, v)
	}
	slices.Sort(set)
	return fmt.Sprintf("[%q %s %q %q %q]", f.prop, f.op, f.s1, f.s2, set)
}

// parse converts a filter value for a numeric kind: numbers, or epoch
// milliseconds / ISO-8601 for dates.
func (f *cfilter) parse(s string) (float64, string) {
	switch f.kind {
	case kindNumber:
		n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return 0, fmt.Sprintf("%s is not a valid number for property %s", s, f.prop)
		}
		return n, ""
	default:
		tm, ok := parseTimeInput(s)
		if !ok {
			return 0, fmt.Sprintf("%s is not a valid date or epoch milliseconds value for property %s", s, f.prop)
		}
		return epochMS(tm), ""
	}
}

// idLowerBound returns the smallest record ID a filter group can match, from
// its hs_object_id filters, so a keyset search (hs_object_id GT last) scans
// only the remaining range instead of every record.
func idLowerBound(group []*cfilter) int64 {
	var lb int64
	for _, f := range group {
		if f.virt != virtID {
			continue
		}
		var b float64
		switch f.op {
		case "GT":
			b = math.Floor(f.n1) + 1
		case "GTE", "EQ", "BETWEEN":
			b = math.Ceil(f.n1)
		case "IN":
			b = math.Inf(1)
			for _, n := range f.nset {
				b = math.Min(b, math.Ceil(n))
			}
		default:
			continue
		}
		if b > float64(math.MaxInt64/2) {
			b = float64(math.MaxInt64 / 2)
		}
		if int64(b) > lb {
			lb = int64(b)
		}
	}
	return lb
}
