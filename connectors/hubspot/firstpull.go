package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rfmsync/rfmsync/core/connector"
)

// readList reads one page of a first pull's list phase: up to read_batch
// live records from list calls of list_page_size, in ID order, each
// attributed from its inline associations where they are complete and
// unambiguous (inlineCustomer) and by one v4 batch read for the rest.
//
// Why a list and not search: the list is paced by the ten-second limit
// (19 calls/s at Professional) rather than search's 5/s, so 100 records per
// call backfill about twice as fast as 200 per search, and the inline
// associations save most association reads. The list cannot filter, which
// is why only a first pull uses it: when the list is exhausted the cursor
// becomes a search cursor from Started − search_lag, and the search phase
// reads again whatever changed (or was created) while the list was read.
func (c *Connector) readList(ctx context.Context, src *source, cur cursor) (connector.Page, error) {
	var objs []object
	exhausted := false
	// Empty pages fill nothing, so a cursor leading back (A→B→A) would
	// loop inside this one call; core catches loops across calls.
	seen := map[string]bool{cur.ListAfter: true}
	for len(objs) < c.o.ReadBatch && !exhausted {
		resp, err := c.list(ctx, src, cur.ListAfter, min(c.o.ListPageSize, c.o.ReadBatch-len(objs)))
		if err != nil {
			return connector.Page{}, fmt.Errorf("list %s: %w", src.name, err)
		}
		next := resp.Paging.nextAfter()
		if next != "" && seen[next] {
			return connector.Page{}, errors.New("list " + src.name + ": the list cursor went back to one already read")
		}
		seen[next] = true
		objs = append(objs, resp.Results...)
		cur.ListAfter = next
		exhausted = next == ""
	}
	records, err := c.records(ctx, src, objs, &cur, c.inlineCustomer)
	if err != nil {
		return connector.Page{}, err
	}
	page := connector.Page{Records: records}
	if exhausted {
		// Not Done: the next ReadPage runs the search phase, which ends at
		// once (no call) when this run's horizon is not past Since yet.
		since := max(cur.Started-c.o.SearchLag.Milliseconds(), 0)
		cur = cursor{V: cursorVersion, Since: since}
	}
	page.Cursor = cur.encode()
	return page, nil
}

// list reads one page of the source's live records with their
// associations to the customer object inline (§2.3). archived=false is
// HubSpot's default, sent so the list reads what search reads: search
// never returns archived records, which the deletion scan finds instead.
func (c *Connector) list(ctx context.Context, src *source, after string, limit int) (listResponse, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}, "archived": {"false"},
		"properties": {strings.Join(src.props, ",")}, "associations": {c.o.Object}}
	if after != "" {
		q.Set("after", after)
	}
	var resp listResponse
	if _, err := c.http.DoJSON(ctx, http.MethodGet, c.p.list(src.object), q, nil, &resp); err != nil {
		return resp, err
	}
	return resp, checkResults("list", resp.Results, limit)
}

// inlineType is one legacy inline association type string of a source's
// object to a customer object.
type inlineType struct{ from, to, name string }

// inlineTypes are the legacy strings of the HubSpot-defined association
// types between the sources and the customer objects (§2.3, §3.4), each
// with whether v4 reads it as primary (isPrimary: deal→company typeId 5,
// labelled "Primary"). A primary company is stored with both 5 and 341, so
// it appears under both strings. Any other string is a label, whose
// primary-ness the inline form does not tell reliably.
var inlineTypes = map[inlineType]bool{
	{"deals", "contacts", "deal_to_contact"}:            false, // 3
	{"deals", "companies", "deal_to_company"}:           true,  // 5, "Primary"
	{"deals", "companies", "deal_to_company_unlabeled"}: false, // 341
	{"orders", "contacts", "order_to_contact"}:          false, // 507
	{"orders", "companies", "order_to_company"}:         false, // 509
}

// inlineCustomer attributes a listed record from its inline associations
// by the rule the v4 read applies (pick), so both paths attribute alike.
// ok is false, which sends the record to the v4 batch read, when the block
// may be incomplete (paged, or at the 100-entry cap: HubSpot's nested paging
// shape is unverified) or, under the primary rule, when an entry's type
// string is not one whose primary-ness is known. The lowest-ID rule needs
// only the IDs, which every entry carries whatever its type.
func (c *Connector) inlineCustomer(from string, o *object) (string, bool) {
	block := o.Associations[c.o.Object]
	if block == nil {
		return "", true // the block is omitted when there are none (§2.3)
	}
	if block.Paging != nil || len(block.Results) >= MaxInlineAssociations {
		return "", false
	}
	usePrimary := c.o.attribution() == AttributionPrimary
	ts := make(map[string]bool, len(block.Results))
	for _, a := range block.Results {
		primary, known := inlineTypes[inlineType{from, c.o.Object, a.Type}]
		if (!known && usePrimary) || !validID(string(a.ID)) {
			return "", false
		}
		ts[string(a.ID)] = ts[string(a.ID)] || primary
	}
	return c.pick(ts), true
}
