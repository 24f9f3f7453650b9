package salesforce

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// Bulk API 2.0 query jobs (§3) read a large first backfill: one job for the
// whole first window (queryAll, so deletions are rows too), its CSV results
// read set by set with Sforce-Locator. The job id and the next set's
// locator live in the cursor, so a crash resumes at the set it stopped at
// (locators are stable while the job exists). Results are unordered, so
// the keyset moves only when the job is read to its end: to the window's
// end, every row at or before it read.

// bulkMaxRecords caps one results set (maxRecords, §3).
const bulkMaxRecords = 50_000

// bulkMaxWait bounds how long one ReadPage polls a running job before it
// hands back an empty page, so core can commit and notice a stop.
const bulkMaxWait = 2 * time.Minute

type jobInfo struct {
	ID           string `json:"id"`
	State        string `json:"state"`
	ErrorMessage string `json:"errorMessage"`
}

// bigFirstPull says whether the first query of a source's first window
// counts bulk_threshold rows or more (totalSize covers the whole query,
// §2.2). Contact-role attribution needs a child subquery, which Bulk
// refuses (§3), so it stays on REST.
func (c *Connector) bigFirstPull(source string, cur cursor, q *queryResult) bool {
	return c.o.BulkThreshold > 0 && !cur.NoBulk && !c.needsRoles(source) && q.TotalSize != nil &&
		*q.TotalSize >= int64(c.o.BulkThreshold)
}

// bulkPage advances a source's Bulk job by one step: create it, wait for
// it, or read its next results set.
func (c *Connector) bulkPage(ctx context.Context, source string, org *orgInfo, rt *rates, cur cursor) (connector.Page, error) {
	if cur.Job == "" {
		soql := c.soql(source, org) + " WHERE " + keyset(cur)
		body, _ := json.Marshal(map[string]string{"operation": "queryAll", "query": soql, "contentType": "CSV",
			"columnDelimiter": "COMMA", "lineEnding": "LF"})
		resp, err := c.do(ctx, &crmhttp.Request{Method: http.MethodPost, Path: c.root + "/jobs/query", Body: body})
		if err != nil {
			return connector.Page{}, fmt.Errorf("bulk query %s: %w", source, err)
		}
		var j jobInfo
		if err := json.Unmarshal(resp.Body, &j); err != nil || !idRe.MatchString(j.ID) {
			return connector.Page{}, &crmerr.Error{Class: crmerr.Permanent, Message: "bulk query " + source + ": the answer names no job"}
		}
		c.log.Info("first pull through a Bulk API 2.0 query job", "source", source, "job", j.ID)
		cur.Job, cur.Loc = j.ID, ""
		return connector.Page{Cursor: cur.bytes()}, nil // committed: a crash resumes this job
	}
	if cur.Loc == "" {
		state, err := c.waitJob(ctx, cur.Job)
		switch {
		case err != nil:
			return connector.Page{}, fmt.Errorf("bulk query %s: %w", source, err)
		case state == "UploadComplete" || state == "InProgress":
			return connector.Page{Cursor: cur.bytes()}, nil
		case state != "JobComplete":
			return c.dropJob(source, cur, "the job ended "+state)
		}
	}
	q := url.Values{"maxRecords": {strconv.Itoa(bulkMaxRecords)}}
	if cur.Loc != "" {
		q.Set("locator", cur.Loc)
	}
	resp, err := c.do(ctx, &crmhttp.Request{Method: http.MethodGet, Path: c.root + "/jobs/query/" + cur.Job + "/results",
		Query: q, Header: http.Header{"Accept": {"text/csv"}}})
	if err != nil {
		if st := statusOf(err); st == http.StatusNotFound || st == http.StatusConflict {
			// Expired (7 days), or made under another api_version: start over.
			return c.dropJob(source, cur, err.Error())
		}
		return connector.Page{}, fmt.Errorf("bulk results %s: %w", source, err)
	}
	rows, err := csvRows(resp.Body)
	if err != nil {
		return connector.Page{}, &crmerr.Error{Class: crmerr.Transient, Message: "bulk results " + source + ": " + err.Error()}
	}
	recs := make([]connector.Record, 0, len(rows))
	for _, r := range rows {
		if !idRe.MatchString(r.str("Id")) {
			return connector.Page{}, &crmerr.Error{Class: crmerr.Permanent, Message: "bulk results " + source + ": a row without a valid Id"}
		}
		rec, err := c.record(source, r, org, rt)
		if err != nil {
			return connector.Page{}, err
		}
		recs = append(recs, rec)
	}
	next := resp.Header.Get("Sforce-Locator")
	switch {
	case next == "":
		return connector.Page{}, &crmerr.Error{Class: crmerr.Permanent, Message: "bulk results " + source + ": no Sforce-Locator header"}
	case next != "null":
		if next == cur.Loc {
			return connector.Page{}, &crmerr.Error{Class: crmerr.Permanent, Message: "bulk results " + source + ": the locator does not move"}
		}
		cur.Loc = next
		return connector.Page{Records: recs, Cursor: cur.bytes()}, nil
	}
	// Every row of the window is read: the keyset moves to its end.
	c.mu.Lock()
	leftover := c.opened[source] != cur.Hi
	c.mu.Unlock()
	cur.TS, cur.ID, cur.Hi, cur.Job, cur.Loc = cur.Hi, "", "", "", ""
	return connector.Page{Records: recs, Cursor: cur.bytes(), Done: !leftover}, nil
}

