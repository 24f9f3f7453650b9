package salesforcetest

import (
	"bytes"
	"encoding/json"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RecordError is a per-record failure: statusCode, message and fields as
// Collections results carry them (§4.1).
type RecordError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

// Write is one record update the org accepted, in order; every one would
// fire record-triggered Flows.
type Write struct {
	Object string
	ID     string
	Fields F
	// Via is "collections", "patch" or "bulk".
	Via string
	At  time.Time
}

// Writes returns the accepted record updates so far.
func (s *Server) Writes() []Write {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Write(nil), s.writes...)
}

// WriteCalls counts Collections and single-record PATCH requests that
// updated at least one record (Bulk ingest jobs are counted by BulkJobs).
func (s *Server) WriteCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeCalls
}

// LockRow makes the next times updates of id fail with UNABLE_TO_LOCK_ROW
// (§4.5), as a Flow or roll-up holding the row would; later ones succeed.
func (s *Server) LockRow(id string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locks[normID(id)] += times
}

// SetValidation installs an admin validation rule: fn sees each update's
// object, id and the fields it sets, and returns nil or the error
// (FIELD_CUSTOM_VALIDATION_EXCEPTION with admin text, typically). nil
// removes it. fn runs with the server locked: it must not call back.
func (s *Server) SetValidation(fn func(object, id string, fields map[string]any) *RecordError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.validate = fn
}

// parseErr is a value of the wrong JSON type: the whole call fails.
type parseErr struct{ msg string }

// decodeValue converts a JSON value for field f; a wrong JSON type is a
// parse error (whole request), a wrong value a record error.
func decodeValue(f *fieldDef, raw json.RawMessage) (any, *RecordError, *parseErr) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		if !f.nillable {
			return nil, &RecordError{"REQUIRED_FIELD_MISSING", "Required fields are missing: [" + f.name + "]", []string{f.name}}, nil
		}
		return nil, nil, nil
	}
	wrong := func(kind string) *parseErr {
		return &parseErr{"Cannot deserialize instance of " + kind + " from " + jsonKind(raw) + " value " + string(raw) + " or request may be missing a required field"}
	}
	switch f.typ {
	case typeCurrency, typeDouble, typePercent, typeInt:
		if len(raw) == 0 || raw[0] == '"' || raw[0] == '{' || raw[0] == '[' || raw[0] == 't' || raw[0] == 'f' {
			return nil, nil, wrong(map[bool]string{true: "int", false: "double"}[f.typ == typeInt])
		}
		if e := checkRange(f, string(raw)); e != nil {
			return nil, e, nil
		}
		return Money(raw), nil, nil
	case typeBoolean:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return nil, nil, wrong("boolean")
		}
		return b, nil, nil
	}
	var str string
	if json.Unmarshal(raw, &str) != nil {
		return nil, nil, wrong(f.typ)
	}
	return textValue(f, str)
}

