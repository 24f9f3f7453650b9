package hubspot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// ProblemBadID marks a record whose ID is not HubSpot's shape; core skips
// and counts it under the same name as its own id check.
const ProblemBadID = "bad_id"

// maxIDDigits bounds a record ID: HubSpot IDs are decimal strings that can
// exceed 2^31 (§0); 20 digits hold any unsigned 64-bit value.
const maxIDDigits = 20

// validID reports HubSpot's record ID shape: 1 to 20 decimal digits (§0).
// Anything else (a decoder's U+FFFD for bytes that were not UTF-8, text,
// signs, spaces) is not an ID this connector may store or compare: two
// different bad IDs could collide.
func validID(s string) bool {
	if s == "" || len(s) > maxIDDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// shapeError is a 2xx answer whose body breaks the shape the contract
// promises. The call fails, so the run stops before the page it belongs to
// is stored: reading a missing list as "no more data", "no customer" or
// "record gone" would persist the loss.
func shapeError(op, problem string) error {
	return &crmerr.Error{Class: crmerr.Transient, Message: fmt.Sprintf(
		"%s: HubSpot answered with a body the API does not allow: %s; nothing of it was stored", op, problem)}
}

// checkResults requires a results array (a null or absent one is not an
// empty page) of at most limit entries (a page beyond the requested size is
// not what was asked for and may be an attempt to exhaust memory).
// (encoding/json leaves a slice nil only for null or absent, never for []).
func checkResults[T any](op string, results []T, limit int) error {
	if results == nil {
		return shapeError(op, `"results" is null or missing`)
	}
	if len(results) > limit {
		return shapeError(op, fmt.Sprintf("%d results for a request of at most %d", len(results), limit))
	}
	return nil
}

// paths builds request paths for one API version. Both families carry
// identical JSON (§0): /crm/v3/objects/deals/search and
// /crm/objects/2026-03/deals/search are the same operation.
type paths struct {
	objects, properties, associations, token string
}

func newPaths(version string) paths {
	if version == "v3" {
		return paths{objects: "/crm/v3/objects", properties: "/crm/v3/properties",
			associations: "/crm/v4/associations", token: "/oauth/v1/token"}
	}
	return paths{objects: "/crm/objects/" + version, properties: "/crm/properties/" + version,
		associations: "/crm/associations/" + version, token: "/oauth/" + version + "/token"}
}

func (p paths) search(object string) string { return p.objects + "/" + object + "/search" }
func (p paths) list(object string) string   { return p.objects + "/" + object }
func (p paths) batchUpdate(object string) string {
	return p.objects + "/" + object + "/batch/update"
}
func (p paths) batchRead(object string) string { return p.objects + "/" + object + "/batch/read" }
func (p paths) assocBatchRead(from, to string) string {
	return p.associations + "/" + from + "/" + to + "/batch/read"
}
func (p paths) propertyList(object string) string { return p.properties + "/" + object }
func (p paths) property(object, name string) string {
	return p.properties + "/" + object + "/" + url.PathEscape(name)
}
func (p paths) groups(object string) string { return p.properties + "/" + object + "/groups" }
func (p paths) group(object, name string) string {
	return p.groups(object) + "/" + url.PathEscape(name)
}

// filter is one search filter; values are strings on the wire.
type filter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        string `json:"value,omitempty"`
}

type filterGroup struct {
	Filters []filter `json:"filters"`
}

// sortRule is sent as an object; the SDKs' stringified form is a known bug (§2.1).
type sortRule struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

// searchRequest is PublicObjectSearchRequest. It never sends "after":
// keyset paging on hs_object_id always reads from offset 0, so the
// 10,000-result offset cap is never reached.
type searchRequest struct {
	FilterGroups []filterGroup `json:"filterGroups"`
	Sorts        []sortRule    `json:"sorts"`
	Properties   []string      `json:"properties"`
	Limit        int           `json:"limit"`
}

// object is SimplePublicObject (WithAssociations, as the list endpoint
// answers); property values are strings or null.
type object struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	Archived   bool               `json:"archived"`
	// Associations is the list's inline block, keyed by plural object type,
	// without a key for a type the record has no associations to (§2.3).
	Associations map[string]*inlineAssociations `json:"associations,omitempty"`
}

// inlineAssociations is one type's inline association block: at most 100
// entries, one per association type (legacy type strings, so a primary
// company comes twice), with paging when more exist (§2.3, §3.1).
type inlineAssociations struct {
	Results []struct {
		ID   objectID `json:"id"`
		Type string   `json:"type"`
	} `json:"results"`
	Paging *paging `json:"paging"`
}

// prop returns a property value, "" for null or absent.
func (o *object) prop(name string) string {
	if v := o.Properties[name]; v != nil {
		return *v
	}
	return ""
}

type paging struct {
	Next *struct {
		After string `json:"after"`
	} `json:"next"`
}

// nextAfter is the next page's cursor, "" on the last page.
func (p *paging) nextAfter() string {
	if p == nil || p.Next == nil {
		return ""
	}
	return p.Next.After
}

