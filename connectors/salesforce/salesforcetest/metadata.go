package salesforcetest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
)

// FieldSpec describes a custom field in Setup terms (§5.2).
type FieldSpec struct {
	// Name is the API name, ending in __c.
	Name  string
	Label string
	// Type is Number, Text, Picklist, Date, DateTime, Currency, Percent or
	// Checkbox.
	Type      string
	Precision int
	Scale     int
	Length    int
	Picklist  []string
	// Restricted makes the picklist refuse values outside it.
	Restricted bool
	// Hidden leaves the field without read FLS for the integration user;
	// ReadOnly grants read without edit.
	Hidden, ReadOnly bool
}

// setupTypes maps Setup types to describe types (§5.1).
var setupTypes = map[string]string{
	"Number": typeDouble, "Text": typeString, "Picklist": typePicklist, "Date": typeDate,
	"DateTime": typeDatetime, "Currency": typeCurrency, "Percent": typePercent, "Checkbox": typeBoolean,
}

func (spec FieldSpec) def() (*fieldDef, *RecordError) {
	typ, ok := setupTypes[spec.Type]
	if !ok {
		return nil, &RecordError{"FIELD_INTEGRITY_EXCEPTION", "Type: bad value for restricted picklist field: " + spec.Type, []string{"Type"}}
	}
	if !strings.HasSuffix(spec.Name, "__c") || len(spec.Name) <= 3 {
		return nil, &RecordError{"INVALID_FIELD", "The custom field name must end in __c: " + spec.Name, []string{"FullName"}}
	}
	if spec.Label == "" {
		return nil, &RecordError{"REQUIRED_FIELD_MISSING", "Required fields are missing: [Label]", []string{"Label"}}
	}
	f := &fieldDef{name: spec.Name, label: spec.Label, typ: typ, custom: true, nillable: true, filterable: true,
		precision: spec.Precision, scale: spec.Scale, length: spec.Length}
	switch typ {
	case typeDouble, typeCurrency, typePercent:
		if f.precision == 0 {
			f.precision = 18
		}
		if f.precision > 18 || f.scale > f.precision {
			return nil, &RecordError{"FIELD_INTEGRITY_EXCEPTION", "Precision must be at most 18 and not below scale", []string{"Precision"}}
		}
	case typeString:
		if f.length < 1 || f.length > 255 {
			return nil, &RecordError{"FIELD_INTEGRITY_EXCEPTION", "Length: the length of a Text field must be between 1 and 255", []string{"Length"}}
		}
	case typePicklist:
		if len(spec.Picklist) == 0 {
			return nil, &RecordError{"FIELD_INTEGRITY_EXCEPTION", "Picklist must define at least one value", []string{"ValueSet"}}
		}
		f.picklist, f.restricted, f.length = append([]string(nil), spec.Picklist...), spec.Restricted, 255
	case typeBoolean:
		f.nillable = false
	}
	f.hidden, f.noEdit = spec.Hidden, spec.ReadOnly
	return f, nil
}

