package hubspottest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// assocTypeJSON is an association type on the wire.
type assocTypeJSON struct {
	Category string  `json:"category"`
	TypeID   int     `json:"typeId"`
	Label    *string `json:"label"`
}

// assocToJSON is one target; toObjectId is a JSON number as observed (§3.2).
type assocToJSON struct {
	ToObjectID       int64           `json:"toObjectId"`
	AssociationTypes []assocTypeJSON `json:"associationTypes"`
}

type assocResultJSON struct {
	From struct {
		ID string `json:"id"`
	} `json:"from"`
	To     []assocToJSON `json:"to"`
	Paging *pagingJSON   `json:"paging,omitempty"`
}

func wireTypes(types []AssociationType) []assocTypeJSON {
	out := make([]assocTypeJSON, len(types))
	for i, at := range types {
		out[i] = assocTypeJSON{Category: at.Category, TypeID: at.TypeID}
		if at.Label != "" {
			l := at.Label
			out[i].Label = &l
		}
	}
	return out
}

// assocCursor encodes the last returned target like HubSpot's opaque
// cursors ("MC0yLTEwMg%3D%3D" is base64 "0-2-102", URL-escaped).
func assocCursor(to *objectMeta, last int64) string {
	raw := to.typeID + "-" + strconv.FormatInt(last, 10)
	return url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(raw)))
}

// parseAssocCursor returns the last target ID a cursor points after.
func parseAssocCursor(to *objectMeta, c string) (int64, bool) {
	if un, err := url.QueryUnescape(c); err == nil {
		c = un
	}
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), to.typeID+"-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil
}

// pageEdges returns up to size edges after the cursor and the cursor of the
// next page ("" when none).
func pageEdges(edges []*edge, after int64, size int, to *objectMeta) ([]*edge, string) {
	i, _ := slices.BinarySearchFunc(edges, after+1, func(e *edge, id int64) int { return cmpInt(e.to, id) })
	edges = edges[i:]
	if len(edges) <= size {
		return edges, ""
	}
	return edges[:size], assocCursor(to, edges[size-1].to)
}

// maxAssocBatchInputs is the v4 batch-read input limit since 2025-02 (§3.2).
const maxAssocBatchInputs = 1000

// handleAssocBatchRead serves POST /crm/v4/associations/{from}/{to}/batch/read.
// Inputs without associations are left out of results and reported as 207
// errors with subCategory crm.associations.NO_ASSOCIATIONS_FOUND (§3.2).
func (s *Server) handleAssocBatchRead(c *reqCtx) {
	var req struct {
		Inputs []assocInput `json:"inputs"`
	}
	if !c.decodeJSON(&req) {
		return
	}
	if req.Inputs == nil {
		c.validation("Invalid input JSON: Cannot build BatchInputPublicFetchAssociationsBatchRequest, some of required attributes are not set [inputs]")
		return
	}
	if n := len(req.Inputs); n > maxAssocBatchInputs {
		c.validation("Batch read of associations accepts at most %d inputs, got %d", maxAssocBatchInputs, n)
		return
	}
	from, to := c.m.meta, c.m.toMeta
	started := s.clock.Now()
	var results []assocResultJSON
	var errs []batchError
	var msg string
	s.locked(func() {
		results, errs, msg = s.assocBatch(from, to, req.Inputs)
	})
	if msg != "" {
		c.validation("%s", msg)
		return
	}
	writeBatch(c, results, errs, started, s.clock.Now())
}

// assocInput is one v4 batch-read input.
type assocInput struct {
	ID    json.RawMessage `json:"id"`
	After string          `json:"after"`
}

