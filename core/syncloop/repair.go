package syncloop

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/state"
)

// repair is the periodic full pass: it reads back what rfmsync last wrote
// and, where a person or a workflow changed a value in the CRM, records the
// CRM's value as published, so the plan that follows writes ours back.
// Recording the CRM's real value is what makes the commit safe: state never
// claims more than the CRM holds.
func (r *run) repair(ctx context.Context) error {
	fr, ok := r.conn.(connector.FieldReader)
	if !ok || r.DryRun || !r.due("repair", fr.RepairEvery()) {
		return nil
	}
	type held struct {
		key connector.CustomerKey
		pub state.Published
	}
	var all []held
	err := r.db.ForEachPublished(func(k connector.CustomerKey, p state.Published) error {
		// Gone customers are read too: a record restored in the CRM comes back.
		if p.GoneAt != 0 || len(p.Fields) > 0 {
			all = append(all, held{k, p})
		}
		return nil
	})
	if err != nil {
		return err
	}
	names := slices.Sorted(maps.Values(r.Fields))
	batch := max(1, fr.ReadBatch())
	for start := 0; start < len(all); start += batch {
		chunk := all[start:min(start+batch, len(all))]
		keys := make([]connector.CustomerKey, len(chunk))
		for i, h := range chunk {
			keys[i] = h.key
		}
		got, err := fr.ReadFields(ctx, keys, names)
		if err != nil {
			return fmt.Errorf("repair pass: %w", err)
		}
		commit := map[connector.CustomerKey]*state.Published{}
		for _, h := range chunk {
			crm, exists := got[h.key]
			if !exists {
				if h.pub.GoneAt == 0 {
					p := h.pub
					p.GoneAt = r.asof
					commit[h.key] = &p // counted as gone by the plan that follows
				}
				continue
			}
			p := h.pub
			p.Fields = maps.Clone(h.pub.Fields)
			changed := false
			if p.GoneAt != 0 {
				// Restored in the CRM: write to it again from what it holds now.
				p.GoneAt = 0
				changed = true
				r.rep.Restored++
			}
			for f, ours := range h.pub.Fields {
				if theirs := crm[f]; theirs != ours {
					p.Fields[f] = theirs
					changed = true
				}
			}
			if changed {
				commit[h.key] = &p
				r.rep.Repaired++
				r.rep.sample(&r.rep.SampleRepaired, h.key.String(), r.SampleSize)
			}
		}
		if len(commit) > 0 {
			if err := r.db.CommitPublished(commit); err != nil {
				return err
			}
		}
	}
	r.rep.Scans = append(r.rep.Scans, "repair pass")
	return r.markDone("repair")
}
