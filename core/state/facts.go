package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// Fact is one counting order as state keeps it: the customer it is
// attributed to, when it closed and its amount. A Fact with an empty
// Customer.ID is kept, so an association rescan can find it later, but it
// counts for nobody.
type Fact struct {
	OrderID  string
	Customer connector.CustomerKey
	ClosedAt rfm.Instant
	Amount   rfm.Money
}

// Equal reports whether two facts say the same thing (amounts compared by value).
func (f Fact) Equal(o Fact) bool {
	return f.OrderID == o.OrderID && f.Customer == o.Customer && f.ClosedAt == o.ClosedAt && f.Amount.Equal(o.Amount)
}

// Change is one order's new state read from a source: Fact replaces whatever
// state holds for OrderID, or Delete removes it. An order that stopped
// qualifying (no longer won, unparsable) is a Delete.
type Change struct {
	OrderID string
	Delete  bool
	// Fact is ignored when Delete is set; its OrderID may be left empty.
	Fact Fact
}

// Applied says what a page did. Every change lands in exactly one counter.
type Applied struct {
	// Inserted counts orders state did not hold.
	Inserted int
	// Updated counts orders whose date or amount changed, same customer.
	Updated int
	// Unchanged counts identical re-deliveries and deletes of unknown orders.
	Unchanged int
	// Deleted counts orders removed.
	Deleted int
	// Moved counts orders re-assigned to another customer (or to or from
	// nobody), whether or not their date or amount changed too.
	Moved int
	// Touched lists, sorted and unique, the customers whose order lists changed.
	Touched []connector.CustomerKey
}

// ErrInvalidChange is wrapped when a page holds a change state cannot store;
// the whole page is then rolled back.
var ErrInvalidChange = errors.New("invalid change")

var errNoSource = errors.New("source name is empty")

// ApplyPage applies one page of changes from source and stores cursor, all
// in one transaction: each change first removes the order's old
// contribution from its old customer, then adds the new one, so a changed,
// deleted or re-assigned order corrects aggregates exactly and a page
// re-read after a crash changes nothing. A nil cursor leaves the stored
// cursor as it is (for rescans that are not part of the incremental pull).
// On error nothing of the page is stored.
func (db *DB) ApplyPage(source string, changes []Change, cursor []byte) (Applied, error) {
	if source == "" {
		return Applied{}, errNoSource
	}
	var a Applied
	var touched []connector.CustomerKey
	err := db.update(func(tx *bolt.Tx) error {
		var err error
		a, touched, err = applyPageTx(tx, source, changes, cursor)
		return err
	})
	if err != nil {
		return Applied{}, err
	}
	a.Touched = touched
	return a, nil
}

// applyChange applies one change inside ApplyPage's transaction.
func applyChange(facts *bolt.Bucket, p *patch, source string, ch *Change, a *Applied) error {
	if ch.OrderID == "" {
		return fmt.Errorf("%w: order id is empty", ErrInvalidChange)
	}
	id := []byte(ch.OrderID)
	old, had, err := getFact(facts, id)
	if err != nil {
		return err
	}
	if ch.Delete {
		if !had {
			a.Unchanged++
			return nil
		}
		if err := p.remove(old.Customer, source, ch.OrderID); err != nil {
			return err
		}
		a.Deleted++
		return facts.Delete(id)
	}
	nf := ch.Fact
	if nf.OrderID != "" && nf.OrderID != ch.OrderID {
		return fmt.Errorf("%w: fact is for order %q", ErrInvalidChange, nf.OrderID)
	}
	nf.OrderID = ch.OrderID
	if had && old.Equal(nf) {
		a.Unchanged++
		return nil
	}
	v, err := encodeFact(nf)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidChange, err)
	}
	if had {
		if err := p.remove(old.Customer, source, ch.OrderID); err != nil {
			return err
		}
	}
	if err := p.add(nf.Customer, entry{source: source, order: ch.OrderID, closedAt: nf.ClosedAt, amount: nf.Amount}); err != nil {
		return err
	}
	switch {
	case !had:
		a.Inserted++
	case old.Customer != nf.Customer:
		a.Moved++
	default:
		a.Updated++
	}
	return facts.Put(id, v)
}

