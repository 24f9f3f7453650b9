package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// ReadFields implements connector.FieldReader with POST
// …/{object}/batch/read of at most 100 records per call (§2.4), so the
// sync loop's repair pass can see values a person or a workflow changed:
//
//   - a record in a 207's OBJECT_NOT_FOUND errors (deleted, or an ID that
//     never existed) is missing from the result, and so is one simply absent
//     from the results: a merged-away ID no longer resolves to itself (§2.5),
//     so the sync loop stops writing to it either way;
//   - any other per-record error fails the call rather than report records
//     missing that may well exist: the sync loop would never write to them
//     again;
//   - null or absent values are "", and every value comes back as HubSpot
//     stores it (a datetime loses zero milliseconds, §0): core compares
//     values canonically by kind, so only real edits differ.
//
// More than 100 keys are split into several calls; keys of each object type
// are read from that type.
func (c *Connector) ReadFields(ctx context.Context, keys []connector.CustomerKey, fields []string) (map[connector.CustomerKey]map[string]string, error) {
	out := make(map[connector.CustomerKey]map[string]string, len(keys))
	byType := map[string][]string{}
	var types []string
	seen := map[connector.CustomerKey]bool{}
	for _, k := range keys {
		if k.Type != "contacts" && k.Type != "companies" {
			return nil, &crmerr.Error{Class: crmerr.Validation, Message: "cannot read HubSpot object type " + k.Type}
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		if _, ok := byType[k.Type]; !ok {
			types = append(types, k.Type)
		}
		byType[k.Type] = append(byType[k.Type], k.ID)
	}
	props := slices.Clone(fields)
	if props == nil {
		props = []string{}
	}
	for _, typ := range types {
		for ids := range slices.Chunk(byType[typ], MaxObjectReadBatch) {
			if err := c.readBatch(ctx, typ, ids, props, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// readBatch reads one batch of up to 100 records into out.
func (c *Connector) readBatch(ctx context.Context, typ string, ids, fields []string, out map[connector.CustomerKey]map[string]string) error {
	req := readRequest{Properties: fields, Inputs: make([]readInput, len(ids))}
	asked := make(map[string]bool, len(ids))
	for i, id := range ids {
		req.Inputs[i] = readInput{ID: id}
		asked[id] = true
	}
	var resp readResponse
	if _, err := c.http.DoJSON(ctx, http.MethodPost, c.p.batchRead(typ), nil, req, &resp); err != nil {
		return fmt.Errorf("read %s fields: %w", typ, err)
	}
	// A missing results array, or an empty one with no error to explain it,
	// would report every record missing, and the sync loop would never
	// write to them again.
	if err := checkResults("read "+typ+" fields", resp.Results, len(ids)); err != nil {
		return err
	}
	if len(resp.Results) == 0 && len(resp.Errors) == 0 {
		return shapeError("read "+typ+" fields", fmt.Sprintf("no results and no errors for %d records", len(ids)))
	}
	notFound := map[string]bool{}
	for _, e := range resp.Errors {
		if e.Category != "OBJECT_NOT_FOUND" {
			return fmt.Errorf("read %s fields: %w", typ, &crmerr.Error{Class: crmerr.Transient,
				Message: fmt.Sprintf("batch read reported %s for records %s: %s", e.Category,
					strings.Join(e.Context["ids"], ", "), crmhttp.RedactString(e.Message))})
		}
		for _, id := range e.Context["ids"] {
			notFound[id] = true
		}
	}
	// Every record asked for must be accounted for: answered, reported
	// OBJECT_NOT_FOUND, or merged away (answered by a survivor, one per
	// merged id). A record left out otherwise would read as gone, and the
	// sync loop would stop writing to it on no evidence.
	answered, survivors := map[string]bool{}, 0
	for i := range resp.Results {
		if id := resp.Results[i].ID; asked[id] {
			answered[id] = true
		} else {
			survivors++
		}
	}
	unexplained := 0
	for _, id := range ids {
		if !answered[id] && !notFound[id] {
			unexplained++
		}
	}
	if unexplained > survivors {
		return shapeError("read "+typ+" fields", fmt.Sprintf("%d of %d records neither answered nor reported missing", unexplained, len(ids)))
	}
	for i := range resp.Results {
		o := &resp.Results[i]
		if !asked[o.ID] {
			continue // a merged ID answered by its survivor: not the record asked for
		}
		values := make(map[string]string, len(fields))
		for _, f := range fields {
			values[f] = o.prop(f)
		}
		out[connector.CustomerKey{Type: typ, ID: o.ID}] = values
	}
	return nil
}
