package state

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// foldChunk is how many records the walk hands a folding worker at once:
// big enough that the hand-over costs nothing, small enough that every
// core has work until the end.
const foldChunk = 4096

// Scorable returns every customer scorable inside w (Customers' aggregate
// with frequency > 0), in key order: the keys, and the customers as
// rfm.ScoreAll takes them (Key is the key's ID). One read transaction: the
// walk hands chunks of raw records to one folding worker per core, and
// the chunks join in key order, so the result is Customers' filtered.
func (db *DB) Scorable(w rfm.Window) ([]connector.CustomerKey, []rfm.Customer, error) {
	var keys []connector.CustomerKey
	var cs []rfm.Customer
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		keys, cs, err = foldScorable(tx.Bucket(bucketCustomers), w, db.path)
		return err
	})
	return keys, cs, err
}

type foldJob struct {
	base int      // the first record's position in the walk
	k, v [][]byte // the records, valid while the transaction is open
}

func foldScorable(b *bolt.Bucket, w rfm.Window, path string) ([]connector.CustomerKey, []rfm.Customer, error) {
	// Every customer gets its slot in key order up front (the count is the
	// transaction's, so exact): workers fill slots, and one pass closes the
	// gaps the unscorable leave, instead of joining per-chunk lists.
	n := b.Stats().KeyN
	keys := make([]connector.CustomerKey, n)
	cs := make([]rfm.Customer, n)
	workers := max(1, runtime.GOMAXPROCS(0))
	// A few jobs circulate: a folded job comes back to the walk through
	// free, so the record lists are allocated once, not once per chunk.
	work := make(chan *foldJob, 2*workers)
	free := make(chan *foldJob, 3*workers)
	for range cap(free) {
		free <- &foldJob{k: make([][]byte, 0, foldChunk), v: make([][]byte, 0, foldChunk)}
	}
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var firstErr error
	firstAt := n
	for range workers {
		wg.Go(func() {
			types := interner{}
			var ids keyArena
			for j := range work {
				if err := foldJobRecords(j, w, keys, cs, types, &ids, path); err != nil {
					errMu.Lock()
					if j.base < firstAt { // the error Customers' walk would meet first
						firstAt, firstErr = j.base, err
					}
					errMu.Unlock()
				}
				j.k, j.v = j.k[:0], j.v[:0]
				free <- j
			}
		})
	}
	// Should the walk fault, guard gets the panic only after the workers
	// are done with the transaction's pages.
	defer wg.Wait()
	walked := 0
	job := <-free
	job.base = 0
	c := b.Cursor()
	func() {
		// The workers stop when work closes, also when the walk faults.
		defer close(work)
		for k, v := c.First(); k != nil && walked < n; k, v = c.Next() {
			job.k, job.v = append(job.k, k), append(job.v, v)
			walked++
			if len(job.k) == foldChunk {
				work <- job
				job = <-free
				job.base = walked
			}
		}
		if len(job.k) > 0 {
			work <- job
		}
	}()
	wg.Wait()
	if firstErr != nil {
		return nil, nil, firstErr
	}
	if walked != n {
		return nil, nil, fmt.Errorf("customers: walked %d records of %d: %w", walked, n, errCorrupt)
	}
	kept := 0
	for i := range cs {
		if cs[i].Agg.Scorable() {
			keys[kept], cs[kept] = keys[i], cs[i]
			kept++
		}
	}
	clear(keys[kept:])
	clear(cs[kept:])
	return keys[:kept:kept], cs[:kept:kept], nil
}

// foldJobRecords folds one chunk into its slots. A fault reading the file
// (a page past its end) becomes the error guard would make of it.
func foldJobRecords(j *foldJob, w rfm.Window, keys []connector.CustomerKey, cs []rfm.Customer, types interner, ids *keyArena, path string) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &CorruptError{Path: path, Detail: fmt.Sprint(r)}
		}
	}()
	for i, k := range j.k {
		key, err := parseCustomerKeyWith(k, types, ids)
		if err != nil {
			return err
		}
		c := &cs[j.base+i]
		if err := fold(j.v[i], w, &c.Agg); err != nil {
			return fmt.Errorf("customer %q: %w", key, err)
		}
		keys[j.base+i], c.Key = key, key.ID
	}
	return nil
}
