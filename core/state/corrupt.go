package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// ErrCorrupt is matched (errors.Is) by every error that means the file's
// bytes are damaged: a failed consistency check, a truncated file, a panic
// or memory fault inside bbolt. Nothing can be trusted then, and nothing
// is lost by starting over: the CRM holds the orders, so a fresh file is
// rebuilt by a full re-pull.
var ErrCorrupt = errors.New("state file corrupt: move it aside, rfmsync will re-pull")

// DefaultCheckLimit is the largest file Open runs bbolt's full consistency
// check on when Options.CheckLimit is zero, so opening stays within about a
// second even from disk. The check reads every page: 3.8 GB/s from the page
// cache on the 2-core development machine (`go test -run x -bench OpenCheck
// ./core/state`), disk speed when cold. Above the limit Open only checks
// that the file is as long as its meta page says; damage deeper in is still
// caught by the panic guard around every transaction.
const DefaultCheckLimit = 1 << 30

// CorruptError says what was found damaged. Detail is quoted when printed,
// since it may carry the file's raw bytes.
type CorruptError struct {
	Path   string
	Detail string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%v (%s: %q)", ErrCorrupt, e.Path, e.Detail)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// ErrEmpty is wrapped by Open for an existing file of 0 bytes: it is a
// truncated state, not a new one, and starting fresh silently would re-pull
// and rewrite everything without a word.
var ErrEmpty = errors.New("state file is empty (0 bytes)")

// inspect runs before bbolt opens an existing file: a 0-byte file is
// refused and a file others can read is tightened to 0600 (it holds
// customer ids and amounts). A missing file is fine: Open creates it.
func inspect(path string, readOnly bool, notice func(string)) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open state file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("state file %s is not a regular file", path)
	}
	if fi.Size() == 0 {
		return fmt.Errorf("state file %s: %w; it was probably truncated: delete it to start fresh "+
			"(a full re-pull that rewrites every customer once)", path, ErrEmpty)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && !readOnly {
		if err := os.Chmod(path, perm&0o700|0o600); err != nil {
			return fmt.Errorf("state file %s is readable by others (mode %04o) and could not be "+
				"tightened to 0600: %w", path, perm, err)
		}
		if notice != nil {
			notice(fmt.Sprintf("state file %s was readable by others (mode %04o); tightened to 0600", path, perm))
		}
	}
	return nil
}

// verify checks an open file: its length against the meta page's high-water
// mark (a shorter file is truncated, and reading past its end would fault),
// then, below limit bytes, bbolt's full consistency check.
func verify(b *bolt.DB, path string, limit int64) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open state file %s: %w", path, err)
	}
	return guard(path, func() error {
		return b.View(func(tx *bolt.Tx) error {
			if tx.Size() > fi.Size() {
				return &CorruptError{Path: path, Detail: fmt.Sprintf("file is %d bytes, its meta page says %d: truncated", fi.Size(), tx.Size())}
			}
			if limit < 0 || fi.Size() > limit {
				return nil
			}
			// Touch every page here first, where a fault is recoverable:
			// tx.Check reads pages in a goroutine of its own, where a page
			// id pointing past the mapping would kill the process.
			if err := walk(tx.Cursor()); err != nil {
				return err
			}
			var first error
			for err := range tx.Check() {
				if first == nil {
					first = err // keep draining: the checker blocks until every error is read
				}
			}
			if first != nil {
				return &CorruptError{Path: path, Detail: first.Error()}
			}
			return nil
		})
	})
}

// walk reads every key and value under c, descending into nested buckets.
func walk(c *bolt.Cursor) error {
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			if b := c.Bucket().Bucket(k); b != nil {
				if err := walk(b.Cursor()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// guard runs fn, turning a panic or memory fault inside bbolt into a
// *CorruptError: bbolt panics on pages that are not what the tree says they
// are, and faults on pages past the file's end. A panic raised by a
// caller's callback is re-raised unchanged (see callback).
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if cp, ok := r.(callbackPanic); ok {
			panic(cp.v)
		}
		err = &CorruptError{Path: path, Detail: fmt.Sprint(r)}
	}()
	return fn()
}

// callbackPanic carries a panic out of a caller's callback, so guard does
// not blame the file for a bug in the caller.
type callbackPanic struct{ v any }

// callback calls fn, marking a panic in it as the caller's.
func callback(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			panic(callbackPanic{r})
		}
	}()
	return fn()
}

func (db *DB) view(fn func(*bolt.Tx) error) error {
	return guard(db.path, func() error { return db.bolt.View(fn) })
}

func (db *DB) update(fn func(*bolt.Tx) error) error {
	return guard(db.path, func() error { return db.bolt.Update(fn) })
}
