package hubspot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rfmsync/rfmsync/core/connector"
)

// deletionCursor is ReadDeletedPage's position: the list's opaque cursor.
type deletionCursor struct {
	Deleted bool   `json:"deleted"`
	After   string `json:"after,omitempty"`
}

// ReadDeletedPage implements connector.DeletionLister: one page of the
// source's archived records (GET list with archived=true, the only place
// deletions show, §2.5), each as a deleted record.
//
// The scan's position is kept here as well as in the page cursor. The sync
// loop hands each page's cursor back (core/syncloop pages), but an earlier
// loop handed back the source's pull cursor instead; a cursor that is not a
// deletion cursor therefore continues the scan in progress rather than
// restarting it forever.
func (c *Connector) ReadDeletedPage(ctx context.Context, req connector.ReadRequest) (connector.Page, error) {
	src, err := c.source(req.Source)
	if err != nil {
		return connector.Page{}, err
	}
	var after string
	var dc deletionCursor
	switch {
	case len(req.Cursor) == 0:
	case json.Unmarshal(req.Cursor, &dc) == nil && dc.Deleted:
		after = dc.After
	default:
		c.mu.Lock()
		after = c.deletion[src.name]
		c.mu.Unlock()
	}
	q := url.Values{"archived": {"true"}, "limit": {strconv.Itoa(c.o.ListPageSize)}, "properties": {propID}}
	if after != "" {
		q.Set("after", after)
	}
	var resp listResponse
	if _, err := c.http.DoJSON(ctx, http.MethodGet, c.p.list(src.object), q, nil, &resp); err != nil {
		return connector.Page{}, fmt.Errorf("list archived %s: %w", src.name, err)
	}
	if err := checkResults("list archived "+src.name, resp.Results, c.o.ListPageSize); err != nil {
		return connector.Page{}, err // a missing list would end the scan as if nothing were deleted
	}
	page := connector.Page{Records: make([]connector.Record, 0, len(resp.Results))}
	for _, o := range resp.Results {
		if !validID(o.ID) {
			page.Records = append(page.Records, connector.Record{OrderID: o.ID, Problem: ProblemBadID})
			continue
		}
		page.Records = append(page.Records, connector.Record{OrderID: o.ID, Deleted: true})
	}
	next := resp.Paging.nextAfter()
	if next == after && next != "" {
		return connector.Page{}, errors.New("list archived " + src.name + ": the list cursor did not move")
	}
	c.mu.Lock()
	if next == "" {
		delete(c.deletion, src.name)
	} else {
		c.deletion[src.name] = next
	}
	c.mu.Unlock()
	page.Done = next == ""
	page.Cursor, _ = json.Marshal(deletionCursor{Deleted: true, After: next})
	return page, nil
}
