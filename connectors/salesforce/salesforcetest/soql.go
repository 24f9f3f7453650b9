package salesforcetest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The SOQL subset rfmsync needs (§2.1–2.6, §9): SELECT fields (parent dot
// paths one level deep) or COUNT(), FROM one object, WHERE with AND, OR,
// NOT and parentheses over = != <> < <= > >= LIKE, IN and NOT IN, ORDER BY
// several fields ASC/DESC NULLS FIRST/LAST, LIMIT. AND and OR may not be
// mixed without parentheses, as in SOQL. Literals: quoted strings and ids,
// numbers, true/false/null, unquoted dates and datetimes (Z or ±hh:mm,
// optional fraction).

// queryError is a SOQL failure with its errorCode (§2.5).
type queryError struct {
	code, msg string
	fields    []string
}

func (e *queryError) Error() string { return e.code + ": " + e.msg }

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDate
	tDatetime
	tOp
	tLParen
	tRParen
	tComma
	tDot
)

type token struct {
	kind tokKind
	text string // raw text (strings: unescaped value)
	pos  int    // byte offset in the query
}

var (
	datetimeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})`)
	dateRe     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
	numberRe   = regexp.MustCompile(`^[+-]?(\d+(\.\d*)?|\.\d+)`)
)

func lex(q string) ([]token, *queryError) {
	var out []token
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{tLParen, "(", i})
			i++
		case c == ')':
			out = append(out, token{tRParen, ")", i})
			i++
		case c == ',':
			out = append(out, token{tComma, ",", i})
			i++
		case c == '.':
			out = append(out, token{tDot, ".", i})
			i++
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(q) && q[j] != '\''; j++ {
				if q[j] == '\\' && j+1 < len(q) {
					j++
				}
				b.WriteByte(q[j])
			}
			if j >= len(q) {
				return nil, malformed(q, i, "unexpected token: '"+q[i:]+"'")
			}
			out = append(out, token{tString, b.String(), i})
			i = j + 1
		case c == '=' || c == '<' || c == '>' || c == '!':
			j := i + 1
			if j < len(q) && (q[j] == '=' || (c == '<' && q[j] == '>')) {
				j++
			}
			op := q[i:j]
			if op == "!" {
				return nil, malformed(q, i, "unexpected token: '!'")
			}
			out = append(out, token{tOp, op, i})
			i = j
		case c >= '0' && c <= '9' || c == '-' || c == '+':
			rest := q[i:]
			if m := datetimeRe.FindString(rest); m != "" {
				out = append(out, token{tDatetime, m, i})
				i += len(m)
			} else if m := dateRe.FindString(rest); m != "" && (len(rest) == len(m) || !isIdent(rest[len(m)])) {
				out = append(out, token{tDate, m, i})
				i += len(m)
			} else if m := numberRe.FindString(rest); m != "" {
				out = append(out, token{tNumber, m, i})
				i += len(m)
			} else {
				return nil, malformed(q, i, "unexpected token: '"+firstWord(rest)+"'")
			}
			if i < len(q) && isIdent(q[i]) {
				return nil, malformed(q, out[len(out)-1].pos, "unexpected token: '"+firstWord(q[out[len(out)-1].pos:])+"'")
			}
		case isIdent(c):
			j := i
			for j < len(q) && isIdent(q[j]) {
				j++
			}
			out = append(out, token{tIdent, q[i:j], i})
			i = j
		default:
			return nil, malformed(q, i, "unexpected token: '"+string(c)+"'")
		}
	}
	out = append(out, token{tEOF, "", len(q)})
	return out, nil
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " \t\n)(,"); i > 0 {
		return s[:i]
	}
	return s
}

// malformed builds MALFORMED_QUERY with Salesforce's caret message (§2.5).
func malformed(q string, pos int, why string) *queryError {
	return &queryError{code: "MALFORMED_QUERY", msg: caret(q, pos) + why}
}

func caret(q string, pos int) string {
	return fmt.Sprintf("\n%s\n%s^\nERROR at Row:1:Column:%d\n", q, strings.Repeat(" ", pos), pos+1)
}

// path is a field reference: Field or Relationship.Field.
type path struct {
	parts []string
	pos   int
	// bound after FROM is known:
	rel   *fieldDef // the reference field of a parent path
	field *fieldDef
}

func (p path) String() string { return strings.Join(p.parts, ".") }

type literal struct {
	kind tokKind // tString, tNumber, tDate, tDatetime, tIdent (true/false/null)
	text string
	pos  int
}

type cond struct {
	// and/or/not hold children; a leaf has a path.
	op    string // "and", "or", "not", or a comparison: = != < <= > >= like in notin
	kids  []*cond
	field path
	vals  []literal
}

type orderKey struct {
	field      path
	desc       bool
	nullsFirst bool
}

type soql struct {
	text   string
	count  bool
	fields []path
	from   string
	fromAt int
	where  *cond
	order  []orderKey
	limit  int // -1: none
	// subquery is set when the SELECT list had a parent-to-child
	// subquery; Bulk refuses those by contract.
	subquery bool
	children []*soql
	// items is the SELECT list in order: i ≥ 0 is fields[i], i < 0 is
	// children[-i-1].
	items []int
	// bound by bind for a child query: the child object's reference field
	// to the parent.
	childRef *fieldDef
	childObj *objectDef
}

type parser struct {
	q    string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) kw(word string) bool {
	t := p.peek()
	if t.kind == tIdent && strings.EqualFold(t.text, word) {
		p.i++
		return true
	}
	return false
}

func (p *parser) unexpected() *queryError {
	t := p.peek()
	if t.kind == tEOF {
		return malformed(p.q, t.pos, "unexpected token: <EOF>")
	}
	return malformed(p.q, t.pos, "unexpected token: '"+t.text+"'")
}

func parseSOQL(q string) (*soql, *queryError) {
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{q: q, toks: toks}
	s, qerr := p.statement(false)
	if qerr != nil {
		return nil, qerr
	}
	if p.peek().kind != tEOF {
		return nil, p.unexpected()
	}
	return s, nil
}

// statement parses SELECT … [LIMIT n]; nested is a parent-to-child
// subquery, which may not hold another.
func (p *parser) statement(nested bool) (*soql, *queryError) {
	q := p.q
	s := &soql{text: q, limit: -1}
	if !p.kw("SELECT") {
		return nil, p.unexpected()
	}
	if t := p.peek(); t.kind == tIdent && strings.EqualFold(t.text, "COUNT") && p.toks[p.i+1].kind == tLParen {
		p.i += 2
		if p.next().kind != tRParen {
			p.i--
			return nil, p.unexpected()
		}
		s.count = true
	} else {
		for {
			if p.peek().kind == tLParen && !nested {
				p.i++
				child, err := p.statement(true)
				if err != nil {
					return nil, err
				}
				if p.next().kind != tRParen {
					p.i--
					return nil, p.unexpected()
				}
				s.subquery = true
				s.children = append(s.children, child)
				s.items = append(s.items, -len(s.children))
			} else {
				f, err := p.path()
				if err != nil {
					return nil, err
				}
				s.fields = append(s.fields, f)
				s.items = append(s.items, len(s.fields)-1)
			}
			if p.peek().kind != tComma {
				break
			}
			p.i++
		}
	}
	if !p.kw("FROM") {
		return nil, p.unexpected()
	}
	t := p.next()
	if t.kind != tIdent {
		p.i--
		return nil, p.unexpected()
	}
	s.from, s.fromAt = t.text, t.pos
	if p.kw("WHERE") {
		c, err := p.expr()
		if err != nil {
			return nil, err
		}
		s.where = c
	}
	if p.kw("ORDER") {
		if !p.kw("BY") {
			return nil, p.unexpected()
		}
		for {
			f, err := p.path()
			if err != nil {
				return nil, err
			}
			k := orderKey{field: f}
			if p.kw("DESC") {
				k.desc = true
			} else {
				p.kw("ASC")
			}
			k.nullsFirst = !k.desc // Salesforce's default: nulls first ascending, last descending
			if p.kw("NULLS") {
				switch {
				case p.kw("FIRST"):
					k.nullsFirst = true
				case p.kw("LAST"):
					k.nullsFirst = false
				default:
					return nil, p.unexpected()
				}
			}
			s.order = append(s.order, k)
			if p.peek().kind != tComma {
				break
			}
			p.i++
		}
	}
	if p.kw("LIMIT") {
		t := p.next()
		n, err := strconv.Atoi(t.text)
		if t.kind != tNumber || err != nil || n < 0 {
			p.i--
			return nil, p.unexpected()
		}
		s.limit = n
	}
	return s, nil
}

func (p *parser) path() (path, *queryError) {
	t := p.next()
	if t.kind != tIdent {
		p.i--
		return path{}, p.unexpected()
	}
	pa := path{parts: []string{t.text}, pos: t.pos}
	for p.peek().kind == tDot {
		p.i++
		t := p.next()
		if t.kind != tIdent {
			p.i--
			return path{}, p.unexpected()
		}
		pa.parts = append(pa.parts, t.text)
	}
	return pa, nil
}

// expr parses a boolean expression; AND and OR do not mix unparenthesised.
func (p *parser) expr() (*cond, *queryError) {
	first, err := p.factor()
	if err != nil {
		return nil, err
	}
	var op string
	kids := []*cond{first}
	for {
		t := p.peek()
		if t.kind != tIdent {
			break
		}
		w := strings.ToLower(t.text)
		if w != "and" && w != "or" {
			break
		}
		if op != "" && w != op {
			return nil, p.unexpected()
		}
		op = w
		p.i++
		c, err := p.factor()
		if err != nil {
			return nil, err
		}
		kids = append(kids, c)
	}
	if op == "" {
		return first, nil
	}
	return &cond{op: op, kids: kids}, nil
}

func (p *parser) factor() (*cond, *queryError) {
	if p.kw("NOT") {
		c, err := p.factor()
		if err != nil {
			return nil, err
		}
		return &cond{op: "not", kids: []*cond{c}}, nil
	}
	if p.peek().kind == tLParen {
		p.i++
		c, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.next().kind != tRParen {
			p.i--
			return nil, p.unexpected()
		}
		return c, nil
	}
	f, err := p.path()
	if err != nil {
		return nil, err
	}
	c := &cond{field: f}
	t := p.peek()
	switch {
	case t.kind == tOp:
		p.i++
		c.op = t.text
		if c.op == "<>" {
			c.op = "!="
		}
	case p.kw("LIKE"):
		c.op = "like"
	case p.kw("IN"):
		c.op = "in"
	case p.kw("NOT"):
		if !p.kw("IN") {
			return nil, p.unexpected()
		}
		c.op = "notin"
	default:
		return nil, p.unexpected()
	}
	if c.op == "in" || c.op == "notin" {
		if p.next().kind != tLParen {
			p.i--
			return nil, p.unexpected()
		}
		for {
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			c.vals = append(c.vals, v)
			if p.peek().kind == tComma {
				p.i++
				continue
			}
			if p.next().kind != tRParen {
				p.i--
				return nil, p.unexpected()
			}
			break
		}
		return c, nil
	}
	v, err := p.literal()
	if err != nil {
		return nil, err
	}
	c.vals = []literal{v}
	return c, nil
}

func (p *parser) literal() (literal, *queryError) {
	t := p.next()
	switch t.kind {
	case tString, tNumber, tDate, tDatetime:
		return literal{kind: t.kind, text: t.text, pos: t.pos}, nil
	case tIdent:
		switch strings.ToLower(t.text) {
		case "true", "false", "null":
			return literal{kind: tIdent, text: strings.ToLower(t.text), pos: t.pos}, nil
		}
	}
	p.i--
	return literal{}, p.unexpected()
}

// bind resolves paths against the object and checks literal types.
func (s *soql) bind(schema map[string]*objectDef) (*objectDef, *queryError) {
	obj := schema[strings.ToLower(s.from)]
	if obj == nil {
		return nil, &queryError{code: "INVALID_TYPE", msg: caret(s.text, s.fromAt) +
			"sObject type '" + s.from + "' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."}
	}
	return obj, s.bindTo(obj, schema)
}

// bindChild resolves a subquery against its parent's child relationship.
func (s *soql) bindChild(parent *objectDef, schema map[string]*objectDef) *queryError {
	rel := parent.children[strings.ToLower(s.from)]
	if rel == nil || rel.ref.hidden {
		return &queryError{code: "INVALID_TYPE", msg: caret(s.text, s.fromAt) +
			"Didn't understand relationship '" + s.from + "' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."}
	}
	s.childRef, s.childObj = rel.ref, rel.obj
	return s.bindTo(rel.obj, schema)
}

func (s *soql) bindTo(obj *objectDef, schema map[string]*objectDef) *queryError {
	for _, c := range s.children {
		if err := c.bindChild(obj, schema); err != nil {
			return err
		}
	}
	for i := range s.fields {
		if err := s.resolve(obj, schema, &s.fields[i]); err != nil {
			return err
		}
	}
	for i := range s.order {
		if err := s.resolve(obj, schema, &s.order[i].field); err != nil {
			return err
		}
	}
	if s.where != nil {
		if err := s.bindCond(obj, schema, s.where); err != nil {
			return err
		}
	}
	return nil
}

func (s *soql) resolve(obj *objectDef, schema map[string]*objectDef, p *path) *queryError {
	noColumn := func(name, entity string) *queryError {
		return &queryError{code: "INVALID_FIELD", fields: []string{name}, msg: caret(s.text, p.pos) +
			"No such column '" + name + "' on entity '" + entity + "'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."}
	}
	switch len(p.parts) {
	case 1:
		f := obj.field(p.parts[0])
		if f == nil {
			return noColumn(p.parts[0], obj.name)
		}
		p.field = f
	case 2:
		rel := obj.relations[strings.ToLower(p.parts[0])]
		if rel == nil || rel.hidden {
			return &queryError{code: "INVALID_FIELD", msg: caret(s.text, p.pos) +
				"Didn't understand relationship '" + p.parts[0] + "' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."}
		}
		target := schema[strings.ToLower(rel.refTo)]
		f := target.field(p.parts[1])
		if f == nil {
			return noColumn(p.parts[1], target.name)
		}
		p.rel, p.field = rel, f
	default:
		return malformed(s.text, p.pos, "unexpected token: '"+p.String()+"' (salesforcetest follows one parent level)")
	}
	return nil
}

func (s *soql) bindCond(obj *objectDef, schema map[string]*objectDef, c *cond) *queryError {
	if c.op == "and" || c.op == "or" || c.op == "not" {
		for _, k := range c.kids {
			if err := s.bindCond(obj, schema, k); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.resolve(obj, schema, &c.field); err != nil {
		return err
	}
	f := c.field.field
	if !f.filterable {
		return &queryError{code: "INVALID_FIELD", fields: []string{f.name}, msg: caret(s.text, c.field.pos) +
			"field '" + f.name + "' can not be filtered in a query call"}
	}
	for _, v := range c.vals {
		if err := checkLiteral(s.text, f, c.op, v); err != nil {
			return err
		}
	}
	return nil
}

// checkLiteral applies the literal rules of §2.5.
func checkLiteral(q string, f *fieldDef, op string, v literal) *queryError {
	if v.kind == tIdent && v.text == "null" {
		if op != "=" && op != "!=" && op != "in" && op != "notin" {
			return malformed(q, v.pos, "unexpected token: 'null'")
		}
		return nil
	}
	bad := func(kind string) *queryError {
		return &queryError{code: "INVALID_QUERY_FILTER_OPERATOR", msg: caret(q, v.pos) +
			"value of filter criterion for field '" + f.name + "' must be of type " + kind + " and should not be enclosed in quotes"}
	}
	switch f.typ {
	case typeDatetime:
		if v.kind != tDatetime {
			return bad("dateTime")
		}
		if _, err := time.Parse(time.RFC3339, v.text); err != nil {
			return malformed(q, v.pos, "line 1:"+strconv.Itoa(v.pos+1)+" no viable alternative at character '"+v.text+"'")
		}
	case typeDate:
		if v.kind != tDate {
			return bad("date")
		}
		if _, err := time.Parse(DateLayout, v.text); err != nil {
			return malformed(q, v.pos, "line 1:"+strconv.Itoa(v.pos+1)+" no viable alternative at character '"+v.text+"'")
		}
	case typeBoolean:
		if v.kind != tIdent {
			return bad("boolean")
		}
	case typeCurrency, typeDouble, typePercent, typeInt:
		if v.kind != tNumber {
			return bad("double")
		}
	default:
		if v.kind != tString {
			return &queryError{code: "INVALID_QUERY_FILTER_OPERATOR", msg: caret(q, v.pos) +
				"value of filter criterion for field '" + f.name + "' must be of type string and should be enclosed in quotes"}
		}
		if (f.typ == typeID || f.typ == typeRef) && normID(v.text) == "" && op != "like" {
			return &queryError{code: "INVALID_QUERY_FILTER_OPERATOR", msg: caret(q, v.pos) + "invalid ID field: " + v.text}
		}
	}
	if op == "like" && f.typ != typeString && f.typ != typePicklist && f.typ != "email" {
		return &queryError{code: "INVALID_QUERY_FILTER_OPERATOR", msg: caret(q, v.pos) + "invalid operator on " + f.typ + " field: LIKE"}
	}
	return nil
}

// literalValue converts a checked literal to the stored value's type.
func literalValue(f *fieldDef, v literal) any {
	switch v.kind {
	case tIdent:
		switch v.text {
		case "true":
			return true
		case "false":
			return false
		}
		return nil
	case tDatetime:
		t, err := time.Parse(time.RFC3339, v.text)
		if err != nil {
			// lexed by pattern, so only a bad calendar value lands here
			return time.Time{}
		}
		return t.UTC()
	case tDate:
		return Date(v.text)
	case tNumber:
		return Money(v.text)
	}
	if f.typ == typeID || f.typ == typeRef {
		return normID(v.text)
	}
	return v.text
}
