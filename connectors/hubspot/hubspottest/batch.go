package hubspottest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
)

// maxBatchUpdateInputs is the object batch limit (§5.3).
const maxBatchUpdateInputs = 100

// updateInput is one batch/update input as sent.
type updateInput struct {
	ID                 json.RawMessage            `json:"id"`
	IDProperty         string                     `json:"idProperty"`
	ObjectWriteTraceID string                     `json:"objectWriteTraceId"`
	Properties         map[string]json.RawMessage `json:"properties"`
}

// validatedInput is an input whose values passed validation.
type validatedInput struct {
	id, idProperty, traceID string
	changes                 map[string]value
	written                 []string
}

// handleBatchUpdate serves POST …/{type}/batch/update (§5.3): ≤100 inputs;
// a whole-batch 400 VALIDATION_ERROR when any value is invalid; 207
// OBJECT_NOT_FOUND for unknown IDs; merged records dropped from the results
// without an error; results in no particular order.
func (s *Server) handleBatchUpdate(c *reqCtx) {
	var req struct {
		Inputs []updateInput `json:"inputs"`
	}
	if !c.decodeJSON(&req) {
		return
	}
	if req.Inputs == nil {
		c.validation("Invalid input JSON: Cannot build BatchInputSimplePublicObjectBatchInput, some of required attributes are not set [inputs]")
		return
	}
	if n := len(req.Inputs); n > maxBatchUpdateInputs {
		c.validation("The maximum number of inputs supported in a batch request is %d, got %d. Please reduce the number of items and try again", maxBatchUpdateInputs, n)
		return
	}
	started := s.clock.Now()
	var results []wireObject
	var missing, missingTraced, traces []string
	var fail func(*reqCtx)
	s.locked(func() {
		t := s.tables[c.m.meta.plural]
		var inputs []validatedInput
		if inputs, fail = s.validateInputs(t, req.Inputs); fail != nil {
			return
		}
		results, missing, missingTraced, traces = s.applyInputs(t, inputs)
	})
	if fail != nil {
		fail(c)
		return
	}
	var errs []batchError
	if len(missing) > 0 {
		errs = append(errs, notFoundError(c.m.meta, missing, nil))
	}
	for i := range missingTraced {
		errs = append(errs, notFoundError(c.m.meta, missingTraced[i:i+1], traces[i:i+1]))
	}
	writeBatch(c, results, errs, started, s.clock.Now())
}

// applyInputs writes validated inputs and sorts out the ones that miss;
// s.mu is held.
func (s *Server) applyInputs(t *table, inputs []validatedInput) (results []wireObject, missing, missingTraced, traces []string) {
	for _, in := range inputs {
		var e *entry
		if in.idProperty == "" || in.idProperty == "hs_object_id" {
			// Unlike lookup, byID also finds merged records, which are
			// dropped below rather than reported as missing.
			if n, ok := parseID(in.id); ok {
				e = t.byID[n]
			}
		} else {
			e, _ = s.resolve(t, in.id, in.idProperty)
		}
		if e != nil && e.gone() {
			// A merged record vanishes from the results silently (§8 pitfall 18).
			continue
		}
		if e == nil || e.cur.archived {
			if in.traceID != "" {
				missingTraced = append(missingTraced, in.id)
				traces = append(traces, in.traceID)
			} else {
				missing = append(missing, in.id)
			}
			continue
		}
		s.applyProps(t, e, in.changes, nil)
		results = append(results, t.wire(e, e.cur, withDefaults(t.meta, in.written)))
	}
	unordered(s, results)
	if len(results) > 0 {
		s.writes.calls++
		s.writes.records += len(results)
	}
	return results, missing, missingTraced, traces
}

// handlePatch serves PATCH …/{type}/{id} with the same validation.
func (s *Server) handlePatch(c *reqCtx) {
	var req struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if !c.decodeJSON(&req) {
		return
	}
	idProp := c.r.URL.Query().Get("idProperty")
	idRaw, _ := json.Marshal(c.m.id)
	var o wireObject
	var fail func(*reqCtx)
	found := false
	s.locked(func() {
		t := s.tables[c.m.meta.plural]
		var inputs []validatedInput
		if inputs, fail = s.validateInputs(t, []updateInput{{ID: idRaw, IDProperty: idProp, Properties: req.Properties}}); fail != nil {
			return
		}
		e, _ := s.resolve(t, c.m.id, idProp)
		if found = e != nil && !e.cur.archived; !found {
			return
		}
		s.applyProps(t, e, inputs[0].changes, nil)
		o = t.wire(e, e.cur, withDefaults(t.meta, inputs[0].written))
		s.writes.calls++
		s.writes.records++
	})
	switch {
	case fail != nil:
		fail(c)
	case !found:
		c.fail(http.StatusNotFound, "", "resource not found")
	default:
		c.writeJSON(http.StatusOK, o)
	}
}

