package state

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// CustomerOrders calls fn for every customer with at least one order inside
// w, in key order, with those orders (closed_at and amount, in stored
// order): what the predictive models need, which see each purchase day
// rather than an aggregate. fn runs inside a read transaction (see the
// package comment) and must not keep orders after it returns.
func (db *DB) CustomerOrders(w rfm.Window, fn func(key connector.CustomerKey, orders []rfm.Order) error) error {
	return db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCustomers).Cursor()
		var orders []rfm.Order
		for k, v := c.First(); k != nil; k, v = c.Next() {
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				return fmt.Errorf("customer key %q: %w", k, errCorrupt)
			}
			key := connector.CustomerKey{Type: string(k[:i]), ID: string(k[i+1:])}
			es, err := decodeEntries(v)
			if err != nil {
				return fmt.Errorf("customer %s: %w", key, err)
			}
			orders = orders[:0]
			id := key.String() // once per customer, not per order
			for _, e := range es {
				if w.Contains(e.closedAt) {
					orders = append(orders, rfm.Order{OrderID: e.order, CustomerID: id, ClosedAt: e.closedAt, Amount: e.amount})
				}
			}
			if len(orders) == 0 {
				continue
			}
			if err := fn(key, orders); err != nil {
				return err
			}
		}
		return nil
	})
}
