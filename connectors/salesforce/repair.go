package salesforce

import (
	"context"
	"fmt"
	"strings"

	"github.com/rfmsync/rfmsync/core/connector"
)

// ReadFields implements connector.FieldReader with one SOQL query per
// batch, SELECT the fields FROM the object WHERE Id IN (…) (query, not
// queryAll: a deleted or merged record is missing, so it is gone). Values
// come back as their text (numbers in JSON form, null as ""); core
// compares them canonically, so 545 and 545.0 are one value.
func (c *Connector) ReadFields(ctx context.Context, keys []connector.CustomerKey, fields []string) (map[connector.CustomerKey]map[string]string, error) {
	out := map[connector.CustomerKey]map[string]string{}
	if len(keys) == 0 {
		return out, nil
	}
	typ := keys[0].Type
	quoted := make([]string, 0, len(keys))
	for _, k := range keys {
		if k.Type != typ || (typ != "Account" && typ != "Contact") || !idRe.MatchString(k.ID) {
			return nil, fmt.Errorf("read back: cannot read %s in a batch of %s", k, typ)
		}
		quoted = append(quoted, "'"+k.ID+"'")
	}
	for _, f := range fields {
		if !apiNameRe.MatchString(f) {
			return nil, fmt.Errorf("read back: %q is not a field API name", f)
		}
	}
	sel := dedupe(append([]string{"Id"}, fields...))
	rows, err := c.queryRows(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+typ+" WHERE Id IN ("+strings.Join(quoted, ",")+")")
	if err != nil {
		if code := errorCodeOf(err); isFieldCode(code) {
			return nil, fieldError(typ, code, "a mapped field is not readable", nil)
		}
		return nil, fmt.Errorf("read back %s: %w", typ, err)
	}
	byID := map[string]connector.CustomerKey{}
	for _, k := range keys {
		byID[k.ID[:15]] = k
	}
	for _, r := range rows {
		id := r.str("Id")
		if len(id) < 15 {
			continue
		}
		k, ok := byID[id[:15]]
		if !ok {
			continue
		}
		vals := map[string]string{}
		for _, f := range fields {
			vals[f] = r.text(f)
		}
		out[k] = vals
	}
	return out, nil
}
