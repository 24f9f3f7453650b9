package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// WriteBatch implements connector.Writer with one POST …/batch/update of
// up to 100 records (more when a bad value forces a split):
//
//   - a record is accepted when its ID is among the results, which come in
//     no particular order;
//   - IDs in a 207's OBJECT_NOT_FOUND errors are NotFound; IDs simply
//     missing from the results (merged records vanish silently, §8.18, but
//     so do records of a broken answer) are Rejected and retried, so only
//     positive evidence marks a record gone;
//   - an answer without a results array, with more results than inputs, or
//     with neither results nor errors fails the call;
//   - a whole-batch 400 caused by a value is split in halves until the bad
//     records stand alone: the rest land and those are Rejected with
//     HubSpot's message;
//   - a 400 caused by a field definition (missing property, missing dropdown
//     option, read-only property) stops with an error naming the property.
func (c *Connector) WriteBatch(ctx context.Context, ups []connector.Update) (connector.WriteResult, error) {
	res := connector.WriteResult{Rejected: map[connector.CustomerKey]string{}}
	if len(ups) == 0 {
		return res, nil
	}
	if len(ups) > c.o.WriteBatch {
		return res, &crmerr.Error{Class: crmerr.Validation, Message: fmt.Sprintf("batch of %d updates; at most %d (write_batch)", len(ups), c.o.WriteBatch)}
	}
	typ := ups[0].Key.Type
	seen := map[string]bool{}
	for _, u := range ups {
		switch {
		case u.Key.Type != typ:
			return res, &crmerr.Error{Class: crmerr.Validation, Message: "one batch mixes " + typ + " and " + u.Key.Type}
		case typ != "contacts" && typ != "companies":
			return res, &crmerr.Error{Class: crmerr.Validation, Message: "cannot write to HubSpot object type " + typ}
		case seen[u.Key.ID]:
			return res, &crmerr.Error{Class: crmerr.Validation, Message: "record " + u.Key.String() + " is twice in one batch"}
		}
		seen[u.Key.ID] = true
	}
	err := c.write(ctx, typ, ups, &res)
	return res, err
}

// write sends one batch, splitting it on a value-level 400.
func (c *Connector) write(ctx context.Context, typ string, ups []connector.Update, res *connector.WriteResult) error {
	in := updateRequest{Inputs: make([]updateInput, len(ups))}
	for i, u := range ups {
		in.Inputs[i] = updateInput{ID: u.Key.ID, Properties: u.Fields}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("update %s: encode: %w", typ, err)
	}
	resp, err := c.http.Do(ctx, &crmhttp.Request{Method: http.MethodPost, Path: c.p.batchUpdate(typ), Body: body,
		Header: http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}})
	if err != nil {
		if resp == nil || resp.Status != http.StatusBadRequest || crmerr.ClassOf(err) != crmerr.Validation {
			return fmt.Errorf("update %s: %w", typ, err)
		}
		verrs, ok := propertyValueErrors(resp.Body)
		if !ok {
			return fmt.Errorf("update %s: %w", typ, err)
		}
		if pl := propertyLevel(verrs); len(pl) > 0 {
			return fmt.Errorf("update %s: %w", typ, fieldsError(typ, pl))
		}
		if len(ups) == 1 {
			res.Rejected[ups[0].Key] = describeValueErrors(verrs)
			return nil
		}
		half := len(ups) / 2
		if err := c.write(ctx, typ, ups[:half], res); err != nil {
			return err
		}
		return c.write(ctx, typ, ups[half:], res)
	}
	var out updateResponse
	if err := json.Unmarshal(resp.Body, &out); err != nil {
		return fmt.Errorf("update %s: %w", typ, &crmerr.Error{Class: crmerr.Transient, Status: resp.Status,
			Message: "decode response", Err: err})
	}
	if err := checkResults("update "+typ, out.Results, len(ups)); err != nil {
		return err
	}
	if len(out.Results) == 0 && len(out.Errors) == 0 {
		// Accepted nothing and said nothing about why: no evidence that
		// any record is gone, so none is marked so.
		return shapeError("update "+typ, "no results and no errors for a batch of "+fmt.Sprint(len(ups)))
	}
	settle(ups, out, res)
	return nil
}

// settle sorts one answered batch into accepted, not found, rejected and
// retry-later. Only an OBJECT_NOT_FOUND error makes a record NotFound
// (never written again); an error HubSpot did not tie to IDs rejects the
// records it may be about; a record the answer simply leaves out is
// retried next run (RetryLater), since absence proves nothing.
func settle(ups []connector.Update, out updateResponse, res *connector.WriteResult) {
	ok := make(map[string]bool, len(out.Results))
	for _, r := range out.Results {
		ok[r.ID] = true
	}
	notFound := map[string]bool{}
	rejected := map[string]string{}
	unattributed := ""
	for _, e := range out.Errors {
		ids := e.Context["ids"]
		switch {
		case e.Category == "OBJECT_NOT_FOUND":
			for _, id := range ids {
				notFound[id] = true
			}
		case len(ids) > 0:
			for _, id := range ids {
				rejected[id] = e.Category + ": " + crmhttp.RedactString(e.Message)
			}
		default:
			unattributed = e.Category + ": " + crmhttp.RedactString(e.Message)
		}
	}
	for _, u := range ups {
		id := u.Key.ID
		switch {
		case ok[id]:
			res.Accepted = append(res.Accepted, u.Key)
		case notFound[id]:
			res.NotFound = append(res.NotFound, u.Key)
		case rejected[id] != "":
			res.Rejected[u.Key] = rejected[id]
		case unattributed != "":
			res.Rejected[u.Key] = unattributed
		default:
			// Merged records can vanish from the results (§8.18), but so can
			// any record of a truncated or hostile answer: absence is no
			// evidence of "gone", so it is retried, and the repair read-back
			// finds a merged-away record missing.
			if res.RetryLater == nil {
				res.RetryLater = map[connector.CustomerKey]string{}
			}
			res.RetryLater[u.Key] = "not in HubSpot's batch/update answer, with no error (merged away? retried next run)"
		}
	}
}

// describeValueErrors renders a rejected record's reasons for the report.
func describeValueErrors(errs []valueError) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = fmt.Sprintf("%s: %s: %s", orDefault(e.Property, "?"), e.Code, crmhttp.RedactString(e.Message))
	}
	return strings.Join(parts, "; ")
}
