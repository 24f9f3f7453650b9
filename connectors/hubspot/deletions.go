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
// deletions show, §2.5), each as a deleted record. The sync loop hands back
// the cursor of the page before; anything else is refused, so a scan can
// never restart silently and loop.
func (c *Connector) ReadDeletedPage(ctx context.Context, req connector.ReadRequest) (connector.Page, error) {
	src, err := c.source(req.Source)
	if err != nil {
		return connector.Page{}, err
	}
	var after string
	if len(req.Cursor) > 0 {
		var dc deletionCursor
		if json.Unmarshal(req.Cursor, &dc) != nil || !dc.Deleted {
			return connector.Page{}, errors.New("list archived " + src.name + ": the cursor is not a deletion-scan cursor")
		}
		after = dc.After
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
	page.Done = next == ""
	page.Cursor, _ = json.Marshal(deletionCursor{Deleted: true, After: next})
	return page, nil
}