// textValue converts a text value (JSON string or CSV cell) for field f.
func textValue(f *fieldDef, str string) (any, *RecordError, *parseErr) {
	switch f.typ {
	case typeDatetime:
		for _, layout := range []string{JSONTime, time.RFC3339Nano} {
			if t, err := time.Parse(layout, str); err == nil {
				return t.UTC().Truncate(time.Millisecond), nil, nil
			}
		}
		return nil, nil, &parseErr{"Cannot deserialize instance of datetime from VALUE_STRING value " + str + " or request may be missing a required field"}
	case typeDate:
		if _, err := time.Parse(DateLayout, str); err != nil {
			return nil, nil, &parseErr{"Cannot deserialize instance of date from VALUE_STRING value " + str + " or request may be missing a required field"}
		}
		return Date(str), nil, nil
	case typeCurrency, typeDouble, typePercent, typeInt:
		if _, ok := new(big.Rat).SetString(str); !ok || strings.ContainsAny(str, "eE/") {
			return nil, &RecordError{"INVALID_TYPE_ON_FIELD_IN_RECORD", f.label + ": value not of required type: " + str, []string{f.name}}, nil
		}
		if e := checkRange(f, str); e != nil {
			return nil, e, nil
		}
		return normMoney(str), nil, nil
	case typeBoolean:
		switch strings.ToLower(str) {
		case "true":
			return true, nil, nil
		case "false":
			return false, nil, nil
		}
		return nil, &RecordError{"INVALID_TYPE_ON_FIELD_IN_RECORD", f.label + ": value not of required type: " + str, []string{f.name}}, nil
	case typeRef, typeID:
		id := normID(str)
		if id == "" {
			return nil, &RecordError{"MALFORMED_ID", f.label + ": id value of incorrect type: " + str, []string{f.name}}, nil
		}
		return id, nil, nil
	case typePicklist:
		if f.restricted && !contains(f.picklist, str) {
			return nil, &RecordError{"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f.label + ": bad value for restricted picklist field: " + str, []string{f.name}}, nil
		}
	}
	if f.length > 0 && len([]rune(str)) > f.length {
		return nil, &RecordError{"STRING_TOO_LONG", f.label + ": data value too large: " + str + " (max length=" + itoa(f.length) + ")", []string{f.name}}, nil
	}
	return str, nil, nil
}

// checkRange refuses numbers with more integer digits than precision-scale
// allows (NUMBER_OUTSIDE_VALID_RANGE).
func checkRange(f *fieldDef, num string) *RecordError {
	if f.precision == 0 {
		return nil
	}
	digits := strings.TrimLeft(strings.TrimLeft(num, "+-"), "0")
	if i := strings.IndexByte(digits, '.'); i >= 0 {
		digits = digits[:i]
	}
	if len(digits) > f.precision-f.scale {
		return &RecordError{"NUMBER_OUTSIDE_VALID_RANGE", f.label + ": value outside of valid range on numeric field: " + num, []string{f.name}}
	}
	return nil
}

func jsonKind(raw json.RawMessage) string {
	switch {
	case len(raw) == 0:
		return "VALUE_NULL"
	case raw[0] == '"':
		return "VALUE_STRING"
	case raw[0] == '{':
		return "START_OBJECT"
	case raw[0] == '[':
		return "START_ARRAY"
	case raw[0] == 't':
		return "VALUE_TRUE"
	case raw[0] == 'f':
		return "VALUE_FALSE"
	}
	return "VALUE_NUMBER"
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

// pending is one checked update, ready to apply.
type pending struct {
	r    *record
	vals map[string]any
}

// checkUpdate resolves the target record and the values of one update;
// it consumes a row lock. Called with s.mu held.
func (s *Server) checkUpdate(obj *objectDef, rawID string, vals map[string]any) (*pending, *RecordError) {
	id := normID(rawID)
	if id == "" || !strings.HasPrefix(id, obj.prefix) {
		return nil, &RecordError{"MALFORMED_ID", obj.name + " ID: id value of incorrect type: " + rawID, []string{"Id"}}
	}
	r := s.st.byID[id]
	if r == nil || s.clock.Now().Before(r.visibleAt) {
		return nil, &RecordError{"INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", []string{}}
	}
	if r.deleted() {
		return nil, &RecordError{"ENTITY_IS_DELETED", "entity is deleted", []string{}}
	}
	if s.locks[id] > 0 {
		s.locks[id]--
		return nil, &RecordError{"UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records: " + id, []string{}}
	}
	if s.validate != nil {
		if e := s.validate(obj.name, id, vals); e != nil {
			if e.Fields == nil {
				e.Fields = []string{}
			}
			return nil, e
		}
	}
	return &pending{r: r, vals: vals}, nil
}

// apply commits a checked update: values, LastModifiedDate and
// SystemModstamp, and the write log. Called with s.mu held.
func (s *Server) apply(p *pending, via string) {
	now := s.clock.Now()
	for k, v := range p.vals {
		p.r.vals[k] = v
	}
	p.r.vals["LastModifiedDate"], p.r.vals["SystemModstamp"] = stamp(now), stamp(now)
	s.derive(p.r)
	s.writes = append(s.writes, Write{Object: p.r.obj.name, ID: p.r.id, Fields: p.vals, Via: via, At: now})
}

// fieldsOf checks the field names and JSON values of one update body.
func fieldsOf(obj *objectDef, body map[string]json.RawMessage) (map[string]any, *RecordError, *parseErr) {
	vals := map[string]any{}
	for _, k := range sortedKeys(body) {
		if strings.EqualFold(k, "attributes") || strings.EqualFold(k, "id") {
			continue
		}
		f := obj.field(k)
		if f == nil {
			return nil, &RecordError{"INVALID_FIELD", "No such column '" + k + "' on sobject of type " + obj.name, []string{k}}, nil
		}
		if !f.updateable() {
			return nil, &RecordError{"INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: " + f.name + ". Please check the security settings of this field and verify that it is read/write for your profile or permission set.", []string{f.name}}, nil
		}
		v, rerr, perr := decodeValue(f, body[k])
		if perr != nil || rerr != nil {
			return nil, rerr, perr
		}
		vals[f.name] = v
	}
	return vals, nil, nil
}

type collectionResult struct {
	ID      string        `json:"id,omitempty"`
	Success bool          `json:"success"`
	Errors  []RecordError `json:"errors"`
}

// handleCollections serves PATCH /composite/sobjects (§4.1).
func (s *Server) handleCollections(c *reqCtx) {
	var req struct {
		AllOrNone bool                         `json:"allOrNone"`
		Records   []map[string]json.RawMessage `json:"records"`
	}
	dec := json.NewDecoder(bytes.NewReader(c.body))
	if err := dec.Decode(&req); err != nil {
		c.fail(http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character ('"+firstByte(c.body)+"'): was expecting JSON at [line:1, column:1]")
		return
	}
	if len(req.Records) > 200 {
		c.fail(http.StatusBadRequest, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call")
		return
	}
	if len(req.Records) == 0 {
		c.fail(http.StatusBadRequest, "INVALID_FIELD", "No records provided", "records")
		return
	}
	type entry struct {
		obj  *objectDef
		id   string
		vals map[string]any
		err  *RecordError
	}
	entries := make([]entry, len(req.Records))
	chunks, last := 0, ""
	for i, rec := range req.Records {
		var attrs struct {
			Type string `json:"type"`
		}
		if raw, ok := rec["attributes"]; !ok || json.Unmarshal(raw, &attrs) != nil || attrs.Type == "" {
			c.fail(http.StatusBadRequest, "INVALID_TYPE", "No SObject Type defined in the attributes of record "+itoa(i))
			return
		}
		obj := s.schema[strings.ToLower(attrs.Type)]
		if obj == nil {
			c.fail(http.StatusBadRequest, "INVALID_TYPE", "sObject type '"+attrs.Type+"' is not supported.")
			return
		}
		if obj.name != last {
			chunks, last = chunks+1, obj.name
		}
		e := entry{obj: obj}
		for k, v := range rec {
			if strings.EqualFold(k, "id") {
				_ = json.Unmarshal(v, &e.id)
			}
		}
		if e.id == "" {
			e.err = &RecordError{"MISSING_ARGUMENT", "Id not specified in an update call", []string{}}
		} else {
			vals, rerr, perr := fieldsOf(obj, rec)
			if perr != nil {
				c.fail(http.StatusBadRequest, "JSON_PARSER_ERROR", perr.msg)
				return
			}
			e.vals, e.err = vals, rerr
		}
		entries[i] = e
	}
	if chunks > 10 {
		// Mixed types run in at most 10 contiguous chunks (§4.1); the
		// errorCode of the refusal is unverified.
		c.fail(http.StatusBadRequest, "INVALID_BATCH_REQUEST", "Too many type chunks: a request can hold at most 10 chunks of contiguous sObject types")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := make([]*pending, len(entries))
	failed := false
	for i := range entries {
		e := &entries[i]
		if e.err == nil {
			ps[i], e.err = s.checkUpdate(e.obj, e.id, e.vals)
		}
		failed = failed || e.err != nil
	}
	out := make([]collectionResult, len(entries))
	wrote := false
	for i, e := range entries {
		switch {
		case e.err != nil:
			out[i] = collectionResult{Errors: []RecordError{*e.err}}
		case req.AllOrNone && failed:
			// The exact message is unverified (§4.1).
			out[i] = collectionResult{Errors: []RecordError{{"ALL_OR_NONE_OPERATION_ROLLED_BACK",
				"Record rolled back because not all records were valid and the request was using AllOrNone header", []string{}}}}
		default:
			s.apply(ps[i], "collections")
			wrote = true
			out[i] = collectionResult{ID: ps[i].r.id, Success: true, Errors: []RecordError{}}
		}
	}
	if wrote {
		s.writeCalls++
	}
	c.writeJSON(http.StatusOK, out)
}

func firstByte(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return " "
	}
	return string(b[:1])
}

// handleRecord serves GET and PATCH /sobjects/{type}/{id} (§4.2).
func (s *Server) handleRecord(c *reqCtx) {
	obj := s.schema[strings.ToLower(c.m.typeName)]
	if obj == nil || obj.tooling {
		c.fail(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if c.r.Method == http.MethodGet {
		s.mu.Lock()
		defer s.mu.Unlock()
		r := s.st.byID[normID(c.m.id)]
		switch {
		case r == nil || r.obj != obj || s.clock.Now().Before(r.visibleAt):
			c.fail(http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
			return
		case r.deleted():
			c.fail(http.StatusNotFound, "ENTITY_IS_DELETED", "entity is deleted")
			return
		}
		var fields []path
		for _, f := range obj.visibleFields() {
			fields = append(fields, path{parts: []string{f.name}, field: f})
		}
		c.writeJSON(http.StatusOK, s.renderJSON(r, fields, c.m.versionText, nil))
		return
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(c.body, &body); err != nil {
		c.fail(http.StatusBadRequest, "JSON_PARSER_ERROR", "Unexpected character ('"+firstByte(c.body)+"'): was expecting JSON at [line:1, column:1]")
		return
	}
	vals, rerr, perr := fieldsOf(obj, body)
	if perr != nil {
		c.fail(http.StatusBadRequest, "JSON_PARSER_ERROR", perr.msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var p *pending
	if rerr == nil {
		p, rerr = s.checkUpdate(obj, c.m.id, vals)
	}
	if rerr != nil {
		status := http.StatusBadRequest
		switch rerr.StatusCode {
		case "INVALID_CROSS_REFERENCE_KEY", "MALFORMED_ID":
			status, rerr = http.StatusNotFound, &RecordError{"NOT_FOUND", "The requested resource does not exist", nil}
		case "ENTITY_IS_DELETED":
			status = http.StatusNotFound
		}
		c.fail(status, rerr.StatusCode, rerr.Message, rerr.Fields...)
		return
	}
	s.apply(p, "patch")
	s.writeCalls++
	c.noContent()
}
