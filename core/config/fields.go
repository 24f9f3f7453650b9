package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/rfmsync/rfmsync/core/outputs"
)

// Fields maps output names to CRM fields: fields.<output> is a field name,
// or a mapping from customer type to field name (vtenext names the same
// custom field cf_812 on Accounts and cf_907 on Contacts). An output not
// given is not written.
type Fields map[string]outputs.FieldName

// fieldNameHook decodes fields.<output>: text is one name for every
// customer type; a mapping names the field per type.
func fieldNameHook(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeFor[outputs.FieldName]() {
		return data, nil
	}
	switch v := data.(type) {
	case string:
		return outputs.Named(v), nil
	case map[string]any:
		by := make(map[string]string, len(v))
		for typ, name := range v {
			s, ok := name.(string)
			if !ok {
				return nil, fmt.Errorf("%s: wrong type: want a field name, got %s", typ, describeValue(name))
			}
			by[typ] = s
		}
		return outputs.FieldName{ByType: by}, nil
	case nil:
		return outputs.FieldName{}, nil
	}
	return nil, errors.New("wrong type: want a field name or a mapping of customer type to field name")
}

// FieldMap returns the mapped outputs and their CRM fields.
func (c *Config) FieldMap() outputs.FieldMap {
	out := outputs.FieldMap{}
	for o, f := range c.Fields {
		if _, known := outputs.Lookup(o); known && !f.IsZero() {
			out[o] = f
		}
	}
	return out
}

// validateFields rejects unknown outputs and a CRM field mapped twice for
// one customer type. Names compare without case: Salesforce API names are
// case-insensitive and HubSpot lowercases them.
func validateFields(f Fields, crmType string, p *problems) {
	if _, ok := f["group"]; ok {
		where := "crm.hubspot.property_group"
		if crmType != "" {
			where = "crm." + crmType + ".property_group"
		}
		p.add("fields.group", "moved: the property group is a HubSpot setting, set "+where)
	}
	// Every customer type any output names, plus the default ("").
	types := map[string]bool{"": true}
	for _, fn := range f {
		for typ := range fn.ByType {
			types[typ] = true
		}
	}
	seen := map[string]map[string]string{} // type → folded name → output
	for _, o := range outputs.Names() {
		fn, ok := f[o]
		if !ok {
			continue
		}
		key := "fields." + o
		check := func(k, name string) {
			if strings.TrimSpace(name) != name {
				p.add(k, "field name has leading or trailing spaces")
			}
		}
		check(key, fn.Default)
		for typ, name := range fn.ByType {
			if strings.TrimSpace(typ) == "" {
				p.add(key, "empty customer type")
			}
			check(key+"."+typ, name)
		}
		for _, typ := range sortedTypes(types) {
			name := fn.For(typ)
			if name == "" {
				continue
			}
			fold := strings.ToLower(name)
			if seen[typ] == nil {
				seen[typ] = map[string]string{}
			}
			prev, dup := seen[typ][fold]
			if dup && prev != o {
				k := key
				if _, own := fn.ByType[typ]; own {
					k = key + "." + typ
				}
				p.add(k, fmt.Sprintf("CRM field %q is already mapped by fields.%s", name, prev))
				continue
			}
			seen[typ][fold] = o
		}
	}
	for _, o := range sortedFieldKeys(f) {
		if _, known := outputs.Lookup(o); !known && o != "group" {
			p.add("fields."+o, "unknown key (known here: "+strings.Join(sortedOutputNames(), ", ")+")")
		}
	}
}

func sortedTypes(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func sortedFieldKeys(f Fields) []string {
	out := make([]string, 0, len(f))
	for k := range f {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedOutputNames() []string {
	out := outputs.Names()
	sort.Strings(out)
	return out
}
