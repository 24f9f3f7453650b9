package syncloop

import (
	"context"
	"fmt"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/state"
)

// write sends the plan in batches and commits, after each batch, exactly what
// the CRM accepted: a crash between a write and its commit only means the
// same values are written again on restart.
func (r *run) write(ctx context.Context, p *plan) error {
	if len(p.quiet) > 0 {
		if err := r.db.CommitPublished(p.quiet); err != nil {
			return err
		}
		if err := r.logSegments(p.quiet); err != nil {
			return err
		}
	}
	size := max(1, r.conn.MaxBatch())
	for _, group := range groupByType(p.updates) {
		for start := 0; start < len(group); start += size {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := r.writeBatch(ctx, group[start:min(start+size, len(group))]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *run) writeBatch(ctx context.Context, batch []update) error {
	ups := make([]connector.Update, len(batch))
	byKey := make(map[connector.CustomerKey]*update, len(batch))
	for i := range batch {
		ups[i] = connector.Update{Key: batch[i].key, Fields: batch[i].fields}
		byKey[batch[i].key] = &batch[i]
	}
	res, err := r.conn.WriteBatch(ctx, ups)
	r.rep.WriteCalls += max(1, res.Calls)
	commit := make(map[connector.CustomerKey]*state.Published, len(res.Accepted)+len(res.NotFound))
	for _, k := range res.Accepted {
		if u := byKey[k]; u != nil {
			commit[k] = &u.next
			r.rep.Written++
		}
	}
	for _, k := range res.NotFound {
		if u := byKey[k]; u != nil {
			// Deleted or merged in the CRM: remember it so it is not retried
			// forever, keeping what the CRM last accepted (not what it refused).
			gone := u.prev
			gone.GoneAt = r.asof
			commit[k] = &gone
			r.rep.NotFound++
			r.rep.sample(&r.rep.SampleNotFound, k.String(), r.SampleSize)
		}
	}
	for k, why := range res.Rejected {
		r.rep.Rejected++
		r.rep.sample(&r.rep.SampleRejected, fmt.Sprintf("%s: %s", k, why), r.SampleSize)
	}
	for k, why := range res.RetryLater {
		// Not committed: the next run's plan still differs and writes it again.
		r.rep.Deferred++
		r.rep.sample(&r.rep.SampleDeferred, fmt.Sprintf("%s: %s", k, why), r.SampleSize)
	}
	if len(commit) > 0 {
		if cerr := r.db.CommitPublished(commit); cerr != nil {
			return cerr
		}
		if cerr := r.logSegments(commit); cerr != nil {
			return cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	return nil
}

// groupByType splits updates by CRM object type, keeping their order, since
// one batch call writes one object type.
func groupByType(ups []update) [][]update {
	var order []string
	groups := map[string][]update{}
	for _, u := range ups {
		if _, ok := groups[u.key.Type]; !ok {
			order = append(order, u.key.Type)
		}
		groups[u.key.Type] = append(groups[u.key.Type], u)
	}
	out := make([][]update, len(order))
	for i, t := range order {
		out[i] = groups[t]
	}
	return out
}
