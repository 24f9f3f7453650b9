package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// customers reads the associations of from-records to the customer object
// in v4 batch reads of up to 1,000 inputs, following each input's own
// paging, and picks one customer per record by the attribution rule.
// Records without associations come back as 207 NO_ASSOCIATIONS_FOUND
// errors (§3.2): they simply have no customer.
func (c *Connector) customers(ctx context.Context, from string, ids []string) (map[string]string, error) {
	if len(ids) == 0 {
		return map[string]string{}, nil
	}
	targets := map[string]map[string]bool{} // from ID → target ID → primary
	pending := make([]assocInput, len(ids))
	for i, id := range ids {
		pending[i] = assocInput{ID: id}
	}
	for len(pending) > 0 {
		batch := pending[:min(len(pending), MaxReadBatch)]
		pending = pending[len(batch):]
		sent := map[string]string{}
		for _, in := range batch {
			sent[in.ID] = in.After
		}
		var resp assocResponse
		_, err := c.http.DoJSON(ctx, http.MethodPost, c.p.assocBatchRead(from, c.o.Object), nil, assocRequest{Inputs: batch}, &resp)
		if err != nil {
			return nil, fmt.Errorf("read %s→%s associations: %w", from, c.o.Object, err)
		}
		op := fmt.Sprintf("read %s→%s associations", from, c.o.Object)
		if err := checkResults(op, resp.Results, len(batch)); err != nil {
			return nil, err
		}
		// Every input must be answered, by a result or by an error naming
		// it: one simply left out would be stored as "no customer".
		answered := make(map[string]bool, len(batch))
		for _, r := range resp.Results {
			id := string(r.From.ID)
			if _, asked := sent[id]; !asked {
				continue // not a record asked for: nothing to attribute
			}
			answered[id] = true
			if targets[id] == nil {
				targets[id] = map[string]bool{}
			}
			for _, t := range r.To {
				tid := string(t.ToObjectID)
				if !validID(tid) {
					continue // not a HubSpot ID: cannot be a customer
				}
				targets[id][tid] = targets[id][tid] || c.isPrimary(from, t.AssociationTypes)
			}
			if next := r.Paging.nextAfter(); next != "" && next != sent[id] {
				pending = append(pending, assocInput{ID: id, After: next})
			}
		}
		for _, e := range resp.Errors {
			if e.subCategory() != "crm.associations.NO_ASSOCIATIONS_FOUND" && e.Category != "OBJECT_NOT_FOUND" {
				// An unexplained per-record error must not read as "no customer":
				// that would detach the order. The run stops and the next retries.
				return nil, &crmerr.Error{Class: crmerr.Transient, Status: http.StatusMultiStatus, Code: e.Category,
					Message: fmt.Sprintf("read %s→%s associations: a record failed: %s", from, c.o.Object, crmhttp.RedactString(e.Message))}
			}
			for _, id := range append(e.Context["fromObjectId"], e.Context["ids"]...) {
				answered[id] = true
			}
		}
		for id := range sent {
			if !answered[id] {
				return nil, shapeError(op, fmt.Sprintf("record %q is neither in the results nor in the errors", id))
			}
		}
	}
	out := make(map[string]string, len(targets))
	for id, ts := range targets {
		if pick := c.pick(ts); pick != "" {
			out[id] = pick
		}
	}
	return out, nil
}

// isPrimary reports a primary association: deal→company typeId 5, or any
// type labelled "Primary" (§3.4).
func (c *Connector) isPrimary(from string, types []assocType) bool {
	for _, t := range types {
		if from == "deals" && c.o.Object == "companies" && t.Category == "HUBSPOT_DEFINED" && t.TypeID == 5 {
			return true
		}
		if t.Label != nil && strings.EqualFold(*t.Label, "Primary") {
			return true
		}
	}
	return false
}

// pick applies the attribution rule: with primary, the lowest-ID primary
// target if any; otherwise the lowest ID, so the choice is stable.
func (c *Connector) pick(ts map[string]bool) string {
	best, bestPrimary := "", false
	usePrimary := c.o.attribution() == AttributionPrimary
	for id, primary := range ts {
		p := usePrimary && primary
		switch {
		case best == "", p && !bestPrimary, p == bestPrimary && compareIDs(id, best) < 0:
			best, bestPrimary = id, p
		}
	}
	return best
}

// RereadOrders implements connector.OrderRereader with the same
// association reads and attribution rule as the pull: a re-assignment does
// not touch hs_lastmodifieddate, so only this read sees it. The answers are
// customer-only (one v4 call per 1,000 deals, not a full record read);
// every id asked is answered, a record without associations with no
// customer, because deletions are found by the archived scan.
func (c *Connector) RereadOrders(ctx context.Context, source string, orderIDs []string) ([]connector.Record, error) {
	src, err := c.source(source)
	if err != nil {
		return nil, err
	}
	ids, err := c.customers(ctx, src.object, orderIDs)
	if err != nil {
		return nil, err
	}
	out := make([]connector.Record, len(orderIDs))
	for i, order := range orderIDs {
		out[i] = connector.Record{OrderID: order, CustomerOnly: true}
		if customer := ids[order]; customer != "" {
			out[i].Customer = connector.CustomerKey{Type: c.o.Object, ID: customer}
		}
	}
	return out, nil
}
