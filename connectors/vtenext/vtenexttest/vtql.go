package vtenexttest

import (
	"cmp"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// token kinds of the VTQL lexer (§4.2).
const (
	tWord = iota
	tString
	tInt
	tPunct
	tEnd
)

type token struct {
	kind int
	text string
}

var errLex = errf("INTERNAL_SERVER_ERROR", "Unknown Error while processing request")

// lex splits a query into tokens. Anything outside quotes that is not a
// word, a signed integer, one of , * ( ) = < > <= >= != ; or whitespace
// makes the lexer throw, which surfaces as INTERNAL_SERVER_ERROR; so does
// the empty string ”.
func lex(q string) ([]token, *wsError) {
	var out []token
	isWord := func(c byte) bool {
		return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(q) {
					return nil, errLex
				}
				if q[j] == '\'' {
					if j+1 < len(q) && q[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(q[j])
				j++
			}
			if b.Len() == 0 {
				return nil, errLex
			}
			out = append(out, token{tString, b.String()})
			i = j + 1
		case c == '-' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			out = append(out, token{tInt, q[i:j]})
			i = j
		case isWord(c):
			j := i
			for j < len(q) && isWord(q[j]) {
				j++
			}
			w := q[i:j]
			if _, err := strconv.Atoi(w); err == nil {
				out = append(out, token{tInt, w})
			} else {
				out = append(out, token{tWord, w})
			}
			i = j
		case strings.HasPrefix(q[i:], "<=") || strings.HasPrefix(q[i:], ">=") || strings.HasPrefix(q[i:], "!="):
			out = append(out, token{tPunct, q[i : i+2]})
			i += 2
		case strings.IndexByte(",*()=<>;", c) >= 0:
			if c == '<' && i+1 < len(q) && q[i+1] == '>' {
				return nil, errLex
			}
			out = append(out, token{tPunct, string(c)})
			i++
		default:
			return nil, errLex
		}
	}
	return append(out, token{tEnd, ""}), nil
}

// cond is one comparison.
type cond struct {
	field  string
	op     string // = != < > <= >= like in
	values []string
	or     bool // joined to the previous condition by OR
}

// vtql is a parsed query.
type vtql struct {
	count   bool
	star    bool
	fields  []string
	from    string
	where   []cond
	orderBy []string
	desc    bool
	limited bool
	offset  int
	limit   int
}

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEnd {
		p.pos++
	}
	return t
}

func syntaxErr(t token, expected string) *wsError {
	text := t.text
	if t.kind == tEnd {
		text = "$end"
	}
	return errf("QUERY_SYNTAX_ERROR", fmt.Sprintf("Syntax Error on line 1: token '%s' Unexpected %s, expected one of: %s", text, text, expected))
}

func (p *parser) keyword(k string) bool {
	t := p.peek()
	if t.kind == tWord && strings.EqualFold(t.text, k) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) punct(s string) bool {
	if t := p.peek(); t.kind == tPunct && t.text == s {
		p.pos++
		return true
	}
	return false
}

func (p *parser) word() (string, *wsError) {
	t := p.next()
	if t.kind != tWord {
		return "", syntaxErr(t, "COLUMNNAME")
	}
	return t.text, nil
}

func (p *parser) value() (string, *wsError) {
	t := p.next()
	if t.kind != tString && t.kind != tInt {
		return "", syntaxErr(t, "VALUE")
	}
	return t.text, nil
}

func (p *parser) int() (int, *wsError) {
	t := p.next()
	if t.kind != tInt {
		return 0, syntaxErr(t, "NUMBER")
	}
	n, _ := strconv.Atoi(t.text)
	return n, nil
}