// Cursor returns the cursor last stored for source, nil if none.
func (db *DB) Cursor(source string) ([]byte, error) {
	var c []byte
	err := db.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCursors).Get([]byte(source))
		if v == nil {
			return nil
		}
		if v[0] != valueV1 {
			return fmt.Errorf("cursor of %q: %w", source, errCorrupt)
		}
		c = append([]byte{}, v[1:]...)
		return nil
	})
	return c, err
}

// ResetSource forgets source entirely, in one transaction: its cursor, its
// facts and their contributions to customers. The next pull starts from the
// beginning; used when what is pulled changed (the pull fingerprint).
func (db *DB) ResetSource(source string) error {
	if source == "" {
		return errNoSource
	}
	return db.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketCursors).Delete([]byte(source)); err != nil {
			return fmt.Errorf("reset %q: %w", source, err)
		}
		all := tx.Bucket(bucketFacts)
		facts := all.Bucket([]byte(source))
		if facts == nil {
			return nil
		}
		p := newPatch(tx.Bucket(bucketCustomers))
		// Tolerant: a reset is also the way out of a damaged state, so an
		// entry already missing from its customer is not an error here.
		p.lenient = true
		err := facts.ForEach(func(k, v []byte) error {
			f, err := decodeFact(k, v)
			if err != nil {
				return err
			}
			return p.remove(f.Customer, source, f.OrderID)
		})
		if err == nil {
			_, err = p.flush()
		}
		if err == nil {
			err = all.DeleteBucket([]byte(source))
		}
		if err != nil {
			return fmt.Errorf("reset %q: %w", source, err)
		}
		return nil
	})
}

// Fact returns the fact state holds for order id of source.
func (db *DB) Fact(source, id string) (Fact, bool, error) {
	var f Fact
	var ok bool
	err := db.view(func(tx *bolt.Tx) error {
		facts := tx.Bucket(bucketFacts).Bucket([]byte(source))
		if facts == nil || id == "" {
			return nil
		}
		var err error
		f, ok, err = getFact(facts, []byte(id))
		if err != nil {
			return fmt.Errorf("%q: %w", source, err)
		}
		return nil
	})
	return f, ok, err
}

// Sources lists the sources that hold facts, sorted.
func (db *DB) Sources() ([]string, error) {
	var out []string
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFacts).ForEachBucket(func(k []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	slices.Sort(out)
	return out, err
}

func getFact(facts *bolt.Bucket, id []byte) (Fact, bool, error) {
	v := facts.Get(id)
	if v == nil {
		return Fact{}, false, nil
	}
	f, err := decodeFact(id, v)
	return f, err == nil, err
}

// encodeFact: version, customer type, customer id, closed_at, amount.
func encodeFact(f Fact) ([]byte, error) {
	if _, err := customerKey(f.Customer); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 1+2+len(f.Customer.Type)+len(f.Customer.ID)+10+11)
	b = append(b, valueV1)
	b = appendString(b, f.Customer.Type)
	b = appendString(b, f.Customer.ID)
	b = binary.AppendVarint(b, int64(f.ClosedAt))
	return appendMoney(b, f.Amount), nil
}

func decodeFact(id, v []byte) (Fact, error) {
	d := decoder{b: v}
	d.version()
	f := Fact{OrderID: string(id)}
	f.Customer.Type = d.string()
	f.Customer.ID = d.string()
	f.ClosedAt = rfm.Instant(d.varint())
	f.Amount = d.money()
	if err := d.done(); err != nil {
		return Fact{}, fmt.Errorf("fact %q: %w", id, err)
	}
	return f, nil
}

// FactsAfter returns up to limit facts of source whose order id sorts after
// afterID ("" = from the start), in order id byte order. Long scans page
// with it, so neither memory nor a read transaction spans the whole source
// while the CRM is asked about each page.
func (db *DB) FactsAfter(source, afterID string, limit int) ([]Fact, error) {
	var out []Fact
	err := db.view(func(tx *bolt.Tx) error {
		facts := tx.Bucket(bucketFacts).Bucket([]byte(source))
		if facts == nil {
			return nil
		}
		c := facts.Cursor()
		k, v := c.Seek([]byte(afterID))
		if k != nil && afterID != "" && string(k) == afterID {
			k, v = c.Next()
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			f, err := decodeFact(k, v)
			if err != nil {
				return fmt.Errorf("%q: %w", source, err)
			}
			out = append(out, f)
		}
		return nil
	})
	return out, err
}
