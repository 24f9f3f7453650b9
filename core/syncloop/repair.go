package syncloop

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/state"
)

// repair is the periodic full pass: it reads back what rfmsync last wrote
// and, where a person or a workflow changed a value in the CRM, records the
// CRM's value as published, so the plan that follows writes ours back.
// Recording the CRM's real value is what makes the commit safe: state never
// claims more than the CRM holds.
func (r *run) repair(ctx context.Context) error {
	fr, ok := r.conn.(connector.FieldReader)
	if !ok || r.DryRun || !r.due("repair", fr.RepairEvery()) || r.saveQuota("repair pass") {
		return nil
	}
	batch := max(1, fr.ReadBatch())
	// Page through the published records a batch at a time: memory holds
	// one batch, and no read transaction stays open across CRM calls.
	for after := (connector.CustomerKey{}); ; {
		keys, pubs, err := r.db.PublishedAfter(after, batch)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			break
		}
		after = keys[len(keys)-1]
		// One read per customer type: each type has its own field names.
		asks := map[string][]connector.CustomerKey{}
		helds := map[string][]state.Published{}
		var types []string
		for i, p := range pubs {
			// Gone customers are read too: a record restored in the CRM comes back.
			if p.GoneAt != 0 || len(p.Fields) > 0 {
				typ := keys[i].Type
				if _, seen := asks[typ]; !seen {
					types = append(types, typ)
				}
				asks[typ] = append(asks[typ], keys[i])
				helds[typ] = append(helds[typ], p)
			}
		}
		for _, typ := range types {
			names := slices.Sorted(maps.Values(r.Fields.ForType(typ)))
			got, err := fr.ReadFields(ctx, asks[typ], names)
			if err != nil {
				return fmt.Errorf("repair pass: %w", err)
			}
			if err := r.db.CommitPublished(r.repaired(asks[typ], helds[typ], got)); err != nil {
				return err
			}
		}
	}
	r.rep.Scans = append(r.rep.Scans, "repair pass")
	return r.markDone("repair")
}

// repaired compares what the CRM holds with what was published and returns
// the records to commit: gone ones marked, restored ones revived, and
// changed values replaced by the CRM's, which the plan then writes back.
func (r *run) repaired(keys []connector.CustomerKey, held []state.Published, got map[connector.CustomerKey]map[string]string) map[connector.CustomerKey]*state.Published {
	commit := map[connector.CustomerKey]*state.Published{}
	for i, key := range keys {
		pub := held[i]
		crm, exists := got[key]
		if !exists {
			if pub.GoneAt == 0 {
				pub.GoneAt = r.asof
				commit[key] = &pub // counted as gone by the plan that follows
			}
			continue
		}
		p := pub
		p.Fields = maps.Clone(pub.Fields)
		changed := false
		if p.GoneAt != 0 {
			// Restored in the CRM: write to it again from what it holds now.
			p.GoneAt = 0
			changed = true
			r.rep.Restored++
		}
		kinds := r.kindsOf(key.Type)
		for f, ours := range pub.Fields {
			// Compared canonically: "4.000" read back is the 4 we wrote.
			if theirs := crm[f]; !outputs.Equal(kinds[f], theirs, ours) {
				p.Fields[f] = theirs
				changed = true
			}
		}
		if changed {
			commit[key] = &p
			if p.GoneAt == 0 && pub.GoneAt == 0 {
				r.rep.Repaired++
				r.rep.sample(&r.rep.SampleRepaired, key.String(), r.SampleSize)
			}
		}
	}
	return commit
}
