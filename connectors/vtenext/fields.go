package vtenext

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/outputs"
)

// EnsureFields implements connector.FieldEnsurer. No web-service
// operation creates fields (§3.4), so it only reads describe: a field
// named in the config is checked for its type and picklist values; one
// that is missing is looked up by label (found: its cf_… name belongs in
// the config), else reported with exactly what an administrator must add
// in the Layout Editor. It changes nothing; with apply (not a dry run) it
// also fails while any field still needs the admin, so a setup script
// stops there.
func (c *Connector) EnsureFields(ctx context.Context, specs []connector.FieldSpec, apply bool) ([]connector.FieldAction, error) {
	d, err := c.describe(ctx, c.o.Object)
	if err != nil {
		return nil, err
	}
	type info struct {
		typ, label string
		editable   bool
		values     []string
	}
	byName := map[string]info{}
	for _, f := range d.Fields {
		in := info{typ: f.Type.Name, label: f.Label, editable: f.Editable}
		for _, p := range f.Type.PicklistValues {
			in.values = append(in.values, p.Value)
		}
		byName[f.Name] = in
	}
	var out []connector.FieldAction
	for _, s := range specs {
		name := s.Field.For(c.o.Object)
		if name == "" {
			continue
		}
		a := connector.FieldAction{Name: name}
		f, ok := byName[name]
		switch {
		case !ok:
			found := ""
			for _, n := range slices.Sorted(maps.Keys(byName)) {
				custom := strings.HasPrefix(n, "cf_") || strings.HasPrefix(n, "vcf_")
				if custom && found == "" && strings.EqualFold(strings.TrimSpace(byName[n].label), s.Label) {
					found = n
				}
			}
			if found != "" {
				a.Action, a.FoundAs = connector.ActionFoundAs, found
				a.Detail = fmt.Sprintf("a field labelled %q exists as %s", s.Label, found)
			} else {
				a.Action, a.Manual = connector.ActionCreateByHand, manual(c.o.Object, s)
				a.Detail = "vtenext's API cannot create fields"
			}
		case !compatible(s.Kind, f.typ):
			a.Action = connector.ActionWrongType
			a.Detail = fmt.Sprintf("%s is a %s field; rfmsync needs %s", name, f.typ, manual(c.o.Object, s).Type)
		case !f.editable:
			a.Action = connector.ActionGrantAccess
			a.Detail = fmt.Sprintf("%s is read-only for user %s: make it editable in the user's profile", name, c.o.Username)
		case s.Kind == outputs.Enum:
			var missing []string
			for _, o := range s.Options {
				if !slices.Contains(f.values, o.Label) {
					missing = append(missing, o.Label)
				}
			}
			a.Action = connector.ActionExists
			if len(missing) > 0 {
				// The API cannot add picklist values either.
				a.Action = connector.ActionAddOptions
				m := manual(c.o.Object, s)
				m.Values = missing
				a.Manual = m
				a.Detail = "add these values to the picklist by hand in the Layout Editor: " + strings.Join(missing, ", ")
			}
		default:
			a.Action = connector.ActionExists
		}
		out = append(out, a)
	}
	pending := 0
	for _, a := range out {
		if a.Action != connector.ActionExists {
			pending++
		}
	}
	if apply && pending > 0 {
		return out, &crmerr.Error{Class: crmerr.Validation, Message: fmt.Sprintf(
			"%d of %d fields need an administrator (see above): vtenext's API cannot create or change fields; fix them, then run fields ensure again", pending, len(out))}
	}
	return out, nil
}

// compatible reports whether a vtenext field type holds a kind's values.
func compatible(k outputs.Kind, typ string) bool {
	switch k {
	case outputs.Number:
		return typ == "double" || typ == "integer"
	case outputs.Enum:
		return typ == "picklist"
	case outputs.Date:
		return typ == "date"
	}
	return typ == "string" || typ == "text" // text and datetimes (no custom datetime fields exist)
}

// manual is what an admin enters in the Layout Editor for a spec. Number
// fields (uitype 7) rather than Currency (71), whose web-service saves
// divide by the user's conversion rate (§3.4); datetimes as Text, since
// the Layout Editor offers no datetime type.
func manual(object string, s connector.FieldSpec) *connector.ManualField {
	m := &connector.ManualField{Where: "Settings → Module Manager → " + object + " → Layout Editor", Label: s.Label}
	switch s.Kind {
	case outputs.Number:
		m.Type, m.Decimals = "Number", s.Decimals
	case outputs.Enum:
		m.Type = "Picklist"
		for _, o := range s.Options {
			m.Values = append(m.Values, o.Label)
		}
	case outputs.Date:
		m.Type = "Date"
	default:
		m.Type = "Text"
	}
	return m
}

// ReadFields implements connector.FieldReader: SELECT fields … WHERE id IN
// (…) per batch; a key missing from the answer is deleted. Values come
// back in rfmsync's written form (dates from the user's format, picklist
// labels as segment ids).
func (c *Connector) ReadFields(ctx context.Context, keys []connector.CustomerKey, fields []string) (map[connector.CustomerKey]map[string]string, error) {
	out := make(map[connector.CustomerKey]map[string]string, len(keys))
	byType := map[string][]string{}
	var types []string
	for _, k := range keys {
		if _, ok := byType[k.Type]; !ok {
			types = append(types, k.Type)
		}
		if !slices.Contains(byType[k.Type], k.ID) {
			byType[k.Type] = append(byType[k.Type], k.ID)
		}
	}
	sel := "id"
	if len(fields) > 0 {
		sel = strings.Join(fields, ", ")
	}
	for _, typ := range types {
		if typ != "Accounts" && typ != "Contacts" {
			return nil, &crmerr.Error{Class: crmerr.Validation, Message: "cannot read vtenext module " + typ}
		}
		for chunk := range slices.Chunk(byType[typ], c.o.PageSize) {
			in := make([]string, len(chunk))
			for i, id := range chunk {
				in[i] = quote(id)
			}
			q := fmt.Sprintf("SELECT %s FROM %s WHERE id IN (%s) LIMIT %d;", sel, typ, strings.Join(in, ", "), len(chunk))
			var rows []map[string]string
			if err := c.call(ctx, opQuery, url.Values{"query": {q}}, false, &rows); err != nil {
				if e, ok := crmerr.As(err); ok && e.Code == codeAccessDenied {
					return nil, &crmerr.Error{Class: crmerr.Validation, Code: e.Code, Message: fmt.Sprintf(
						"vtenext refused to read the RFM fields of %s (%s): check the cf_… names in fields (see `rfmsync fields ensure`) and that user %s may see them",
						typ, e.Message, c.o.Username)}
				}
				return nil, err
			}
			if err := checkRows(rows, len(chunk), chunk); err != nil {
				return nil, fmt.Errorf("read fields of %s: %w", typ, err)
			}
			for _, row := range rows {
				vals := make(map[string]string, len(fields))
				for _, f := range fields {
					vals[f] = c.fromCRM(typ, f, row[f])
				}
				out[connector.CustomerKey{Type: typ, ID: row["id"]}] = vals
			}
		}
	}
	return out, nil
}

// instantDate turns a date in the user's format into yyyy-mm-dd.
func (c *Connector) instantDate(v string) (string, bool) {
	t, err := time.Parse(dateLayouts[c.o.DateFormat], v)
	if err != nil {
		return "", false
	}
	return t.Format("2006-01-02"), true
}
