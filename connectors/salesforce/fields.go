package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/outputs"
)

// describeTypes are the describe types (§5.1) that hold each kind.
var describeTypes = map[outputs.Kind][]string{
	outputs.Number:   {"double", "currency", "percent", "int"},
	outputs.Text:     {"string", "textarea"},
	outputs.Enum:     {"picklist"},
	outputs.DateTime: {"datetime"},
	outputs.Date:     {"date"},
}

// EnsureFields implements connector.FieldEnsurer. It describes the object
// and, per field:
//
//   - present with a fitting type and editable: exists;
//   - present with another type: wrong type, reported, never overwritten;
//   - a picklist missing segment values: add options, to be done in Setup
//     (rfmsync does not rewrite a picklist's value set);
//   - present but not editable, or created yet hidden by field-level
//     security (§5.3): granted through permission_set when it is set
//     (created and assigned to the integration user when missing), else
//     grant access with exactly what to grant;
//   - missing: created through the Tooling API (§5.2): Number (18, the
//     output's decimals), Text (255), Picklist of the segment ids,
//     DateTime or Date.
func (c *Connector) EnsureFields(ctx context.Context, specs []connector.FieldSpec, apply bool) ([]connector.FieldAction, error) {
	typ := c.o.Object
	d, err := c.describe(ctx, typ)
	if err != nil {
		return nil, fmt.Errorf("fields ensure: %w", err)
	}
	var acts []connector.FieldAction
	var grant []string // fields that need read and edit
	for _, s := range specs {
		name := s.Field.For(typ)
		if name == "" {
			continue
		}
		if df := d.field(name); df != nil {
			act := checkField(typ, name, s, df)
			if act.Action == connector.ActionExists && !df.Updateable {
				grant = append(grant, name)
				continue
			}
			acts = append(acts, act)
			continue
		}
		exists, err := c.customFieldExists(ctx, typ, name)
		if err != nil {
			return acts, fmt.Errorf("fields ensure: %w", err)
		}
		if !exists {
			def := customField(typ, name, s)
			act := connector.FieldAction{Name: name, Action: connector.ActionCreate, Detail: describeDef(def.Metadata)}
			switch err := c.createField(ctx, def, apply); {
			case errorCodeOf(err) == "DUPLICATE_DEVELOPER_NAME" || errorCodeOf(err) == "DUPLICATE_VALUE":
				// There after all, hidden from this user: it only needs access.
			case err != nil:
				return acts, fmt.Errorf("fields ensure: create %s.%s: %w", typ, name, err)
			default:
				acts = append(acts, act)
			}
		}
		grant = append(grant, name)
	}
	if len(grant) == 0 {
		return acts, nil
	}
	if c.o.PermissionSet == "" || !apply {
		for _, name := range grant {
			detail := fmt.Sprintf("grant Read and Edit on %s.%s to the integration user (a permission set assigned to it, or its profile); "+
				"or set %s so fields ensure grants it", typ, name, c.o.key("permission_set"))
			if c.o.PermissionSet != "" {
				detail = fmt.Sprintf("would grant Read and Edit on %s.%s through permission set %s", typ, name, c.o.PermissionSet)
			}
			acts = append(acts, connector.FieldAction{Name: name, Action: connector.ActionGrantAccess, Detail: detail})
		}
		return acts, nil
	}
	readOnly, err := c.grant(ctx, typ, grant)
	if err != nil {
		return acts, fmt.Errorf("fields ensure: grant field access through permission set %s: %w", c.o.PermissionSet, err)
	}
	for _, name := range grant {
		detail := "granted Read and Edit through permission set " + c.o.PermissionSet
		if readOnly[name] {
			detail = fmt.Sprintf("permission set %s grants Read only on %s.%s: tick Edit there (rfmsync does not change existing grants)",
				c.o.PermissionSet, typ, name)
		}
		acts = append(acts, connector.FieldAction{Name: name, Action: connector.ActionGrantAccess, Detail: detail})
	}
	return acts, nil
}

// checkField compares an existing field with its spec.
func checkField(typ, name string, s connector.FieldSpec, df *describeField) connector.FieldAction {
	if df.Calculated || !slices.Contains(describeTypes[s.Kind], df.Type) {
		return connector.FieldAction{Name: name, Action: connector.ActionWrongType,
			Detail: fmt.Sprintf("%s.%s is %s, want %s; rfmsync never changes a field's type: fix it in Setup or map another field",
				typ, name, df.Type, strings.Join(describeTypes[s.Kind], " or "))}
	}
	if s.Kind == outputs.Enum {
		have := map[string]bool{}
		for _, v := range df.PicklistValues {
			have[v.Value] = v.Active
		}
		var missing []string
		for _, o := range s.Options {
			if !have[o.Value] {
				missing = append(missing, o.Value)
			}
		}
		if len(missing) > 0 {
			return connector.FieldAction{Name: name, Action: connector.ActionAddOptions,
				Detail: fmt.Sprintf("add these active values in Setup → Object Manager → %s → Fields → %s: %s", typ, name, strings.Join(missing, ", "))}
		}
	}
	return connector.FieldAction{Name: name, Action: connector.ActionExists}
}

