package syncloop

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// maxPagesPerSource stops a connector that never says Done from looping
// forever; far above any real pull (10M records at 100 a page).
const maxPagesPerSource = 100_000

// toChange turns one CRM record into a state change, with the reason it does
// not count when it doesn't. A record that stopped counting (lost, deleted,
// unparseable) deletes its fact, so its customer's aggregate is corrected.
func toChange(r connector.Record) (state.Change, rfm.Skip) {
	del := state.Change{OrderID: r.OrderID, Delete: true}
	switch {
	case r.Deleted:
		return del, SkipDeleted
	case r.Problem != "":
		return del, rfm.Skip(r.Problem)
	case !rfm.IsWon(r.Status):
		return del, rfm.SkipNotWon
	}
	closedAt, amount, skip := rfm.ParseFacts(r.ClosedAt, r.Amount)
	if skip != rfm.SkipNone {
		return del, skip
	}
	key := r.Customer
	key.ID = strings.TrimSpace(key.ID)
	f := state.Fact{OrderID: r.OrderID, Customer: key, ClosedAt: closedAt, Amount: amount}
	if key.ID == "" {
		// Kept without a customer, so a later association rescan can attribute it.
		f.Customer = connector.CustomerKey{}
		return state.Change{OrderID: r.OrderID, Fact: f}, rfm.SkipNoCustomer
	}
	return state.Change{OrderID: r.OrderID, Fact: f}, rfm.SkipNone
}

// SkipDeleted counts records the CRM reports deleted or archived.
const SkipDeleted rfm.Skip = "deleted"

// pageReader reads one page; the incremental pull and the deletion scan share the loop.
type pageReader func(ctx context.Context, req connector.ReadRequest) (connector.Page, error)

// pull pages through one source to its end, committing each page's facts
// together with the cursor that covers them: a crash resumes after the last
// committed page, and a re-read page is absorbed without double counting.
func (r *run) pull(ctx context.Context, source string) error {
	cursor, err := r.db.Cursor(source)
	if err != nil {
		return err
	}
	return r.pages(ctx, source, cursor, r.conn.ReadPage, true)
}

// pages runs the paging loop, reading each page after the previous page's
// cursor. A pull stores that cursor with the page's facts; a scan (commit
// false) leaves the source's stored cursor alone. Pages are committed a few
// at a time (state.PageWriter), each with its cursor, and all of them before
// pages returns, whether the loop finished or not.
func (r *run) pages(ctx context.Context, source string, cursor []byte, read pageReader, commit bool) (err error) {
	pw := r.db.NewPageWriter(source, state.Batch{})
	defer func() {
		applied, ferr := pw.Flush()
		r.rep.addApplied(source, 0, applied)
		if ferr != nil && err == nil {
			err = fmt.Errorf("apply %s page: %w", source, ferr)
		}
	}()
	for n := 0; ; n++ {
		if n == maxPagesPerSource {
			return fmt.Errorf("%s: connector returned %d pages without finishing", source, n)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		page, err := read(ctx, connector.ReadRequest{Source: source, Cursor: cursor, Now: r.now})
		if err != nil {
			return fmt.Errorf("read %s: %w", source, err)
		}
		changes := make([]state.Change, 0, len(page.Records))
		for _, rec := range page.Records {
			ch, skip := toChange(rec)
			if skip != rfm.SkipNone {
				r.rep.Skipped[skip]++
			}
			changes = append(changes, ch)
		}
		next := page.Cursor
		stored := next
		if !commit {
			stored = nil // the writer keeps the source's cursor
		}
		applied, err := pw.Add(changes, stored)
		if err != nil {
			return fmt.Errorf("apply %s page: %w", source, err)
		}
		r.rep.addApplied(source, len(page.Records), applied)
		if page.Done {
			return nil
		}
		if bytes.Equal(next, cursor) && len(page.Records) == 0 {
			return fmt.Errorf("%s: connector returned an empty page without moving its cursor", source)
		}
		cursor = next
	}
}

// deletionScan pages through the connector's deleted records when due.
func (r *run) deletionScan(ctx context.Context, source string) error {
	dl, ok := r.conn.(connector.DeletionLister)
	if !ok || !r.due("deletion_scan."+source, dl.DeletionScanEvery()) {
		return nil
	}
	if err := r.pages(ctx, source, nil, dl.ReadDeletedPage, false); err != nil {
		return fmt.Errorf("deletion scan: %w", err)
	}
	r.rep.Scans = append(r.rep.Scans, "deletion scan of "+source)
	return r.markDone("deletion_scan." + source)
}

// associationRescan re-reads the customer of every order held in state when
// due, because re-assigning an order does not move the incremental cursor.
func (r *run) associationRescan(ctx context.Context, source string) error {
	ar, ok := r.conn.(connector.AssociationRereader)
	if !ok || !r.due("association_rescan."+source, ar.AssociationRescanEvery()) {
		return nil
	}
	batch := max(1, ar.RereadBatch())
	// Page through the held facts, one connector batch at a time, so memory
	// stays at one batch however many orders the state holds.
	for after := ""; ; {
		chunk, err := r.db.FactsAfter(source, after, batch)
		if err != nil {
			return err
		}
		if len(chunk) == 0 {
			break
		}
		after = chunk[len(chunk)-1].OrderID
		ids := make([]string, len(chunk))
		for i, f := range chunk {
			ids[i] = f.OrderID
		}
		now, err := ar.RereadCustomers(ctx, source, ids)
		if err != nil {
			return fmt.Errorf("association rescan of %s: %w", source, err)
		}
		var changes []state.Change
		for _, f := range chunk {
			if cur := now[f.OrderID]; cur != f.Customer {
				f.Customer = cur
				changes = append(changes, state.Change{OrderID: f.OrderID, Fact: f})
			}
		}
		if len(changes) == 0 {
			continue
		}
		applied, err := r.db.ApplyPage(source, changes, nil)
		if err != nil {
			return err
		}
		r.rep.Reassigned += applied.Moved
	}
	r.rep.Scans = append(r.rep.Scans, "association rescan of "+source)
	return r.markDone("association_rescan." + source)
}

// due reports whether a periodic task last completed about every ago. The
// slack (a tenth of the period, at most an hour) keeps a 24 h task on a
// daily schedule due every day, though each run starts a little late or a
// DST change shortens a day.
func (r *run) due(task string, every time.Duration) bool {
	if every <= 0 {
		return false
	}
	b, err := r.db.Meta("done." + task)
	if err != nil || len(b) == 0 {
		return true
	}
	last, err := time.Parse(time.RFC3339Nano, string(b))
	return err != nil || r.now.Sub(last) >= every-slack(every)
}

func slack(every time.Duration) time.Duration { return min(every/10, time.Hour) }

// markScansDone records the periodic scans of a source as just done.
func (r *run) markScansDone(source string) error {
	for _, task := range []string{"deletion_scan.", "association_rescan."} {
		if err := r.markDone(task + source); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) markDone(task string) error {
	return r.db.SetMeta("done."+task, []byte(r.now.UTC().Format(time.RFC3339Nano)))
}
