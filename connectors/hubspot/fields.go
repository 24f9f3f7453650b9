package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
)

// Field actions, as connector.FieldAction.Action reports them.
const (
	ActionExists     = connector.ActionExists
	ActionCreate     = connector.ActionCreate
	ActionAddOptions = connector.ActionAddOptions
	ActionWrongType  = connector.ActionWrongType
)

// DefaultGroup is the property group used when the config names none.
const DefaultGroup = "rfm"

// propertyKind is a HubSpot type and fieldType pair (§5.2).
type propertyKind struct{ typ, fieldType string }

func (k propertyKind) String() string { return k.typ + "/" + k.fieldType }

// kindFor maps a field kind to the HubSpot property type that stores it:
// datetimes as datetime (a date property would drop the time), dropdowns as
// single-select enumerations so workflows can match on stable values.
func kindFor(k connector.FieldKind) (propertyKind, error) {
	switch k {
	case connector.FieldNumber:
		return propertyKind{"number", "number"}, nil
	case connector.FieldText:
		return propertyKind{"string", "text"}, nil
	case connector.FieldDateTime:
		return propertyKind{"datetime", "date"}, nil
	case connector.FieldDate:
		// HubSpot date properties take midnight UTC or YYYY-MM-DD (§5.2).
		return propertyKind{"date", "date"}, nil
	case connector.FieldEnum:
		return propertyKind{"enumeration", "select"}, nil
	}
	return propertyKind{}, fmt.Errorf("hubspot: unknown field kind %q", k)
}

// EnsureFields implements connector.FieldEnsurer on the configured object:
// it reads the object's properties once, then creates what is missing (and
// the property group first), adds missing dropdown options with a PATCH of
// the full option list (existing options and their labels are kept), and
// reports a property of another type as "wrong type" without touching it.
// With apply false it only reports. A property created meanwhile (409) is
// read back and checked like an existing one.
func (c *Connector) EnsureFields(ctx context.Context, specs []connector.FieldSpec, apply bool) ([]connector.FieldAction, error) {
	obj := c.o.Object
	group := c.o.PropertyGroup
	if group == "" {
		group = DefaultGroup
	}
	var list propertyList
	if _, err := c.http.DoJSON(ctx, http.MethodGet, c.p.propertyList(obj), nil, nil, &list); err != nil {
		return nil, fmt.Errorf("list %s properties: %w", obj, err)
	}
	existing := make(map[string]property, len(list.Results))
	for _, p := range list.Results {
		existing[p.Name] = p
	}
	groupExists, err := c.groupExists(ctx, obj, group)
	if err != nil {
		return nil, err
	}
	var actions []connector.FieldAction
	for _, s := range specs {
		want, err := kindFor(s.Kind)
		if err != nil {
			return actions, err
		}
		p, ok := existing[s.Field.For(obj)]
		if !ok {
			if !apply {
				a := connector.FieldAction{Name: s.Field.For(obj), Action: ActionCreate, Detail: want.String()}
				if !groupExists {
					a.Detail += "; property group " + group + " is created too"
				}
				actions = append(actions, a)
				continue
			}
			if !groupExists {
				if err := c.createGroup(ctx, obj, group); err != nil {
					return actions, err
				}
				groupExists = true
			}
			created, err := c.createProperty(ctx, obj, group, s, want)
			if err != nil {
				return actions, err
			}
			if created {
				actions = append(actions, connector.FieldAction{Name: s.Field.For(obj), Action: ActionCreate, Detail: want.String()})
				continue
			}
			if p, err = c.getProperty(ctx, obj, s.Field.For(obj)); err != nil {
				return actions, err
			}
		}
		a, err := c.reconcile(ctx, obj, p, s, want, apply)
		if err != nil {
			return actions, err
		}
		actions = append(actions, a)
	}
	return actions, nil
}

