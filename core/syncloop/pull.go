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

// maxPagesPerSource stops a connector that never says Done (with ever new
// cursors, so the repeat check cannot tell) from looping forever; far above
// any real pull (100M records at 100 a page).
const maxPagesPerSource = 1_000_000

// toChange turns one CRM record into a state change, with the reason it does
// not count when it doesn't. A record that stopped counting (lost, deleted,
// unparseable) deletes its fact, so its customer's aggregate is corrected.
func (r *run) toChange(source string, rec connector.Record) (state.Change, rfm.Skip, error) {
	del := state.Change{OrderID: rec.OrderID, Delete: true}
	switch {
	case rec.Deleted:
		return del, SkipDeleted, nil
	case rec.Problem != "":
		return del, rfm.Skip(rec.Problem), nil
	case !rfm.IsWon(rec.Status):
		return del, rfm.SkipNotWon, nil
	}
	closedAt, skip := rfm.ParseCRMInstant(rec.ClosedAt)
	if skip != rfm.SkipNone {
		return del, skip, nil
	}
	amount, err := rfm.ParseAmount(strings.TrimSpace(rec.Amount))
	if err != nil {
		return del, rfm.SkipBadAmount, nil
	}
	if !amountFits(amount) {
		return del, SkipAmountOutOfRange, nil
	}
	key := rec.Customer
	key.ID = strings.TrimSpace(key.ID)
	if key.ID != "" && !validID(key.ID) {
		return del, SkipBadID, nil
	}
	// Last: only a record that otherwise counts may pin the currency.
	if ok, err := r.oneCurrency(source, rec.Currency); err != nil || !ok {
		return del, SkipSecondCurrency, err
	}
	f := state.Fact{OrderID: rec.OrderID, Customer: key, ClosedAt: closedAt, Amount: amount}
	if key.ID == "" {
		// Kept without a customer, so a later re-read can attribute it.
		f.Customer = connector.CustomerKey{}
		return state.Change{OrderID: rec.OrderID, Fact: f}, rfm.SkipNoCustomer, nil
	}
	return state.Change{OrderID: rec.OrderID, Fact: f}, rfm.SkipNone, nil
}

// SkipSecondCurrency counts orders in a currency other than the source's
// one: summing them unconverted would be wrong, whatever the CRM.
const SkipSecondCurrency rfm.Skip = "second_currency"

// oneCurrency applies the one-currency rule of a source whose amounts are
// not converted: the connector's pinned currency, else the first one seen
// (kept in state, so every later run agrees). "" is a home-currency amount.
func (r *run) oneCurrency(source, code string) (bool, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		return true, nil
	}
	want := ""
	if p, ok := r.conn.(connector.CurrencyPinner); ok {
		want = strings.ToUpper(p.PinnedCurrency(source))
	}
	if want == "" {
		if pin, ok := r.currency[source]; ok {
			want = pin
		} else {
			key := metaCurrency + source
			b, err := r.db.Meta(key)
			if err != nil {
				return false, err
			}
			if len(b) == 0 {
				if err := r.db.SetMeta(key, []byte(code)); err != nil {
					return false, err
				}
				b = []byte(code)
			}
			want = string(b)
			if r.currency == nil {
				r.currency = map[string]string{}
			}
			r.currency[source] = want
		}
	}
	return code == want, nil
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
	return r.pages(ctx, source, cursor, r.conn.ReadPage, nil)
}

// pages runs the paging loop, reading each page after the previous page's
// cursor. A pull (scanKey nil) stores that cursor with the page's facts;
// pages are committed a few at a time (state.PageWriter), each with its
// cursor, and all of them before pages returns, whether the loop finished
// or not. A scan leaves the source's cursor alone and keeps its own
// position under scanKey; it commits every page before storing the
// position, so an interrupted scan resumes after what it applied.
func (r *run) pages(ctx context.Context, source string, cursor []byte, read pageReader, scanKey *string) (err error) {
	seen := cursorSet{}
	batch := state.Batch{}
	if scanKey != nil {
		batch.MaxChanges = 1 // every page committed, then its position
	}
	pw := r.db.NewPageWriter(source, batch)
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
		if err := seen.visit(source, cursor, n); err != nil {
			return err
		}
		page, err := read(ctx, connector.ReadRequest{Source: source, Cursor: cursor, Now: r.now})
		if err != nil {
			return fmt.Errorf("read %s: %w", source, err)
		}
		changes := make([]state.Change, 0, len(page.Records))
		for _, rec := range page.Records {
			if !validID(rec.OrderID) {
				r.rep.Skipped[SkipBadID]++ // an id that cannot be stored changes nothing
				continue
			}
			ch, skip, err := r.toChange(source, rec)
			if err != nil {
				return err
			}
			if skip != rfm.SkipNone {
				r.rep.addSkip(skip, source, rec.OrderID, r.SampleSize)
			}
			changes = append(changes, ch)
		}
		next := page.Cursor
		stored := next
		if scanKey != nil {
			stored = nil // the writer keeps the source's cursor
		}
		applied, err := pw.Add(changes, stored)
		if err != nil {
			return fmt.Errorf("apply %s page: %w", source, err)
		}
		r.rep.addApplied(source, len(page.Records), applied)
		if scanKey != nil && !page.Done {
			if err := r.db.SetMeta(*scanKey, next); err != nil {
				return err
			}
		}
		if page.Done {
			return nil
		}
		if bytes.Equal(next, cursor) && len(page.Records) == 0 {
			return fmt.Errorf("%s: connector returned an empty page without moving its cursor", source)
		}
		cursor = next
	}
}