// parse reads the grammar of §4.2, mandatory ';' included. A query with
// no FROM word at all is refused as "denied for query".
func parse(q string) (*vtql, *wsError) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	hasFrom := false
	for _, t := range toks {
		if t.kind == tWord && strings.EqualFold(t.text, "from") {
			hasFrom = true
		}
	}
	if !hasFrom {
		return nil, errf("ACCESS_DENIED", "Permission to perform the operation is denied for query")
	}
	p := &parser{toks: toks}
	v := &vtql{}
	if !p.keyword("select") {
		return nil, syntaxErr(p.peek(), "SELECT")
	}
	switch {
	case p.punct("*"):
		v.star = true
	case p.peek().kind == tWord && strings.EqualFold(p.peek().text, "count") && p.toks[p.pos+1].text == "(":
		p.pos++
		if !p.punct("(") || !p.punct("*") || !p.punct(")") {
			return nil, syntaxErr(p.peek(), "*")
		}
		v.count = true
	default:
		for {
			f, err := p.word()
			if err != nil {
				return nil, err
			}
			v.fields = append(v.fields, f)
			if !p.punct(",") {
				break
			}
		}
	}
	if !p.keyword("from") {
		return nil, syntaxErr(p.peek(), "FROM")
	}
	var err2 *wsError
	if v.from, err2 = p.word(); err2 != nil {
		return nil, err2
	}
	if p.keyword("where") {
		or := false
		for {
			c := cond{or: or}
			if c.field, err2 = p.word(); err2 != nil {
				return nil, err2
			}
			t := p.next()
			switch {
			case t.kind == tPunct && slices.Contains([]string{"=", "!=", "<", ">", "<=", ">="}, t.text):
				c.op = t.text
				val, err := p.value()
				if err != nil {
					return nil, err
				}
				c.values = []string{val}
			case t.kind == tWord && strings.EqualFold(t.text, "like"):
				c.op = "like"
				val, err := p.value()
				if err != nil {
					return nil, err
				}
				c.values = []string{val}
			case t.kind == tWord && strings.EqualFold(t.text, "in"):
				c.op = "in"
				if !p.punct("(") {
					return nil, syntaxErr(p.peek(), "(")
				}
				for {
					val, err := p.value()
					if err != nil {
						return nil, err
					}
					c.values = append(c.values, val)
					if !p.punct(",") {
						break
					}
				}
				if !p.punct(")") {
					return nil, syntaxErr(p.peek(), ")")
				}
			default:
				return nil, syntaxErr(t, "OPERATOR")
			}
			v.where = append(v.where, c)
			switch {
			case p.keyword("and"):
				or = false
			case p.keyword("or"):
				or = true
			default:
				goto whereDone
			}
		}
	}
whereDone:
	if p.keyword("order") {
		if !p.keyword("by") {
			return nil, syntaxErr(p.peek(), "BY")
		}
		for {
			f, err := p.word()
			if err != nil {
				return nil, err
			}
			v.orderBy = append(v.orderBy, f)
			if !p.punct(",") {
				break
			}
		}
		if p.keyword("desc") {
			v.desc = true
		} else {
			p.keyword("asc")
		}
	}
	if p.keyword("limit") {
		v.limited = true
		n, err := p.int()
		if err != nil {
			return nil, err
		}
		if p.punct(",") {
			m, err := p.int()
			if err != nil {
				return nil, err
			}
			v.offset, n = n, m
		}
		v.limit = n
	}
	if !p.punct(";") {
		return nil, syntaxErr(p.peek(), "';'")
	}
	if t := p.peek(); t.kind != tEnd {
		return nil, syntaxErr(t, "$end")
	}
	return v, nil
}

