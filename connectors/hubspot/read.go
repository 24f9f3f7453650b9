package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
)

// cursor is a source's opaque position, stored by core as JSON.
//
// In the search phase (Phase "", which every cursor written before the list
// phase existed is) a pull reads one window [Since, Until) of
// hs_lastmodifieddate, Until fixed at now − search_lag when the window opens
// and kept until it is exhausted, walking it by hs_object_id (keyset): every
// search starts at offset 0, so the 10,000-result cap is never reached, and
// records sharing one timestamp (HubSpot's bulk jobs) cannot make it loop.
// The next window starts at Until inclusive (GTE) where this one stopped
// short of it (LT), so windows never overlap: a record comes twice only when
// it changed in between, the newer version last, which core's idempotent
// apply absorbs.
//
// In the list phase (Phase "list", a first pull with first_pull: list) the
// pull walks the list endpoint from ListAfter, HubSpot's opaque paging
// cursor, so a crash resumes the list where it stopped. Started is the
// instant the list phase began; once the list is exhausted the cursor turns
// into a search cursor with Since = Started − search_lag, so whatever
// changed while the list was read is read again by search. Since and Until
// stay zero in the list phase: code that predates it reads such a cursor as
// a search from the beginning, a slower but complete pull.
type cursor struct {
	V         int    `json:"v"`
	Phase     string `json:"phase,omitempty"`      // "" (search) or phaseList
	Started   int64  `json:"started,omitempty"`    // list phase: epoch ms it began
	ListAfter string `json:"list_after,omitempty"` // list phase: next page's cursor
	Since     int64  `json:"since,omitempty"`      // epoch ms, inclusive
	Until     int64  `json:"until,omitempty"`      // epoch ms, exclusive; 0: no window open
	After     string `json:"after,omitempty"`      // last record ID read in the open window
}

// phaseList marks a cursor in a first pull's list phase.
const phaseList = "list"

const cursorVersion = 1

// parseCursor reads a stored cursor; an empty one starts from the beginning.
func parseCursor(b []byte) (cursor, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return cursor{V: cursorVersion}, nil
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.V != cursorVersion || (c.Phase != "" && c.Phase != phaseList) {
		return cursor{}, &crmerr.Error{Class: crmerr.Permanent, Message: "the stored HubSpot cursor is unreadable " +
			"(written by another connector or version); reset the source's state to re-pull it"}
	}
	return c, nil
}

func (c cursor) encode() []byte {
	b, _ := json.Marshal(c)
	return b
}

// ReadPage implements connector.Reader: up to read_batch records of the
// source's open window (several searches of page_size), attributed by one
// association read, and the cursor after them. A source without a cursor
// starts with the list phase when first_pull is list (see readList).
func (c *Connector) ReadPage(ctx context.Context, req connector.ReadRequest) (connector.Page, error) {
	src, err := c.source(req.Source)
	if err != nil {
		return connector.Page{}, err
	}
	cur, err := parseCursor(req.Cursor)
	if err != nil {
		return connector.Page{}, err
	}
	now := req.Now
	if now.IsZero() {
		now = c.now()
	}
	if len(bytes.TrimSpace(req.Cursor)) == 0 && c.o.FirstPull == FirstPullList {
		cur.Phase, cur.Started = phaseList, now.UnixMilli()
	}
	if cur.Phase == phaseList {
		return c.readList(ctx, src, cur)
	}
	horizon := now.Add(-c.o.SearchLag).UnixMilli()
	if cur.Until == 0 {
		if horizon <= cur.Since {
			return connector.Page{Cursor: cur.encode(), Done: true}, nil
		}
		cur.Until, cur.After = horizon, ""
	}
	var objs []object
	exhausted := false
	for len(objs) < c.o.ReadBatch && !exhausted {
		resp, err := c.search(ctx, src, cur, min(c.o.PageSize, c.o.ReadBatch-len(objs)))
		if err != nil {
			return connector.Page{}, fmt.Errorf("search %s: %w", src.name, err)
		}
		if err := checkAscending(cur.After, resp.Results); err != nil {
			return connector.Page{}, fmt.Errorf("search %s: %w", src.name, err)
		}
		objs = append(objs, resp.Results...)
		for i := len(resp.Results) - 1; i >= 0; i-- {
			if id := resp.Results[i].ID; validID(id) { // a bad ID is skipped, never a keyset bound
				cur.After = id
				break
			}
		}
		exhausted = len(resp.Results) == 0 || resp.Paging.nextAfter() == ""
	}
	records, err := c.records(ctx, src, objs, &cur, nil)
	if err != nil {
		return connector.Page{}, err
	}
	page := connector.Page{Records: records}
	if exhausted {
		// A window opened by an earlier run (resumed after a crash) ends
		// before this run's horizon: open the next one at once.
		page.Done = cur.Until >= horizon
		cur = cursor{V: cursorVersion, Since: cur.Until}
	}
	page.Cursor = cur.encode()
	return page, nil
}