// Meta keys of the periodic scans' positions, per source.
const (
	metaDeletionScanAt = "scan_pos.deletion."
	metaRereadAt       = "scan_pos.reread."
	metaCurrency       = "currency."
)

// deletionScan pages through the connector's deleted records when due,
// resuming an interrupted scan from its stored position.
func (r *run) deletionScan(ctx context.Context, source string) error {
	dl, ok := r.conn.(connector.DeletionLister)
	if !ok {
		return nil
	}
	posKey := metaDeletionScanAt + source
	pos, err := r.db.Meta(posKey)
	if err != nil {
		return err
	}
	if len(pos) == 0 && !r.due("deletion_scan."+source, dl.DeletionScanEvery()) || r.saveQuota("deletion scan of "+source) {
		return nil
	}
	if err := r.pages(ctx, source, pos, dl.ReadDeletedPage, &posKey); err != nil {
		return fmt.Errorf("deletion scan: %w", err)
	}
	if err := r.db.SetMeta(posKey, nil); err != nil {
		return err
	}
	r.rep.Scans = append(r.rep.Scans, "deletion scan of "+source)
	return r.markDone("deletion_scan." + source)
}

// reread re-reads every order held for a source when due (see
// connector.OrderRereader), one connector batch at a time in id order, and
// applies the answers as ordinary changes. Its position is stored after
// each batch, so an interrupted scan resumes after the last batch applied
// (re-applying a batch is harmless: changes are absolute).
func (r *run) reread(ctx context.Context, source string) error {
	rr, ok := r.conn.(connector.OrderRereader)
	if !ok {
		return nil
	}
	posKey := metaRereadAt + source
	pos, err := r.db.Meta(posKey)
	if err != nil {
		return err
	}
	if len(pos) == 0 && !r.due("reread."+source, rr.RereadEvery()) || r.saveQuota("order re-read of "+source) {
		return nil
	}
	batch := max(1, rr.RereadBatch())
	// Page through the held facts, one connector batch at a time, so memory
	// stays at one batch however many orders the state holds.
	for after := string(pos); ; {
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
		recs, err := rr.RereadOrders(ctx, source, ids)
		if err != nil {
			return fmt.Errorf("re-read of %s: %w", source, err)
		}
		changes, err := r.rereadChanges(source, chunk, recs)
		if err != nil {
			return err
		}
		applied, err := r.db.ApplyPage(source, changes, nil)
		if err != nil {
			return err
		}
		r.rep.addReread(source, applied)
		if err := r.db.SetMeta(posKey, []byte(after)); err != nil {
			return err
		}
	}
	if err := r.db.SetMeta(posKey, nil); err != nil {
		return err
	}
	r.rep.Scans = append(r.rep.Scans, "order re-read of "+source)
	return r.markDone("reread." + source)
}

// rereadChanges turns a re-read answer into changes: an id missing from it
// is deleted, a customer-only answer moves the held order, a full record is
// applied like a pulled one.
func (r *run) rereadChanges(source string, held []state.Fact, recs []connector.Record) ([]state.Change, error) {
	byID := make(map[string]connector.Record, len(recs))
	for _, rec := range recs {
		byID[rec.OrderID] = rec
	}
	var changes []state.Change
	for _, f := range held {
		rec, ok := byID[f.OrderID]
		switch {
		case !ok:
			changes = append(changes, state.Change{OrderID: f.OrderID, Delete: true})
			r.rep.Skipped[SkipDeleted]++
		case rec.CustomerOnly:
			cur := rec.Customer
			cur.ID = strings.TrimSpace(cur.ID)
			if cur.ID != "" && !validID(cur.ID) {
				r.rep.Skipped[SkipBadID]++ // keep the held attribution
				continue
			}
			if cur.ID == "" {
				cur = connector.CustomerKey{}
			}
			if cur != f.Customer {
				f.Customer = cur
				changes = append(changes, state.Change{OrderID: f.OrderID, Fact: f})
			}
		default:
			ch, skip, err := r.toChange(source, rec)
			if err != nil {
				return nil, err
			}
			if skip != rfm.SkipNone {
				r.rep.Skipped[skip]++
			}
			changes = append(changes, ch)
		}
	}
	return changes, nil
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

// defaultQuotaReserve is the share of the daily allocation kept back from
// the periodic scans and the repair pass when the connector sets none.
const defaultQuotaReserve = 0.10

// saveQuota reports whether a due periodic task must wait because less
// than the reserve of the CRM's daily allocation is left, and says so in
// the report. The task stays due, so the next run with quota does it; the
// incremental pull and the writes, which keep the CRM current, go on.
func (r *run) saveQuota(task string) bool {
	b, ok := r.conn.(connector.DailyBudget)
	if !ok {
		return false
	}
	used, limit := b.DailyQuota()
	if limit <= 0 {
		return false
	}
	reserve := defaultQuotaReserve
	if qr, ok := r.conn.(connector.QuotaReserver); ok {
		reserve = qr.QuotaReserve()
	}
	if float64(limit-used) >= reserve*float64(limit) {
		return false
	}
	r.rep.QuotaSkipped = append(r.rep.QuotaSkipped, task)
	return true
}

// markScansDone records the periodic scans of a source as just done.
func (r *run) markScansDone(source string) error {
	for _, task := range []string{"deletion_scan.", "reread."} {
		if err := r.markDone(task + source); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) markDone(task string) error {
	return r.db.SetMeta("done."+task, []byte(r.now.UTC().Format(time.RFC3339Nano)))
}