// query runs a VTQL query against the live records (§4.1–4.3).
func (s *Server) query(q string) (any, *wsError) {
	v, err := parse(q)
	if err != nil {
		return nil, err
	}
	m, ok := s.modules[v.from]
	if !ok {
		return nil, errf("ACCESS_DENIED", "Permission to perform the operation is denied for name")
	}
	names := v.fields
	if v.star {
		names = nil
		for _, f := range m.visible() {
			names = append(names, f.Name)
		}
	}
	for _, n := range names {
		if _, vis := m.field(n); !vis {
			return nil, errf("ACCESS_DENIED", "Permission to access '."+n+".' attribute denied.")
		}
	}
	for i := range v.where {
		c := &v.where[i]
		f, vis := m.field(c.field)
		if !vis {
			return nil, errf("ACCESS_DENIED", "Permission to access "+c.field+" attribute denied.")
		}
		if f.Type == TypeReference || f.Type == TypeOwner || f.Type == TypeAutogenerated {
			for j, val := range c.values {
				_, id, ok := parseWSID(val)
				if !ok {
					return nil, errf("INVALID_ID_ATTRIBUTE", "Id specified is incorrect")
				}
				c.values[j] = strconv.Itoa(id) // the prefix is stripped
			}
		}
	}
	var order []*field
	for _, n := range v.orderBy {
		f, vis := m.field(n)
		if !vis {
			return nil, errf("DATABASE_QUERY_ERROR", "Database error while performing requested operation")
		}
		order = append(order, f)
	}
	var rows []*record
	for id := 1; id < s.nextID; id++ {
		r, ok := s.records[id]
		if ok && r.mod == m && !r.deleted && s.matches(r, v.where) {
			rows = append(rows, r)
		}
	}
	if v.count {
		return []map[string]string{{"count": strconv.Itoa(len(rows))}}, nil
	}
	if len(order) > 0 {
		slices.SortStableFunc(rows, func(a, b *record) int {
			for _, f := range order {
				if c := compare(f, dbValue(a, f), dbValue(b, f)); c != 0 {
					if v.desc {
						return -c
					}
					return c
				}
			}
			return 0
		})
	}
	limit := NoLimitRows
	if v.limited {
		limit = v.limit
	}
	start := min(v.offset, len(rows))
	rows = rows[start:min(len(rows), start+max(limit, 0))]
	out := make([]map[string]string, 0, len(rows))
	for _, r := range rows {
		if !s.unreadable[r.id] {
			out = append(out, s.render(r, names))
		}
	}
	return out, nil
}

func dbValue(r *record, f *field) string {
	if f.Name == "id" {
		return strconv.Itoa(r.id)
	}
	return r.vals[f.Name]
}

// matches evaluates the conditions with SQL precedence: AND binds tighter
// than OR, and there are no parentheses.
func (s *Server) matches(r *record, where []cond) bool {
	if len(where) == 0 {
		return true
	}
	group := true
	for i, c := range where {
		if i > 0 && c.or {
			if group {
				return true
			}
			group = true
		}
		f, _ := r.mod.field(c.field)
		group = group && holds(f, dbValue(r, f), c)
	}
	return group
}

// holds compares one stored value; NULL ("") on a non-text column
// matches nothing, as in SQL.
func holds(f *field, v string, c cond) bool {
	text := f.Type == TypeString || f.Type == TypeText || f.Type == TypePicklist || f.Type == "email"
	if v == "" && !text {
		return false
	}
	switch c.op {
	case "in":
		for _, x := range c.values {
			if compare(f, v, x) == 0 {
				return true
			}
		}
		return false
	case "like":
		return likeRE(c.values[0]).MatchString(v)
	}
	n := compare(f, v, c.values[0])
	switch c.op {
	case "=":
		return n == 0
	case "!=":
		return n != 0
	case "<":
		return n < 0
	case ">":
		return n > 0
	case "<=":
		return n <= 0
	}
	return n >= 0
}

// compare orders two database values of a column: numbers numerically,
// everything else (dates and wall-time datetimes included) as strings.
func compare(f *field, a, b string) int {
	switch f.Type {
	case TypeDouble, TypeCurrency, TypeInteger, TypeReference, TypeOwner, TypeAutogenerated:
		if x, err1 := strconv.ParseInt(orZero(a), 10, 64); err1 == nil {
			if y, err2 := strconv.ParseInt(orZero(b), 10, 64); err2 == nil {
				return cmp.Compare(x, y)
			}
		}
		x, ok1 := new(big.Rat).SetString(orZero(a))
		y, ok2 := new(big.Rat).SetString(orZero(b))
		if ok1 && ok2 {
			return x.Cmp(y)
		}
	}
	return strings.Compare(a, b)
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func likeRE(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?is)^")
	for _, c := range p {
		switch c {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