// search runs one keyset search of the open window: modified in
// [Since, Until), ID above After, ascending by ID, from offset 0.
func (c *Connector) search(ctx context.Context, src *source, cur cursor, limit int) (searchResponse, error) {
	var fs []filter
	if cur.Since > 0 {
		fs = append(fs, filter{PropertyName: propModified, Operator: "GTE", Value: strconv.FormatInt(cur.Since, 10)})
	}
	fs = append(fs, filter{PropertyName: propModified, Operator: "LT", Value: strconv.FormatInt(cur.Until, 10)})
	if cur.After != "" {
		fs = append(fs, filter{PropertyName: propID, Operator: "GT", Value: cur.After})
	}
	body := searchRequest{
		FilterGroups: []filterGroup{{Filters: fs}},
		Sorts:        []sortRule{{PropertyName: propID, Direction: "ASCENDING"}},
		Properties:   src.props,
		Limit:        limit,
	}
	var resp searchResponse
	if _, err := c.http.DoJSON(ctx, http.MethodPost, c.p.search(src.object), nil, body, &resp); err != nil {
		return resp, err
	}
	return resp, checkResults("search", resp.Results, limit)
}

// checkAscending guards the keyset walk: IDs must rise strictly above the
// last one seen, or a filter that compared IDs as strings (an unverified
// report, §2.2) could make the walk skip or repeat records.
func checkAscending(after string, objs []object) error {
	prev := after
	for _, o := range objs {
		if !validID(o.ID) {
			continue // skipped as bad_id by records
		}
		if prev != "" && compareIDs(o.ID, prev) <= 0 {
			return &crmerr.Error{Class: crmerr.Permanent, Message: fmt.Sprintf(
				"search returned record %q after %q: IDs are not ascending, so keyset paging is unsafe", o.ID, prev)}
		}
		prev = o.ID
	}
	return nil
}

// compareIDs orders decimal IDs numerically, without overflow.
func compareIDs(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// records maps objects to records with their customers, adds a deletion
// for every record a survivor absorbed in a merge (merged IDs vanish
// without being archived, §2.5), and applies the one-currency rule.
//
// Only records that count need a customer, so only won records without a
// problem are looked up: a page of lost deals costs no association read.
// inline, if set, attributes a record from what its page already carries
// (the list phase's inline associations); a record it cannot attribute
// (ok false) is looked up like any other.
func (c *Connector) records(ctx context.Context, src *source, objs []object, cur *cursor,
	inline func(from string, o *object) (customer string, ok bool)) ([]connector.Record, error) {
	out := make([]connector.Record, 0, len(objs))
	var counting []string
	known := map[string]string{}
	for i := range objs {
		o := &objs[i]
		if !validID(o.ID) {
			out = append(out, connector.Record{OrderID: o.ID, Problem: ProblemBadID})
			continue
		}
		r := src.record(o)
		if src.currencyProp != "" && r.Status == StatusWon && r.Problem == "" {
			// Single-portal-currency accounts send no code: "" is the home currency.
			r.Currency = strings.ToUpper(strings.TrimSpace(o.prop(src.currencyProp)))
		}
		if r.Status == StatusWon && r.Problem == "" {
			id, ok := "", false
			if inline != nil {
				id, ok = inline(src.object, o)
			}
			if ok {
				known[r.OrderID] = id
			} else {
				counting = append(counting, r.OrderID)
			}
		}
		out = append(out, r)
		for _, m := range strings.Split(o.prop(propMerged), ";") {
			if m = strings.TrimSpace(m); validID(m) {
				out = append(out, connector.Record{OrderID: m, Deleted: true})
			}
		}
	}
	customers, err := c.customers(ctx, src.object, counting)
	if err != nil {
		return nil, err
	}
	maps.Copy(customers, known)
	for i := range out {
		if !out[i].Deleted && out[i].Problem != ProblemBadID {
			out[i].Customer = connector.CustomerKey{Type: c.o.Object, ID: customers[out[i].OrderID]}
		}
	}
	return out, nil
}
