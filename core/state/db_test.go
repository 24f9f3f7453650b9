package state

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

func TestSecondOpenGetsErrLocked(t *testing.T) {
	db, path := openTemp(t)
	_ = db
	start := time.Now()
	// bbolt's flock is per open file description, so a second Open in the
	// same process contends exactly like a second process would.
	_, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("second Open took %s, want about the lock timeout", el)
	}
	msg := err.Error()
	if !strings.Contains(msg, path) || !strings.Contains(msg, "locked by another rfmsync process (waited 100ms)") {
		t.Fatalf("message %q should name the file and the wait", msg)
	}
	if _, err := Open(path, Options{LockTimeout: 50 * time.Millisecond, ReadOnly: true}); !errors.Is(err, ErrLocked) {
		t.Fatalf("read-only Open while a writer holds the file = %v, want ErrLocked", err)
	}
}

func TestLockIsReleasedOnClose(t *testing.T) {
	db, path := openTemp(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(path, Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
	_ = db2.Close()
}

func writeRaw(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownSchemaVersionIsRefused(t *testing.T) {
	db, path := openTemp(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	writeRaw(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, binary.AppendUvarint(nil, 2))
	})
	for _, ro := range []bool{false, true} {
		_, err := Open(path, Options{ReadOnly: ro})
		var se *SchemaError
		if !errors.Is(err, ErrSchema) || !errors.As(err, &se) || se.Version != 2 {
			t.Fatalf("read-only=%v: Open = %v, want a *SchemaError for version 2", ro, err)
		}
		for _, want := range []string{path, "schema version 2", "understands 1", "move the file aside"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q lacks %q", err, want)
			}
		}
	}
	// A refused open leaves the file untouched and unlocked.
	writeRaw(t, path, func(tx *bolt.Tx) error {
		if v, _ := binary.Uvarint(tx.Bucket(bucketMeta).Get(keySchema)); v != 2 {
			t.Errorf("schema version rewritten to %d", v)
		}
		return nil
	})
}

func TestForeignBoltFileIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	writeRaw(t, path, func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("something-else"))
		return err
	})
	_, err := Open(path, Options{})
	if !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "no readable schema version") {
		t.Fatalf("Open foreign file = %v, want ErrSchema naming the missing version", err)
	}
}

func TestReadOnly(t *testing.T) {
	db, path := openTemp(t)
	apply(t, db, "deals", []Change{put("o1", cust("a"), asof, money(5))}, "c1")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	r1, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	r2, err := Open(path, Options{ReadOnly: true, LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("second read-only open: %v", err)
	}
	defer r2.Close()
	if a, _, _ := r2.Aggregate(cust("a"), wideWindow); a.Orders != 1 {
		t.Fatalf("read-only aggregate = %+v", a)
	}
	if _, err := r1.ApplyPage("deals", []Change{del("o1")}, nil); !errors.Is(err, bolterrors.ErrDatabaseReadOnly) {
		t.Fatalf("write on a read-only DB = %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.db"), Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only open of a missing file succeeded")
	}
}

func TestFingerprintsAndMetaPersist(t *testing.T) {
	db, path := openTemp(t)
	if fp, err := db.Fingerprint(FingerprintPull); fp != "" || err != nil {
		t.Fatalf("fresh pull fingerprint = %q, %v", fp, err)
	}
	must(t, db.SetFingerprint(FingerprintPull, "p1"))
	must(t, db.SetFingerprint(FingerprintScore, "s1"))
	must(t, db.SetMeta("quota_reset", []byte("2025-06-02T00:00:00Z")))
	must(t, db.SetMeta("empty", []byte{}))
	must(t, db.Close())

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if fp, _ := db.Fingerprint(FingerprintPull); fp != "p1" {
		t.Fatalf("pull fingerprint = %q after reopen", fp)
	}
	if fp, _ := db.Fingerprint(FingerprintScore); fp != "s1" {
		t.Fatalf("score fingerprint = %q after reopen", fp)
	}
	if v, _ := db.Meta("quota_reset"); string(v) != "2025-06-02T00:00:00Z" {
		t.Fatalf("meta = %q", v)
	}
	if v, _ := db.Meta("empty"); v == nil || len(v) != 0 {
		t.Fatalf("empty meta value = %#v, want non-nil empty", v)
	}
	// A generic key cannot reach the schema version or a fingerprint.
	must(t, db.SetMeta("schema", []byte("x")))
	must(t, db.SetMeta("fp/pull", []byte("x")))
	if fp, _ := db.Fingerprint(FingerprintPull); fp != "p1" {
		t.Fatalf("generic meta overwrote the fingerprint: %q", fp)
	}
	must(t, db.SetFingerprint(FingerprintPull, ""))
	must(t, db.SetMeta("quota_reset", nil))
	if fp, _ := db.Fingerprint(FingerprintPull); fp != "" {
		t.Fatalf("deleted fingerprint = %q", fp)
	}
	if v, _ := db.Meta("quota_reset"); v != nil {
		t.Fatalf("deleted meta = %q", v)
	}
	if err := db.SetMeta("", nil); err == nil {
		t.Fatal("empty meta key accepted")
	}
	must(t, db.Close())
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen after generic writes to reserved-looking keys: %v", err)
	}
	must(t, db.Close())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