// assocBatch reads one page of associations per input; s.mu is held.
func (s *Server) assocBatch(from, to *objectMeta, inputs []assocInput) ([]assocResultJSON, []batchError, string) {
	var results []assocResultJSON
	var errs []batchError
	for _, in := range inputs {
		idStr, ok := scalar(in.ID)
		if !ok {
			return nil, nil, "Invalid input JSON: Cannot build PublicFetchAssociationsBatchRequest, some of required attributes are not set [id]"
		}
		var after int64
		if in.After != "" {
			if after, ok = parseAssocCursor(to, in.After); !ok {
				return nil, nil, fmt.Sprintf("Invalid after cursor %q for input %s", in.After, idStr)
			}
		}
		var page []*edge
		var next string
		if id, err := strconv.ParseInt(idStr, 10, 64); err == nil {
			page, next = pageEdges(s.visibleEdges(from.plural, to.plural, id), after, s.opts.AssociationPageSize, to)
		}
		if len(page) == 0 {
			errs = append(errs, batchError{Status: "error", Category: "OBJECT_NOT_FOUND",
				SubCategory: "crm.associations.NO_ASSOCIATIONS_FOUND",
				Message:     fmt.Sprintf("No %s is associated with %s %s.", to.singular, from.singular, idStr),
				Context: map[string][]string{"fromObjectId": {idStr},
					"fromObjectType": {from.singular}, "toObjectType": {to.singular}}})
			continue
		}
		r := assocResultJSON{To: make([]assocToJSON, len(page))}
		r.From.ID = idStr
		for i, e := range page {
			r.To[i] = assocToJSON{ToObjectID: e.to, AssociationTypes: wireTypes(e.types)}
		}
		if next != "" {
			r.Paging = &pagingJSON{Next: pagingNextJSON{After: next}}
		}
		results = append(results, r)
	}
	unordered(s, results)
	return results, errs, ""
}

// handleAssocGet serves GET /crm/v4/objects/{type}/{id}/associations/{to}
// (limit default and maximum 500, §3.3).
func (s *Server) handleAssocGet(c *reqCtx) {
	q := c.r.URL.Query()
	limit, msg := queryInt(q, "limit", 500)
	if msg == "" && (limit < 1 || limit > 500) {
		msg = "limit must be between 1 and 500"
	}
	if msg != "" {
		c.validation("%s", msg)
		return
	}
	var after int64
	if a := q.Get("after"); a != "" {
		var ok bool
		if after, ok = parseAssocCursor(c.m.toMeta, a); !ok {
			c.validation("Invalid after cursor %q", a)
			return
		}
	}
	resp := struct {
		Results []assocToJSON `json:"results"`
		Paging  *pagingJSON   `json:"paging,omitempty"`
	}{Results: []assocToJSON{}}
	s.locked(func() {
		id, err := strconv.ParseInt(c.m.id, 10, 64)
		if err != nil {
			return
		}
		page, next := pageEdges(s.visibleEdges(c.m.meta.plural, c.m.toMeta.plural, id), after, limit, c.m.toMeta)
		for _, e := range page {
			resp.Results = append(resp.Results, assocToJSON{ToObjectID: e.to, AssociationTypes: wireTypes(e.types)})
		}
		if next != "" {
			resp.Paging = &pagingJSON{Next: pagingNextJSON{After: next}}
		}
	})
	c.writeJSON(http.StatusOK, resp)
}

// inlineAssocJSON is the v3 inline associations block of one type.
type inlineAssocJSON struct {
	Results []inlineAssocItem `json:"results"`
	Paging  *pagingJSON       `json:"paging,omitempty"`
}

type inlineAssocItem struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// maxInlineAssociations caps v3 inline associations per type (§2.3).
const maxInlineAssociations = 100

// inlineAssociations builds the v3 associations block: plural keys, legacy
// type strings with one entry per type (so a primary company appears twice),
// omitted when empty; s.mu is held.
func (s *Server) inlineAssociations(t *table, e *entry, toTypes []*objectMeta) map[string]*inlineAssocJSON {
	var out map[string]*inlineAssocJSON
	for _, tm := range toTypes {
		var items []inlineAssocItem
		var next string
		for _, ed := range s.visibleEdges(t.meta.plural, tm.plural, e.id) {
			types := slices.Clone(ed.types)
			// Labelled (primary) entries come first, as in HubSpot's output.
			slices.SortStableFunc(types, func(a, b AssociationType) int {
				return cmpBool(a.Label == "", b.Label == "")
			})
			for _, at := range types {
				if len(items) == maxInlineAssociations {
					next = assocCursor(tm, ed.to)
					break
				}
				items = append(items, inlineAssocItem{ID: strconv.FormatInt(ed.to, 10), Type: legacyName(t.meta, tm, at)})
			}
			if next != "" {
				break
			}
		}
		if len(items) == 0 {
			continue
		}
		if out == nil {
			out = map[string]*inlineAssocJSON{}
		}
		block := &inlineAssocJSON{Results: items}
		if next != "" {
			block.Paging = &pagingJSON{Next: pagingNextJSON{After: next}}
		}
		out[string(tm.plural)] = block
	}
	return out
}