// validateInputs checks IDs and every value before anything is written, as
// HubSpot rejects the whole batch for one bad value; fail writes the 400.
// s.mu is held.
func (s *Server) validateInputs(t *table, ins []updateInput) ([]validatedInput, func(*reqCtx)) {
	out := make([]validatedInput, 0, len(ins))
	seen := map[string]bool{}
	var dups []string
	var verrs []valueError
	for _, in := range ins {
		id, ok := scalar(in.ID)
		if !ok || id == "" {
			return nil, func(c *reqCtx) {
				c.validation("Invalid input JSON: Cannot build SimplePublicObjectBatchInput, some of required attributes are not set [id]")
			}
		}
		if in.IDProperty != "" && in.IDProperty != "hs_object_id" {
			if _, msg := s.resolve(t, "", in.IDProperty); msg != "" {
				return nil, func(c *reqCtx) { c.validation("%s", msg) }
			}
		}
		key := in.IDProperty + "\x00" + id
		if seen[key] {
			dups = append(dups, id)
		}
		seen[key] = true
		vi := validatedInput{id: id, idProperty: in.IDProperty, traceID: in.ObjectWriteTraceID,
			changes: map[string]value{}}
		var existing *entry
		if e, _ := s.resolve(t, id, in.IDProperty); e != nil {
			existing = e
		}
		names := make([]string, 0, len(in.Properties))
		for name := range in.Properties {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			raw := in.Properties[name]
			str, ok := scalar(raw)
			if !ok && strings.TrimSpace(string(raw)) != "null" {
				return nil, func(c *reqCtx) {
					c.validation("Invalid input JSON: property %s must be a string, number or boolean", name)
				}
			}
			var cur value
			if existing != nil {
				cur = existing.cur.props[name]
			}
			v, verr := validateWrite(t, name, str, cur)
			if verr != nil {
				verrs = append(verrs, *verr)
				continue
			}
			vi.changes[name] = v
			vi.written = append(vi.written, name)
		}
		out = append(out, vi)
	}
	if len(dups) > 0 {
		return nil, func(c *reqCtx) {
			c.validation("Duplicate IDs found in batch input: [%s]. IDs must be unique", strings.Join(dups, ", "))
		}
	}
	if len(verrs) > 0 {
		return nil, func(c *reqCtx) { c.propertyValuesInvalid(verrs) }
	}
	return out, nil
}

// propertyValuesInvalid answers the whole-batch 400 whose message embeds a
// JSON array and whose errors[] carry the codes (§5.3).
func (c *reqCtx) propertyValuesInvalid(verrs []valueError) {
	type embedded struct {
		IsValid               bool   `json:"isValid"`
		Message               string `json:"message"`
		Error                 string `json:"error"`
		Name                  string `json:"name"`
		LocalizedErrorMessage string `json:"localizedErrorMessage"`
		PropertyValue         string `json:"propertyValue"`
		PortalID              int64  `json:"portalId"`
	}
	emb := make([]embedded, len(verrs))
	details := make([]errorDetail, len(verrs))
	for i, v := range verrs {
		emb[i] = embedded{Message: v.message, Error: v.code, Name: v.name,
			LocalizedErrorMessage: v.message, PropertyValue: v.value, PortalID: c.s.opts.HubID}
		details[i] = errorDetail{Message: v.message, Code: v.code,
			Context: map[string][]string{"propertyName": {v.name}}}
	}
	b, _ := json.Marshal(emb)
	c.failWith(http.StatusBadRequest, apiError{Category: "VALIDATION_ERROR",
		Message: "Property values were not valid: " + string(b), Errors: details})
}

// parseID parses a decimal record ID.
func parseID(s string) (int64, bool) {
	var n int64
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int64(r-'0')
	}
	return n, true
}
