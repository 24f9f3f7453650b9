package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/outputs"
)

// WriteBatch implements connector.Writer with one sObject Collections
// PATCH of up to 200 records, allOrNone false (§4.1), or with bulk_write_threshold
// records or more one Bulk ingest job (bulkwrite.go). Results come in input
// order and are matched by index (a failed entry may carry no id):
//
//   - success: Accepted;
//   - UNABLE_TO_LOCK_ROW (a Flow or roll-up holds the row): RetryLater;
//   - ENTITY_IS_DELETED, INVALID_CROSS_REFERENCE_KEY, NOT_FOUND (deleted or
//     merged away): NotFound, never written again;
//   - INVALID_FIELD*: the field is missing, hidden or read-only for the
//     integration user; the rest of the batch is still sorted into its
//     buckets and the error names the field and points to fields ensure;
//   - anything else (validation rules, restricted picklists): Rejected.
func (c *Connector) WriteBatch(ctx context.Context, ups []connector.Update) (connector.WriteResult, error) {
	res := connector.WriteResult{Rejected: map[connector.CustomerKey]string{}, RetryLater: map[connector.CustomerKey]string{}}
	if len(ups) == 0 {
		return res, nil
	}
	if len(ups) > c.MaxBatch() {
		return res, &crmerr.Error{Class: crmerr.Validation, Message: fmt.Sprintf("batch of %d updates; at most %d", len(ups), c.MaxBatch())}
	}
	typ := ups[0].Key.Type
	for _, u := range ups {
		if u.Key.Type != typ || (typ != "Account" && typ != "Contact") || !idRe.MatchString(u.Key.ID) {
			return res, &crmerr.Error{Class: crmerr.Validation, Message: "cannot write record " + u.Key.String() + " in a batch of " + typ}
		}
	}
	if c.o.BulkWriteThreshold > 0 && len(ups) >= c.o.BulkWriteThreshold {
		err := c.bulkWrite(ctx, typ, ups, &res)
		return res, err
	}
	// A batch below the Bulk threshold goes through Collections.
	for start := 0; start < len(ups); start += c.o.WriteBatch {
		calls := res.Calls
		err := c.collections(ctx, typ, ups[start:min(start+c.o.WriteBatch, len(ups))], &res)
		res.Calls = calls + 1
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// collections writes up to 200 records with one Collections PATCH.
func (c *Connector) collections(ctx context.Context, typ string, ups []connector.Update, res *connector.WriteResult) error {
	records := make([]map[string]any, len(ups))
	for i, u := range ups {
		rec := map[string]any{"attributes": map[string]string{"type": typ}, "id": u.Key.ID}
		for name, v := range u.Fields {
			rec[name] = c.typed(typ, name, v)
		}
		records[i] = rec
	}
	body, err := json.Marshal(map[string]any{"allOrNone": false, "records": records})
	if err != nil {
		return fmt.Errorf("update %s: encode: %w", typ, err)
	}
	resp, err := c.do(ctx, &crmhttp.Request{Method: http.MethodPatch, Path: c.root + "/composite/sobjects", Body: body})
	if err != nil {
		if errs, ok := parseErrors(respBody(resp)); ok && isFieldCode(errs[0].ErrorCode) {
			return fieldError(typ, errs[0].ErrorCode, errs[0].Message, errs[0].Fields)
		}
		return fmt.Errorf("update %s: %w", typ, err)
	}
	var results []collectionResult
	if err := json.Unmarshal(resp.Body, &results); err != nil || len(results) != len(ups) {
		// Without one result per record nothing is known to have landed:
		// every record is written again (an idempotent resend).
		return &crmerr.Error{Class: crmerr.Transient, Message: fmt.Sprintf("update %s: the answer does not hold one result per record", typ)}
	}
	var fieldErr error
	for i, r := range results {
		k := ups[i].Key
		if r.Success {
			res.Accepted = append(res.Accepted, k)
			continue
		}
		code, msg, fields := "UNKNOWN", "refused without a reason", []string(nil)
		if len(r.Errors) > 0 {
			code, msg, fields = r.Errors[0].StatusCode, r.Errors[0].Message, r.Errors[0].Fields
		}
		switch {
		case code == codeUnableToLock:
			res.RetryLater[k] = code + ": " + msg
		case code == codeEntityDeleted || code == codeInvalidCrossRef || code == codeNotFound:
			res.NotFound = append(res.NotFound, k)
		case isFieldCode(code):
			res.RetryLater[k] = code + ": " + msg
			if fieldErr == nil {
				fieldErr = fieldError(typ, code, msg, fields)
			}
		default:
			res.Rejected[k] = code + ": " + msg
		}
	}
	return fieldErr
}

func isFieldCode(code string) bool { return strings.HasPrefix(code, codeInvalidField) }

func respBody(r *crmhttp.Response) []byte {
	if r == nil {
		return nil
	}
	return r.Body
}

// typed renders a written value as the JSON its field's kind takes:
// numbers as JSON numbers (Salesforce refuses a string for a double), the
// rest as strings, and "" as null, which clears the field (§0).
func (c *Connector) typed(typ, name, v string) any {
	if v == "" {
		return nil
	}
	if c.kinds[typ][name] == outputs.Number {
		n := json.Number(strings.TrimSpace(v))
		if _, err := n.Float64(); err == nil {
			return n
		}
	}
	return v
}
