package salesforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// apiError is one element of Salesforce's JSON-array error body (§7).
type apiError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields"`
}

// parseErrors reads an error array; ok is false for any other body (HTML
// maintenance pages, empty edge responses, truncated JSON).
func parseErrors(body []byte) ([]apiError, bool) {
	var errs []apiError
	if err := json.Unmarshal(bytes.TrimSpace(body), &errs); err != nil || len(errs) == 0 {
		return nil, false
	}
	return errs, true
}

// queryResult is one page of query/queryAll (§2.2). Records stay raw so
// amounts keep every digit (json.Number through row.UnmarshalJSON).
type queryResult struct {
	TotalSize      *int64 `json:"totalSize"`
	Done           *bool  `json:"done"`
	NextRecordsURL string `json:"nextRecordsUrl"`
	Records        []row  `json:"records"`
}

// row is one record: field name → raw JSON value. Nested parents and
// child subqueries stay raw too.
type row map[string]json.RawMessage

// str returns a string field, "" for null or absent.
func (r row) str(name string) string {
	raw, ok := r[name]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// bool reads a boolean field; absent or null is false.
func (r row) bool(name string) bool {
	var b bool
	_ = json.Unmarshal(r[name], &b)
	return b
}

// number returns a numeric field as its exact JSON text ("" for null),
// never through a float.
func (r row) number(name string) (string, error) {
	raw := bytes.TrimSpace(r[name])
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var n json.Number
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", fmt.Errorf("field %s: %w", name, err)
	}
	switch t := v.(type) {
	case json.Number:
		n = t
	case string:
		n = json.Number(strings.TrimSpace(t))
	default:
		return "", fmt.Errorf("field %s: want a number, got %s", name, raw)
	}
	return n.String(), nil
}

// text renders any scalar field as the text core compares: strings as
// they are, numbers as their JSON text, booleans as true/false, null as "".
func (r row) text(name string) string {
	raw := bytes.TrimSpace(r[name])
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		return r.str(name)
	}
	return string(raw)
}

// parent returns a child-to-parent relationship (Account.PersonContactId),
// nil when the lookup is empty.
func (r row) parent(rel string) row {
	raw := bytes.TrimSpace(r[rel])
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var p row
	if json.Unmarshal(raw, &p) != nil {
		return nil
	}
	return p
}

// children returns a parent-to-child subquery's rows; null means none.
func (r row) children(rel string) []row {
	raw := bytes.TrimSpace(r[rel])
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var q queryResult
	if json.Unmarshal(raw, &q) != nil {
		return nil
	}
	return q.Records
}

// collectionResult is one entry of a Collections answer, in input order;
// id may be missing on failures (§4.1).
type collectionResult struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
	Errors  []struct {
		StatusCode string   `json:"statusCode"`
		Message    string   `json:"message"`
		Fields     []string `json:"fields"`
	} `json:"errors"`
}

// describeResult is the part of sobjects/X/describe rfmsync reads (§5.1).
type describeResult struct {
	Name   string          `json:"name"`
	Fields []describeField `json:"fields"`
}

type describeField struct {
	Name           string `json:"name"`
	Label          string `json:"label"`
	Type           string `json:"type"`
	Updateable     bool   `json:"updateable"`
	Filterable     bool   `json:"filterable"`
	Calculated     bool   `json:"calculated"`
	PicklistValues []struct {
		Value  string `json:"value"`
		Active bool   `json:"active"`
	} `json:"picklistValues"`
}

// customFieldRequest is a Tooling API CustomField create (§5.2).
type customFieldRequest struct {
	FullName string         `json:"FullName"`
	Metadata customMetadata `json:"Metadata"`
}

type customMetadata struct {
	Type        string    `json:"type"`
	Label       string    `json:"label"`
	Description string    `json:"description,omitempty"`
	Precision   int       `json:"precision,omitempty"`
	Scale       int       `json:"scale,omitempty"`
	Length      int       `json:"length,omitempty"`
	Required    bool      `json:"required"`
	ValueSet    *valueSet `json:"valueSet,omitempty"`
}

type valueSet struct {
	Restricted bool `json:"restricted"`
	Definition struct {
		Sorted bool            `json:"sorted"`
		Value  []picklistValue `json:"value"`
	} `json:"valueSetDefinition"`
}

type picklistValue struct {
	FullName string `json:"fullName"`
	Label    string `json:"label"`
	Default  bool   `json:"default"`
}

// createResult answers POST sobjects/X and tooling/sobjects/CustomField.
type createResult struct {
	ID      string `json:"id"`
	Success bool   `json:"success"`
}
