// Package state is rfmsync's embedded state store: one bbolt file holding
// per-source cursors, per-order facts, per-customer order lists, the values
// last written to the CRM and the fingerprints of the config that shaped them.
//
// Every mutating method is one bbolt transaction, so a kill at any moment
// leaves the file as it was after the last completed call. The sync loop
// orders the calls (a cursor is committed with its page; published values
// only after the CRM accepted them); this package makes each one atomic.
//
// Methods that take a callback (Customers, ForEachPublished) run
// it inside a read transaction: the callback must not call a mutating method
// of the same DB, or it may deadlock when bbolt needs to grow the file.
// Collect first, then write.
package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout this package reads and writes. Bump it (and
// refuse older files or migrate them) whenever a bucket or value layout
// changes incompatibly.
const SchemaVersion = 1

// DefaultLockTimeout is used when Options.LockTimeout is zero: bbolt itself
// would wait forever for the file lock, and a second rfmsync must fail, not hang.
const DefaultLockTimeout = 5 * time.Second

// ErrLocked is wrapped by Open when another process holds the state file.
var ErrLocked = errors.New("locked by another rfmsync process")

// ErrSchema is matched (errors.Is) by the *SchemaError Open returns for a
// file this version cannot read.
var ErrSchema = errors.New("unsupported state schema")

// Bucket names. Top-level buckets are created on first open.
var (
	bucketMeta      = []byte("meta")
	bucketCursors   = []byte("cursors")
	bucketFacts     = []byte("facts") // one nested bucket per source
	bucketCustomers = []byte("customers")
	bucketPublished = []byte("published")

	allBuckets = [][]byte{bucketMeta, bucketCursors, bucketFacts, bucketCustomers, bucketPublished}

	keySchema = []byte("schema")
)

// Options tunes Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// file; zero means DefaultLockTimeout.
	LockTimeout time.Duration
	// ReadOnly opens with a shared lock for inspection; writes then fail.
	ReadOnly bool
	// CheckLimit is the largest file (bytes) that gets bbolt's full
	// consistency check on open; zero means DefaultCheckLimit, negative
	// skips it. Every file gets the cheap checks.
	CheckLimit int64
	// Notice receives what Open fixed on its own (a state file others could
	// read, tightened to 0600); nil drops it.
	Notice func(msg string)
}

// DB is an open state file. Its methods are safe for concurrent use.
type DB struct {
	bolt *bolt.DB
	path string
}

// SchemaError says the file's schema version is not the one this build
// understands, and what the operator can do about it.
type SchemaError struct {
	Path string
	// Version is the stored version; 0 when it is missing or unreadable.
	Version uint64
}

func (e *SchemaError) Error() string {
	if e.Version == 0 {
		return fmt.Sprintf("state file %s has no readable schema version; this rfmsync understands %d "+
			"(is it an rfmsync state file? move it aside and rfmsync starts fresh with a full re-pull "+
			"and rewrites every customer once)", e.Path, SchemaVersion)
	}
	return fmt.Sprintf("state file %s has schema version %d; this rfmsync understands %d "+
		"(it was written by another rfmsync version: run that version, or move the file aside and "+
		"rfmsync starts fresh with a full re-pull and rewrites every customer once)", e.Path, e.Version, SchemaVersion)
}

// Is makes errors.Is(err, ErrSchema) true.
func (e *SchemaError) Is(target error) bool { return target == ErrSchema }

// Open opens or creates the state file at path. A file held by another
// process yields an error wrapping ErrLocked after opt.LockTimeout; a file of
// another schema version yields a *SchemaError; a damaged file yields an
// error matching ErrCorrupt, and an existing empty one an error wrapping
// ErrEmpty.
func Open(path string, opt Options) (*DB, error) {
	timeout := opt.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	limit := opt.CheckLimit
	if limit == 0 {
		limit = DefaultCheckLimit
	}
	if err := inspect(path, opt.ReadOnly, opt.Notice); err != nil {
		return nil, err
	}
	var b *bolt.DB
	err := guard(path, func() (err error) {
		b, err = bolt.Open(path, 0o600, &bolt.Options{
			Timeout:  timeout,
			ReadOnly: opt.ReadOnly,
			// The array freelist (bbolt's default): the hashmap one rebuilds a
			// sorted list of every free page at each commit, which on a large,
			// fragmented file is most of a small commit's work. Measured on a
			// 1M-customer state (BenchmarkIncrementalSync1M): 170 commits of 100
			// customers 1.49 s with the hashmap, 0.49 s with the array; a first
			// sync of 1M customers 31.8 s either way.
			FreelistType: bolt.FreelistArrayType,
		})
		return err
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("state file %s is %w (waited %s)", path, ErrLocked, timeout)
	}
	if errors.Is(err, ErrCorrupt) {
		return nil, err
	}
	if errors.Is(err, bolterrors.ErrInvalid) || errors.Is(err, bolterrors.ErrChecksum) || errors.Is(err, bolterrors.ErrVersionMismatch) {
		return nil, &CorruptError{Path: path, Detail: err.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("open state file %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path}
	err = verify(b, path, limit)
	if err == nil && opt.ReadOnly {
		err = db.view(db.check)
	} else if err == nil {
		err = db.update(db.init)
	}
	if err != nil {
		_ = b.Close()
		return nil, err
	}
	return db, nil
}

// Path is the file the DB was opened from.
func (db *DB) Path() string { return db.path }

// Close releases the file and its lock.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close state file %s: %w", db.path, err)
	}
	return nil
}

// init creates the buckets of a new file, or checks the version of an
// existing one, in the same transaction, so a half-initialised file cannot exist.
func (db *DB) init(tx *bolt.Tx) error {
	if tx.Bucket(bucketMeta) == nil {
		empty := true
		_ = tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
		if !empty {
			return &SchemaError{Path: db.path}
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return fmt.Errorf("init state file %s: %w", db.path, err)
			}
		}
		v := binary.AppendUvarint(nil, SchemaVersion)
		if err := tx.Bucket(bucketMeta).Put(keySchema, v); err != nil {
			return fmt.Errorf("init state file %s: %w", db.path, err)
		}
		return nil
	}
	return db.check(tx)
}

// check verifies the schema version and that every bucket exists.
func (db *DB) check(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return &SchemaError{Path: db.path}
	}
	v, n := binary.Uvarint(meta.Get(keySchema))
	if n <= 0 {
		return &SchemaError{Path: db.path}
	}
	if v != SchemaVersion {
		return &SchemaError{Path: db.path, Version: v}
	}
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("state file %s is damaged: bucket %q is missing", db.path, name)
		}
	}
	return nil
}