// SeedField adds a custom field as an admin with FLS already granted
// (unless spec says Hidden/ReadOnly), as a package install would.
func (s *Server) SeedField(object string, spec FieldSpec) {
	obj := s.object(object)
	f, err := spec.def()
	if err != nil {
		panic("salesforcetest: " + err.Message)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if obj.byLower[strings.ToLower(f.name)] != nil {
		panic("salesforcetest: field exists: " + f.name)
	}
	s.addField(obj, f)
	// The Tooling API lists installed fields too, hidden or not (§5.2).
	s.createLocked(s.tooling["customfield"], F{"DeveloperName": strings.TrimSuffix(f.name, "__c"),
		"TableEnumOrId": obj.name, "FullName": obj.name + "." + f.name})
}

// addField adds f with nil values on every record. Called with s.mu held.
func (s *Server) addField(obj *objectDef, f *fieldDef) {
	obj.add(f)
	s.schemaAt = s.clock.Now()
	for _, r := range s.st.byObj[obj.name] {
		r.vals[f.name] = nil
		if f.typ == typeBoolean {
			r.vals[f.name] = false
		}
	}
}

// FieldVisible reports whether the integration user can read a field.
func (s *Server) FieldVisible(object, field string) (read, edit bool) {
	obj := s.object(object)
	s.mu.Lock()
	defer s.mu.Unlock()
	f := obj.field(field)
	if f == nil {
		return false, false
	}
	return true, f.updateable()
}

// handleSObjectList serves GET /sobjects/.
func (s *Server) handleSObjectList(c *reqCtx) {
	var out []map[string]any
	for _, k := range sortedKeys(s.schema) {
		o := s.schema[k]
		out = append(out, map[string]any{"name": o.name, "label": o.label, "keyPrefix": o.prefix, "custom": false,
			"queryable": true, "updateable": true, "createable": o.creatable,
			"urls": map[string]string{"sobject": "/services/data/v" + c.m.versionText + "/sobjects/" + o.name,
				"describe": "/services/data/v" + c.m.versionText + "/sobjects/" + o.name + "/describe"}})
	}
	c.writeJSON(http.StatusOK, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": out})
}

// handleDescribe serves GET /sobjects/{type}/describe (§5.1): fields the
// integration user cannot read are absent.
func (s *Server) handleDescribe(c *reqCtx) {
	obj := s.schema[strings.ToLower(c.m.typeName)]
	if obj == nil {
		c.fail(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if since, err := http.ParseTime(c.r.Header.Get("If-Modified-Since")); err == nil && !s.schemaAt.Truncate(time.Second).After(since) {
		c.limitHeader()
		c.w.WriteHeader(http.StatusNotModified)
		return
	}
	var fields []map[string]any
	for _, f := range obj.visibleFields() {
		pick := []map[string]any{}
		for _, v := range f.picklist {
			pick = append(pick, map[string]any{"value": v, "label": v, "active": true, "defaultValue": false, "validFor": nil})
		}
		fd := map[string]any{"name": f.name, "label": f.label, "type": f.typ, "custom": f.custom,
			"updateable": f.updateable(), "createable": f.updateable(), "nillable": f.nillable,
			"filterable": f.filterable, "calculated": f.readOnly && !f.system, "length": f.length,
			"precision": f.precision, "scale": f.scale, "picklistValues": pick,
			"restrictedPicklist": f.restricted, "referenceTo": []string{}, "relationshipName": nil}
		if f.refTo != "" {
			fd["referenceTo"], fd["relationshipName"] = []string{f.refTo}, f.relName
		}
		fields = append(fields, fd)
	}
	c.writeJSON(http.StatusOK, map[string]any{"name": obj.name, "label": obj.label, "custom": false,
		"keyPrefix": obj.prefix, "queryable": true, "updateable": true, "createable": obj.creatable, "fields": fields})
}

// handleCustomFieldCreate serves POST /tooling/sobjects/CustomField (§5.2):
// the new field is invisible to the integration user until a permission
// set grants it (§5.3).
func (s *Server) handleCustomFieldCreate(c *reqCtx) {
	var req struct {
		FullName string `json:"FullName"`
		Metadata struct {
			Type      string `json:"type"`
			Label     string `json:"label"`
			Precision int    `json:"precision"`
			Scale     int    `json:"scale"`
			Length    int    `json:"length"`
			ValueSet  *struct {
				Restricted bool `json:"restricted"`
				Definition struct {
					Value []struct {
						FullName string `json:"fullName"`
						Label    string `json:"label"`
					} `json:"value"`
				} `json:"valueSetDefinition"`
			} `json:"valueSet"`
		} `json:"Metadata"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		c.fail(http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character ('"+firstByte(c.body)+"'): was expecting JSON at [line:1, column:1]")
		return
	}
	objName, name, ok := strings.Cut(req.FullName, ".")
	obj := s.schema[strings.ToLower(objName)]
	if !ok || obj == nil || obj.tooling {
		c.fail(http.StatusBadRequest, "INVALID_FIELD", "FullName: no such object: "+objName, "FullName")
		return
	}
	if t := req.Metadata.Type; (t == "Number" || t == "Currency" || t == "Percent") && req.Metadata.Precision == 0 {
		// The Metadata API wants precision (and scale) for numbers; the
		// admin UI's default does not apply here.
		c.fail(http.StatusBadRequest, "FIELD_INTEGRITY_EXCEPTION", "Precision: the precision of a "+t+" field is required", "Precision")
		return
	}
	spec := FieldSpec{Name: name, Label: req.Metadata.Label, Type: req.Metadata.Type, Precision: req.Metadata.Precision,
		Scale: req.Metadata.Scale, Length: req.Metadata.Length, Hidden: true}
	if vs := req.Metadata.ValueSet; vs != nil {
		spec.Restricted = vs.Restricted
		for _, v := range vs.Definition.Value {
			spec.Picklist = append(spec.Picklist, v.FullName)
		}
	}
	f, rerr := spec.def()
	if rerr != nil {
		c.fail(http.StatusBadRequest, rerr.StatusCode, rerr.Message, rerr.Fields...)
		return
	}
	f.fls = true
	s.mu.Lock()
	defer s.mu.Unlock()
	if obj.byLower[strings.ToLower(f.name)] != nil {
		// DUPLICATE_DEVELOPER_NAME or DUPLICATE_VALUE: which one is
		// unverified (§5.2); the fake sends the first.
		c.fail(http.StatusBadRequest, "DUPLICATE_DEVELOPER_NAME", "There is already a field named "+strings.TrimSuffix(f.name, "__c")+" on "+obj.name+".")
		return
	}
	s.addField(obj, f)
	s.recomputeFLS()
	cf := s.createLocked(s.tooling["customfield"], F{"DeveloperName": strings.TrimSuffix(f.name, "__c"),
		"TableEnumOrId": obj.name, "FullName": obj.name + "." + f.name})
	c.writeJSON(http.StatusCreated, map[string]any{"id": cf.id, "success": true, "errors": []any{}, "warnings": []any{}, "infos": []any{}})
}

// handleCreate serves POST /sobjects/{type} for the setup objects rfmsync
// creates (PermissionSet, FieldPermissions, PermissionSetAssignment). Other
// objects are refused: rfmsync never creates business records.
func (s *Server) handleCreate(c *reqCtx) {
	obj := s.schema[strings.ToLower(c.m.typeName)]
	if obj == nil {
		c.fail(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if !obj.creatable {
		c.fail(http.StatusForbidden, "INSUFFICIENT_ACCESS_OR_READONLY", "salesforcetest: the integration user may not create "+obj.name+" records")
		return
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &body); err != nil {
		c.fail(http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character ('"+firstByte(c.body)+"'): was expecting JSON at [line:1, column:1]")
		return
	}
	vals := map[string]any{}
	for _, k := range sortedKeys(body) {
		f := obj.field(k)
		if f == nil {
			c.fail(http.StatusBadRequest, "INVALID_FIELD", "No such column '"+k+"' on sobject of type "+obj.name, k)
			return
		}
		if f.system || f.readOnly {
			c.fail(http.StatusBadRequest, "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: "+f.name+".", f.name)
			return
		}
		v, rerr, perr := decodeValue(f, body[k])
		if perr != nil {
			c.fail(http.StatusBadRequest, "JSON_PARSER_ERROR", perr.msg)
			return
		}
		if rerr != nil {
			c.fail(http.StatusBadRequest, rerr.StatusCode, rerr.Message, rerr.Fields...)
			return
		}
		vals[f.name] = v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rerr := s.checkSetupRecord(obj, vals); rerr != nil {
		c.fail(http.StatusBadRequest, rerr.StatusCode, rerr.Message, rerr.Fields...)
		return
	}
	r := s.createLocked(obj, vals)
	s.recomputeFLS()
	c.writeJSON(http.StatusCreated, map[string]any{"id": r.id, "success": true, "errors": []any{}})
}

// checkSetupRecord applies the references and uniqueness of the setup
// objects. Called with s.mu held.
func (s *Server) checkSetupRecord(obj *objectDef, vals map[string]any) *RecordError {
	refOK := func(field, object string) *RecordError {
		id, _ := vals[field].(string)
		r := s.st.byID[id]
		if r == nil || r.obj.name != object {
			return &RecordError{"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", []string{field}}
		}
		return nil
	}
	switch obj.name {
	case PermissionSet:
		if vals["Name"] == nil || vals["Label"] == nil {
			return &RecordError{"REQUIRED_FIELD_MISSING", "Required fields are missing: [Name, Label]", []string{"Name", "Label"}}
		}
	case FieldPermissions:
		if e := refOK("ParentId", PermissionSet); e != nil {
			return e
		}
		full, _ := vals["Field"].(string)
		on, name, _ := strings.Cut(full, ".")
		target := s.schema[strings.ToLower(on)]
		if target == nil || target.byLower[strings.ToLower(name)] == nil || vals["SobjectType"] != target.name {
			return &RecordError{"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Field Name: bad value for restricted picklist field: " + full, []string{"Field"}}
		}
		for _, r := range s.st.byObj[FieldPermissions] {
			if r.vals["ParentId"] == vals["ParentId"] && strings.EqualFold(r.vals["Field"].(string), full) {
				return &RecordError{"DUPLICATE_VALUE", "duplicate value found: <unknown> duplicates value on record with id: " + r.id, []string{}}
			}
		}
		if vals["PermissionsEdit"] == true && vals["PermissionsRead"] != true {
			return &RecordError{"FIELD_INTEGRITY_EXCEPTION", "Permission Read is required when Edit is granted", []string{"PermissionsRead"}}
		}
	case PermissionSetAssignment:
		if e := refOK("AssigneeId", "User"); e != nil {
			return e
		}
		if e := refOK("PermissionSetId", PermissionSet); e != nil {
			return e
		}
		for _, r := range s.st.byObj[PermissionSetAssignment] {
			if r.vals["AssigneeId"] == vals["AssigneeId"] && r.vals["PermissionSetId"] == vals["PermissionSetId"] {
				return &RecordError{"DUPLICATE_VALUE", "duplicate value found: <unknown> duplicates value on record with id: " + r.id, []string{}}
			}
		}
	}
	return nil
}

// recomputeFLS makes fields created through the Tooling API visible, and
// editable, as the permission sets assigned to the integration user (and
// its profile's own set) grant. Called with s.mu held.
func (s *Server) recomputeFLS() {
	sets := map[string]bool{}
	for _, r := range s.st.byObj[PermissionSet] {
		if r.vals["IsOwnedByProfile"] == true {
			sets[r.id] = true
		}
	}
	for _, r := range s.st.byObj[PermissionSetAssignment] {
		if r.vals["AssigneeId"] == UserID {
			sets[r.vals["PermissionSetId"].(string)] = true
		}
	}
	read, edit := map[string]bool{}, map[string]bool{}
	for _, r := range s.st.byObj[FieldPermissions] {
		if !sets[r.vals["ParentId"].(string)] {
			continue
		}
		key := strings.ToLower(r.vals["Field"].(string))
		read[key] = read[key] || r.vals["PermissionsRead"] == true
		edit[key] = edit[key] || r.vals["PermissionsEdit"] == true
	}
	for _, obj := range s.schema {
		for _, f := range obj.fields {
			if f.fls {
				key := strings.ToLower(obj.name + "." + f.name)
				if f.hidden != !read[key] || f.noEdit != !edit[key] {
					s.schemaAt = s.clock.Now()
				}
				f.hidden, f.noEdit = !read[key], !edit[key]
			}
		}
	}
}

// CustomFields lists the fields created through the Tooling API, as
// "Object.Field" sorted.
func (s *Server) CustomFields() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.st.byObj["CustomField"] {
		out = append(out, r.vals["FullName"].(string))
	}
	sort.Strings(out)
	return out
}