// waitJob polls a job until it leaves UploadComplete/InProgress or
// bulkMaxWait passes, every bulk_poll_every.
func (c *Connector) waitJob(ctx context.Context, id string) (string, error) {
	for waited := time.Duration(0); ; waited += c.o.BulkPollEvery {
		resp, err := c.do(ctx, &crmhttp.Request{Method: http.MethodGet, Path: c.root + "/jobs/query/" + id})
		if err != nil {
			return "", err
		}
		var j jobInfo
		if err := json.Unmarshal(resp.Body, &j); err != nil || j.State == "" {
			return "", &crmerr.Error{Class: crmerr.Permanent, Message: "the job status is not a JobInfo"}
		}
		if (j.State != "UploadComplete" && j.State != "InProgress") || waited >= bulkMaxWait {
			if j.State == "Failed" {
				c.log.Warn("Bulk query job failed", "job", id, "error", j.ErrorMessage)
			}
			return j.State, nil
		}
		if err := c.sleep(ctx, c.o.BulkPollEvery); err != nil {
			return "", err
		}
	}
}

// sleep waits d on the connector's clock (a test's fake one) or until ctx ends.
func (c *Connector) sleep(ctx context.Context, d time.Duration) error {
	if c.o.hooks.sleep != nil {
		return c.o.hooks.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// dropJob gives a job up and reads the window through REST instead.
func (c *Connector) dropJob(source string, cur cursor, why string) (connector.Page, error) {
	c.log.Warn("Bulk query job given up; reading through REST queries", "source", source, "job", cur.Job, "why", why)
	cur.Job, cur.Loc = "", ""
	cur.NoBulk = true
	return connector.Page{Cursor: cur.bytes()}, nil
}

func statusOf(err error) int {
	var e *crmerr.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// csvRows turns a Bulk CSV results set into rows shaped like REST records:
// booleans as JSON booleans, empty cells as null, other cells as strings
// (amounts stay exact text), parent paths (Account.PersonContactId) nested.
func csvRows(body []byte) ([]row, error) {
	rd := csv.NewReader(bytes.NewReader(body))
	header, err := rd.Read()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("CSV header: %w", err)
	}
	var out []row
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("CSV: %w", err)
		}
		r := row{}
		parents := map[string]row{}
		for i, name := range header {
			v := rec[i]
			var raw json.RawMessage
			switch {
			case v == "":
				raw = json.RawMessage("null")
			case strings.HasPrefix(name, "Is") && (v == "true" || v == "false"):
				raw = json.RawMessage(v)
			default:
				raw, _ = json.Marshal(v)
			}
			if rel, field, ok := strings.Cut(name, "."); ok {
				if parents[rel] == nil {
					parents[rel] = row{}
				}
				parents[rel][field] = raw
				continue
			}
			r[name] = raw
		}
		for rel, p := range parents {
			r[rel], _ = json.Marshal(p)
		}
		out = append(out, r)
	}
}

func objectOf(source string) string {
	if source == SourceOrders {
		return "Order"
	}
	return "Opportunity"
}

// needsRoles says whether a source's query carries the contact-role subquery.
func (c *Connector) needsRoles(source string) bool {
	return c.o.Object == "Contact" && source == SourceOpportunities && c.o.Opportunities.ContactAttribution == AttributionPrimaryRole
}
