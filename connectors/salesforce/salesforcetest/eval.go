package salesforcetest

import (
	"math/big"
	"regexp"
	"sort"
	"strings"
	"time"
)

// valueOf reads a bound path from a record (parents through the store).
func (st *store) valueOf(r *record, p path) any {
	if p.rel == nil {
		return r.vals[p.field.name]
	}
	pid, _ := r.vals[p.rel.name].(string)
	parent := st.byID[pid]
	if parent == nil {
		return nil
	}
	return parent.vals[p.field.name]
}

// compare orders two non-nil values of one field type; ok is false when
// they cannot be compared.
func compare(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(strings.ToLower(x), strings.ToLower(y)), true
	case bool:
		y, ok := b.(bool)
		if !ok {
			return 0, false
		}
		switch {
		case x == y:
			return 0, true
		case !x:
			return -1, true
		}
		return 1, true
	case time.Time:
		y, ok := b.(time.Time)
		if !ok {
			return 0, false
		}
		return x.Compare(y), true
	case Date:
		y, ok := b.(Date)
		if !ok {
			return 0, false
		}
		return strings.Compare(string(x), string(y)), true
	case Money:
		y, ok := b.(Money)
		if !ok {
			return 0, false
		}
		xa, ok1 := new(big.Rat).SetString(string(x))
		ya, ok2 := new(big.Rat).SetString(string(y))
		if !ok1 || !ok2 {
			return 0, false
		}
		return xa.Cmp(ya), true
	}
	return 0, false
}

func (st *store) match(r *record, c *cond) bool {
	switch c.op {
	case "and":
		for _, k := range c.kids {
			if !st.match(r, k) {
				return false
			}
		}
		return true
	case "or":
		for _, k := range c.kids {
			if st.match(r, k) {
				return true
			}
		}
		return false
	case "not":
		return !st.match(r, c.kids[0])
	}
	v := st.valueOf(r, c.field)
	f := c.field.field
	switch c.op {
	case "in", "notin":
		in := false
		for _, l := range c.vals {
			lv := literalValue(f, l)
			if lv == nil && v == nil {
				in = true
			} else if lv != nil && v != nil {
				if n, ok := compare(v, lv); ok && n == 0 {
					in = true
				}
			}
		}
		return in == (c.op == "in")
	case "like":
		s, ok := v.(string)
		return ok && likeRe(c.vals[0].text).MatchString(s)
	}
	lv := literalValue(f, c.vals[0])
	if lv == nil || v == nil {
		switch c.op {
		case "=":
			return lv == nil && v == nil
		case "!=":
			return (lv == nil) != (v == nil)
		}
		return false
	}
	n, ok := compare(v, lv)
	if !ok {
		return false
	}
	switch c.op {
	case "=":
		return n == 0
	case "!=":
		return n != 0
	case "<":
		return n < 0
	case "<=":
		return n <= 0
	case ">":
		return n > 0
	case ">=":
		return n >= 0
	}
	return false
}

func likeRe(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?is)^")
	for _, r := range pattern {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// run selects the rows of q visible at now (query hides deleted ones,
// queryAll shows them), ordered and limited, and the total before paging.
func (st *store) run(obj *objectDef, q *soql, all bool, now time.Time) []*record {
	var rows []*record
	for _, r := range st.byObj[obj.name] {
		if now.Before(r.visibleAt) || (!all && r.deleted()) {
			continue
		}
		if q.where != nil && !st.match(r, q.where) {
			continue
		}
		rows = append(rows, r)
	}
	if len(q.order) == 0 {
		// No ORDER BY: Salesforce promises no order, so the fake returns
		// newest first, never the creation order a client might rely on.
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].seq > rows[j].seq })
	} else {
		sort.SliceStable(rows, func(i, j int) bool {
			for _, k := range q.order {
				a, b := st.valueOf(rows[i], k.field), st.valueOf(rows[j], k.field)
				if a == nil || b == nil {
					if (a == nil) == (b == nil) {
						continue
					}
					return (a == nil) == k.nullsFirst
				}
				n, _ := compare(a, b)
				if n == 0 {
					continue
				}
				return (n < 0) != k.desc
			}
			return false
		})
	}
	if q.limit >= 0 && len(rows) > q.limit {
		rows = rows[:q.limit]
	}
	return rows
}