type searchResponse struct {
	Total   int      `json:"total"`
	Results []object `json:"results"`
	Paging  *paging  `json:"paging"`
}

type listResponse struct {
	Results []object `json:"results"`
	Paging  *paging  `json:"paging"`
}

// batchError is a per-item StandardError of a 207. subCategory is a string
// in real answers though the spec types it as an object, so it is kept raw.
type batchError struct {
	Status      string              `json:"status"`
	Category    string              `json:"category"`
	SubCategory json.RawMessage     `json:"subCategory"`
	Message     string              `json:"message"`
	Context     map[string][]string `json:"context"`
}

// subCategory returns the subCategory when it is a string.
func (e *batchError) subCategory() string {
	var s string
	if json.Unmarshal(e.SubCategory, &s) == nil {
		return s
	}
	return ""
}

type assocInput struct {
	ID    string `json:"id"`
	After string `json:"after,omitempty"`
}

type assocRequest struct {
	Inputs []assocInput `json:"inputs"`
}

// objectID is a record ID sent as a JSON string or, as toObjectId is in
// real answers, a JSON number (§3.2).
type objectID string

func (o *objectID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*o = objectID(s)
		return nil
	}
	if _, err := strconv.ParseUint(string(b), 10, 64); err != nil {
		return errors.New("object id is neither a string nor a whole number")
	}
	*o = objectID(b)
	return nil
}

type assocType struct {
	Category string  `json:"category"`
	TypeID   int     `json:"typeId"`
	Label    *string `json:"label"`
}

type assocResult struct {
	From struct {
		ID objectID `json:"id"`
	} `json:"from"`
	To []struct {
		ToObjectID       objectID    `json:"toObjectId"`
		AssociationTypes []assocType `json:"associationTypes"`
	} `json:"to"`
	Paging *paging `json:"paging"`
}

type assocResponse struct {
	Results []assocResult `json:"results"`
	Errors  []batchError  `json:"errors"`
}

// readInput is one record of an object batch read, by record ID.
type readInput struct {
	ID string `json:"id"`
}

// readRequest is BatchReadInputSimplePublicObjectId (§2.4).
type readRequest struct {
	Properties []string    `json:"properties"`
	Inputs     []readInput `json:"inputs"`
}

// readResponse is BatchResponseSimplePublicObject(WithErrors).
type readResponse struct {
	Results []object     `json:"results"`
	Errors  []batchError `json:"errors"`
}

type updateInput struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
}

type updateRequest struct {
	Inputs []updateInput `json:"inputs"`
}

type updateResponse struct {
	Results []object     `json:"results"`
	Errors  []batchError `json:"errors"`
}

// apiError is HubSpot's error envelope (§7), 429 fields included; every
// field is optional in practice.
type apiError struct {
	Status     string `json:"status"`
	Message    string `json:"message"`
	Category   string `json:"category"`
	ErrorType  string `json:"errorType"`
	PolicyName string `json:"policyName"`
	Errors     []struct {
		Message string              `json:"message"`
		Code    string              `json:"code"`
		Context map[string][]string `json:"context"`
	} `json:"errors"`
	Context map[string][]string `json:"context"`
	// Token-endpoint failures add RFC 6749 fields (§1.2).
	Error string `json:"error"`
}

// parseAPIError reads an error body; ok is false for HTML, empty or
// otherwise non-JSON bodies.
func parseAPIError(body []byte) (apiError, bool) {
	var e apiError
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &e) != nil {
		return apiError{}, false
	}
	return e, true
}

type propertyOption struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Description  string `json:"description,omitempty"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

// property is a property definition as read and created (§5.2).
type property struct {
	Name        string           `json:"name"`
	Label       string           `json:"label,omitempty"`
	Description string           `json:"description,omitempty"`
	GroupName   string           `json:"groupName,omitempty"`
	Type        string           `json:"type"`
	FieldType   string           `json:"fieldType"`
	Options     []propertyOption `json:"options,omitempty"`
	// Modification is only read: it tells a property whose values no
	// write may set (readOnlyValue), such as a calculated one.
	Modification *modificationMetadata `json:"modificationMetadata,omitempty"`
}

// modificationMetadata is the part of a Property's modificationMetadata
// rfmsync needs (§5.2).
type modificationMetadata struct {
	ReadOnlyValue bool `json:"readOnlyValue"`
}

// readOnly reports a property batch/update refuses with READ_ONLY_VALUE:
// one HubSpot calculates (fieldType calculation_equation) or marks
// readOnlyValue.
func (p *property) readOnly() bool {
	return p.FieldType == "calculation_equation" || (p.Modification != nil && p.Modification.ReadOnlyValue)
}

type propertyList struct {
	Results []property `json:"results"`
}

type propertyGroup struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
}

// jsonUnmarshalString decodes JSON held in a string, such as the array
// HubSpot embeds in a validation message.
func jsonUnmarshalString(s string, v any) error { return json.Unmarshal([]byte(s), v) }