// reconcile compares an existing property with its spec: type first, then
// whether a write can set it at all (§5.2 asks to verify type and
// fieldType), then the dropdown options.
func (c *Connector) reconcile(ctx context.Context, obj string, p property, s connector.FieldSpec, want propertyKind, apply bool) (connector.FieldAction, error) {
	a := connector.FieldAction{Name: s.Field.For(obj), Action: ActionExists}
	if p.Type != want.typ {
		a.Action = ActionWrongType
		a.Detail = fmt.Sprintf("is %s/%s, want %s; rfmsync never changes an existing field: map another field name or fix it in HubSpot",
			p.Type, p.FieldType, want)
		return a, nil
	}
	if p.readOnly() {
		// Right type, but every write would fail with READ_ONLY_VALUE and the
		// write error sends the admin back here: say so instead of "exists".
		a.Action = ActionWrongType
		a.Detail = fmt.Sprintf("is %s/%s and read-only (calculated or set by HubSpot); rfmsync never changes an existing field: map another field name",
			p.Type, p.FieldType)
		return a, nil
	}
	if want.typ != "enumeration" {
		return a, nil
	}
	var missing []connector.FieldOption
	for _, o := range s.Options {
		if !slices.ContainsFunc(p.Options, func(e propertyOption) bool { return e.Value == o.Value }) {
			missing = append(missing, o)
		}
	}
	if len(missing) == 0 {
		return a, nil
	}
	a.Action = ActionAddOptions
	values := make([]string, len(missing))
	for i, o := range missing {
		values[i] = o.Value
	}
	a.Detail = strings.Join(values, ", ")
	if !apply {
		return a, nil
	}
	opts := slices.Clone(p.Options)
	next := 0
	for _, o := range opts {
		next = max(next, o.DisplayOrder)
	}
	for _, o := range missing {
		next++
		opts = append(opts, propertyOption{Label: orDefault(o.Label, o.Value), Value: o.Value, DisplayOrder: next})
	}
	if _, err := c.http.DoJSON(ctx, http.MethodPatch, c.p.property(obj, p.Name), nil,
		map[string]any{"options": opts}, nil); err != nil {
		return a, fmt.Errorf("add options to %s property %s: %w", obj, p.Name, err)
	}
	return a, nil
}

// groupExists reads one property group; 404 means it does not exist.
func (c *Connector) groupExists(ctx context.Context, obj, group string) (bool, error) {
	_, err := c.http.DoJSON(ctx, http.MethodGet, c.p.group(obj, group), nil, nil, nil)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, crmerr.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("read %s property group %s: %w", obj, group, err)
}

// createGroup creates a property group; 409 means someone else just did.
func (c *Connector) createGroup(ctx context.Context, obj, group string) error {
	label := group
	if group == DefaultGroup {
		label = "RFM (rfmsync)"
	}
	status, err := c.http.DoJSON(ctx, http.MethodPost, c.p.groups(obj), nil,
		propertyGroup{Name: group, Label: label, DisplayOrder: -1}, nil)
	if err != nil && status != http.StatusConflict {
		return fmt.Errorf("create %s property group %s: %w", obj, group, err)
	}
	return nil
}

// createProperty creates one property; created is false on 409 (it exists).
func (c *Connector) createProperty(ctx context.Context, obj, group string, s connector.FieldSpec, k propertyKind) (bool, error) {
	p := property{Name: s.Field.For(obj), Label: orDefault(s.Label, s.Field.For(obj)), Description: s.Description,
		GroupName: group, Type: k.typ, FieldType: k.fieldType}
	for i, o := range s.Options {
		p.Options = append(p.Options, propertyOption{Label: orDefault(o.Label, o.Value), Value: o.Value, DisplayOrder: i + 1})
	}
	status, err := c.http.DoJSON(ctx, http.MethodPost, c.p.propertyList(obj), nil, p, nil)
	switch {
	case err == nil:
		return true, nil
	case status == http.StatusConflict:
		return false, nil
	}
	return false, fmt.Errorf("create %s property %s: %w", obj, s.Field.For(obj), err)
}

func (c *Connector) getProperty(ctx context.Context, obj, name string) (property, error) {
	var p property
	if _, err := c.http.DoJSON(ctx, http.MethodGet, c.p.property(obj, name), nil, nil, &p); err != nil {
		return p, fmt.Errorf("read %s property %s: %w", obj, name, err)
	}
	return p, nil
}
