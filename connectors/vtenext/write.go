package vtenext

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/outputs"
)

// outcome is what writing one record came to.
type outcome struct {
	accepted bool
	notFound bool
	rejected string
	later    string
	calls    int
	err      error
}

// WriteBatch implements connector.Writer: one revise per record, with
// only the mapped fields, over write_concurrency sessions under the shared
// write_rate pace. Every written key is checked in the returned record:
// vtenext silently drops unknown, misspelled and invisible fields (§5.4),
// so a missing or different value stops the run naming the field. A record
// answered ACCESS_DENIED is looked up with query (which never returns
// deleted records): gone is NotFound, present means the user may not edit
// it, which stops the run with the fix.
func (c *Connector) WriteBatch(ctx context.Context, ups []connector.Update) (connector.WriteResult, error) {
	res := connector.WriteResult{Rejected: map[connector.CustomerKey]string{}, RetryLater: map[connector.CustomerKey]string{}}
	for _, u := range ups {
		if u.Key.Type != c.o.Object {
			return res, &crmerr.Error{Class: crmerr.Validation, Message: "cannot write to vtenext module " + u.Key.Type + " (object is " + c.o.Object + ")"}
		}
	}
	out := make([]outcome, len(ups))
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(c.o.WriteConcurrency, len(ups)); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range jobs {
				out[i] = c.writeOne(withWorker(wctx, w), ups[i])
				if out[i].err != nil {
					stop()
				}
			}
		}(w)
	}
feed:
	for i := range ups {
		select {
		case jobs <- i:
		case <-wctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	var first error
	for i, o := range out {
		k := ups[i].Key
		res.Calls += o.calls
		switch {
		case o.accepted:
			res.Accepted = append(res.Accepted, k)
		case o.notFound:
			res.NotFound = append(res.NotFound, k)
		case o.rejected != "":
			res.Rejected[k] = o.rejected
		case o.later != "":
			res.RetryLater[k] = o.later
		default:
			// Not written: the run stopped first, so the next one writes it.
			res.RetryLater[k] = "not written: the run stopped"
		}
		if o.err != nil && first == nil && !errors.Is(o.err, context.Canceled) {
			first = o.err
		}
	}
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return res, first
}

// writeOne revises one record and sorts the answer.
func (c *Connector) writeOne(ctx context.Context, u connector.Update) outcome {
	if ctx.Err() != nil {
		return outcome{}
	}
	kinds, labels := c.fieldKinds(u.Key.Type)
	el := map[string]string{"id": u.Key.ID}
	for f, v := range u.Fields {
		if kinds[f] == outputs.Enum && v != "" && labels[f][v] != "" {
			v = labels[f][v] // the picklist holds the segment labels
		}
		el[f] = v
	}
	body, err := json.Marshal(el)
	if err != nil {
		return outcome{err: err}
	}
	var rec map[string]any
	err = c.call(ctx, opRevise, url.Values{"element": {string(body)}}, false, &rec)
	o := outcome{calls: 1}
	if err == nil {
		for f, want := range u.Fields {
			raw, ok := rec[f]
			if !ok {
				o.rejected = "field " + f + " was ignored by vtenext"
				o.err = &crmerr.Error{Class: crmerr.Validation, Code: "FIELD_IGNORED", Message: fmt.Sprintf(
					"vtenext ignored field %s on %s %s: it is unknown, misspelled or invisible to user %s; put the cf_… name shown by `rfmsync fields ensure` in %s, or make the field visible to the user's profile",
					f, u.Key.Type, u.Key.ID, c.o.Username, c.outputKey(u.Key.Type, f))}
				return o
			}
			text, _ := raw.(string) // every value is a string (§4.4); anything else reads as empty
			got := c.fromCRM(u.Key.Type, f, text)
			if !outputs.Equal(kinds[f], got, want) {
				o.rejected = fmt.Sprintf("field %s stored %q for %q", f, got, want)
				o.err = &crmerr.Error{Class: crmerr.Validation, Code: "FIELD_MISMATCH", Message: fmt.Sprintf(
					"vtenext stored %q for %q in field %s (%s): check the field's type and decimals in the Layout Editor (`rfmsync fields ensure` prints what rfmsync needs)",
					got, want, f, c.outputKey(u.Key.Type, f))}
				return o
			}
		}
		o.accepted = true
		return o
	}
	if ctx.Err() != nil {
		return outcome{err: ctx.Err()}
	}
	e, _ := crmerr.As(err)
	switch {
	case e == nil:
		o.err = err
	case e.Code == codeAccessDenied:
		o.calls++
		live, perr := c.exists(ctx, u.Key)
		switch {
		case perr != nil:
			o.err = perr
		case !live:
			o.notFound = true
		default:
			o.err = &crmerr.Error{Class: crmerr.Auth, Code: codeAccessDenied, Message: fmt.Sprintf(
				"vtenext user %s may not edit %s %s: give the user's profile edit permission on %s and on the RFM fields (Settings → Profiles)",
				c.o.Username, u.Key.Type, u.Key.ID, u.Key.Type)}
		}
	case e.Code == "MANDATORY_FIELDS_MISSING" || e.Code == "REFERENCE_INVALID":
		o.rejected = e.Code + ": " + e.Message
	case e.Code == codeDatabaseError:
		o.later = e.Code + ": " + e.Message
	case e.Class.Retryable():
		// A timeout may hide a save that landed: writing it again next run
		// is harmless, since revise only sets the same values.
		o.later = err.Error()
	default:
		o.err = err
	}
	return o
}

// exists reports whether a record is live: query never returns deleted ones.
func (c *Connector) exists(ctx context.Context, k connector.CustomerKey) (bool, error) {
	var rows []map[string]string
	q := fmt.Sprintf("SELECT id FROM %s WHERE id = %s LIMIT 1;", k.Type, quote(k.ID))
	if err := c.call(ctx, opQuery, url.Values{"query": {q}}, false, &rows); err != nil {
		return false, err
	}
	return len(rows) > 0, nil
}

// fieldKinds returns, for a customer type, field name → kind and, for
// dropdowns, field name → segment id → label.
func (c *Connector) fieldKinds(typ string) (map[string]outputs.Kind, map[string]map[string]string) {
	kinds := map[string]outputs.Kind{}
	labels := map[string]map[string]string{}
	for _, s := range c.fields {
		n := s.Field.For(typ)
		if n == "" {
			continue
		}
		kinds[n] = s.Kind
		if s.Kind == outputs.Enum {
			m := map[string]string{}
			for _, opt := range s.Options {
				m[opt.Value] = opt.Label
			}
			labels[n] = m
		}
	}
	return kinds, labels
}

// fromCRM turns a value read back into rfmsync's written form: dates from
// the user's format, picklist labels to segment ids.
func (c *Connector) fromCRM(typ, field, v string) string {
	kinds, labels := c.fieldKinds(typ)
	switch kinds[field] {
	case outputs.Date:
		if d, ok := c.instantDate(v); ok {
			return d
		}
	case outputs.Enum:
		for id, label := range labels[field] {
			if label == v {
				return id
			}
		}
	}
	return v
}

// outputKey names the config key that maps to a field.
func (c *Connector) outputKey(typ, field string) string {
	for _, s := range c.fields {
		if s.Field.For(typ) == field {
			return "fields." + s.Output
		}
	}
	return "fields"
}