// customField is the Tooling CustomField of a spec (§5.2).
func customField(typ, name string, s connector.FieldSpec) customFieldRequest {
	label := s.Label
	if label == "" {
		label = strings.TrimSuffix(name, "__c")
	}
	if len(label) > 40 { // Salesforce's label limit
		label = label[:40]
	}
	m := customMetadata{Label: label, Description: s.Description}
	switch s.Kind {
	case outputs.Number:
		m.Type, m.Precision, m.Scale = "Number", 18, s.Decimals
	case outputs.Enum:
		m.Type = "Picklist"
		// Unrestricted: a segment added to the config later is written
		// before an admin adds it, instead of being refused.
		m.ValueSet = &valueSet{}
		for _, o := range s.Options {
			m.ValueSet.Definition.Value = append(m.ValueSet.Definition.Value, picklistValue{FullName: o.Value, Label: o.Value})
		}
	case outputs.DateTime:
		m.Type = "DateTime"
	case outputs.Date:
		m.Type = "Date"
	default:
		m.Type, m.Length = "Text", 255
	}
	return customFieldRequest{FullName: typ + "." + name, Metadata: m}
}

func describeDef(m customMetadata) string {
	switch m.Type {
	case "Number":
		return fmt.Sprintf("Number(%d, %d) %q", m.Precision, m.Scale, m.Label)
	case "Text":
		return fmt.Sprintf("Text(%d) %q", m.Length, m.Label)
	case "Picklist":
		var vs []string
		for _, v := range m.ValueSet.Definition.Value {
			vs = append(vs, v.FullName)
		}
		return fmt.Sprintf("Picklist %q: %s", m.Label, strings.Join(vs, ", "))
	}
	return fmt.Sprintf("%s %q", m.Type, m.Label)
}

// customFieldExists asks the Tooling API, which sees fields that
// field-level security hides from describe.
func (c *Connector) customFieldExists(ctx context.Context, typ, name string) (bool, error) {
	dev := strings.TrimSuffix(name, "__c")
	q := fmt.Sprintf("SELECT Id, DeveloperName FROM CustomField WHERE TableEnumOrId = '%s' AND DeveloperName = '%s'", typ, dev)
	resp, err := c.do(ctx, &crmhttp.Request{Method: http.MethodGet, Path: c.root + "/tooling/query", Query: url.Values{"q": {q}}})
	if err != nil {
		return false, err
	}
	var r queryResult
	if err := json.Unmarshal(resp.Body, &r); err != nil || r.Done == nil {
		return false, fmt.Errorf("tooling query: the answer is not a query result")
	}
	return len(r.Records) > 0, nil
}

func (c *Connector) createField(ctx context.Context, def customFieldRequest, apply bool) error {
	if !apply {
		return nil
	}
	body, err := json.Marshal(def)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, &crmhttp.Request{Method: http.MethodPost, Path: c.root + "/tooling/sobjects/CustomField", Body: body})
	return err
}

// grant gives the integration user Read and Edit on fields through the
// configured permission set, creating and assigning it when missing (§5.3),
// and returns the fields the set already holds without Edit.
func (c *Connector) grant(ctx context.Context, typ string, fields []string) (map[string]bool, error) {
	ps := c.o.PermissionSet
	rows, err := c.queryRows(ctx, "SELECT Id FROM PermissionSet WHERE Name = '"+ps+"'")
	if err != nil {
		return nil, err
	}
	var psID string
	if len(rows) > 0 {
		psID = rows[0].str("Id")
	} else if psID, err = c.create(ctx, "PermissionSet", map[string]any{"Name": ps, "Label": ps}); err != nil {
		return nil, err
	}
	user := userID(ctx, c.auth)
	if !idRe.MatchString(user) || !idRe.MatchString(psID) {
		return nil, fmt.Errorf("the token response names no integration user id")
	}
	rows, err = c.queryRows(ctx, "SELECT Id FROM PermissionSetAssignment WHERE PermissionSetId = '"+psID+"' AND AssigneeId = '"+user+"'")
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		if _, err := c.create(ctx, "PermissionSetAssignment", map[string]any{"AssigneeId": user, "PermissionSetId": psID}); err != nil {
			return nil, err
		}
	}
	rows, err = c.queryRows(ctx, "SELECT Id, Field, PermissionsEdit FROM FieldPermissions WHERE ParentId = '"+psID+"' AND SobjectType = '"+typ+"'")
	if err != nil {
		return nil, err
	}
	have := map[string]bool{} // lower-case Object.Field → edit
	for _, r := range rows {
		have[strings.ToLower(r.str("Field"))] = r.bool("PermissionsEdit")
	}
	readOnly := map[string]bool{}
	for _, f := range fields {
		full := typ + "." + f
		if edit, ok := have[strings.ToLower(full)]; ok {
			readOnly[f] = !edit
			continue
		}
		if _, err := c.create(ctx, "FieldPermissions", map[string]any{"ParentId": psID, "SobjectType": typ, "Field": full,
			"PermissionsRead": true, "PermissionsEdit": true}); err != nil {
			return nil, fmt.Errorf("%s: %w", full, err)
		}
	}
	return readOnly, nil
}

// create inserts a setup record and returns its id.
func (c *Connector) create(ctx context.Context, object string, fields map[string]any) (string, error) {
	body, err := json.Marshal(fields)
	if err != nil {
		return "", err
	}
	resp, err := c.do(ctx, &crmhttp.Request{Method: http.MethodPost, Path: c.root + "/sobjects/" + object, Body: body})
	if err != nil {
		return "", fmt.Errorf("create %s: %w", object, err)
	}
	var r createResult
	if err := json.Unmarshal(resp.Body, &r); err != nil || r.ID == "" {
		return "", fmt.Errorf("create %s: the answer names no id", object)
	}
	return r.ID, nil
}
