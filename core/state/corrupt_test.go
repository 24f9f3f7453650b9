package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// filledFile writes a state file of a few hundred customers over several
// pages and returns its path and bytes.
func filledFile(t *testing.T) (string, []byte) {
	t.Helper()
	db, path := openTemp(t)
	for p := range 20 {
		var ch []Change
		for i := range 200 {
			ch = append(ch, put(fmt.Sprintf("o%d-%d", p, i), cust(fmt.Sprintf("c%d", i*7+p)), asof-day, money(int64(i))))
		}
		if _, err := db.ApplyPage("deals", ch, []byte("cursor")); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

// damaged returns the damage cases of issue 11 applied to a good file.
func damaged(good []byte) map[string][]byte {
	const page = 4096
	out := map[string][]byte{"truncated to half": good[:len(good)/2]}
	zero := append([]byte(nil), good...)
	clear(zero[4*page : 8*page])
	out["pages zeroed"] = zero
	flip := append([]byte(nil), good...)
	for i := 2 * page; i < len(flip); i += 97 {
		flip[i] ^= 0x10
	}
	out["bits flipped"] = flip
	meta := append([]byte(nil), good...)
	clear(meta[:2*page])
	out["meta pages zeroed"] = meta
	// A branch or bucket root pointing far past the file's end.
	far := append([]byte(nil), good...)
	for i := 2 * page; i+16 <= len(far); i += page {
		if far[i+8] == 0x01 || far[i+8] == 0x02 { // branch or leaf page flags
			for j := i + 16; j < i+page-8; j += 64 {
				far[j+7] ^= 0x40
			}
		}
	}
	out["page ids past the end"] = far
	return out
}

func TestDamagedFileIsReportedCorruptNotPanicked(t *testing.T) {
	_, good := filledFile(t)
	for name, b := range damaged(good) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := Open(path, Options{})
			if err == nil {
				db.Close()
				t.Fatal("a damaged file opened without error")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), "state file corrupt: move it aside, rfmsync will re-pull") {
				t.Errorf("message %q does not tell what to do", err)
			}
			for _, r := range err.Error() {
				if r < 0x20 || r == 0x7f || r == 0xfffd {
					t.Fatalf("message carries raw bytes: %q", err)
				}
			}
		})
	}
}

func TestDamageFoundOnlyByAReadIsCorruptNotPanic(t *testing.T) {
	_, good := filledFile(t)
	for name, b := range damaged(good) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			// Skip the check on open: the guard around every read must hold.
			db, err := Open(path, Options{CheckLimit: -1})
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrSchema) {
					t.Fatalf("open: %v, want ErrCorrupt or ErrSchema", err)
				}
				return
			}
			defer db.Close()
			n := 0
			err = db.Customers(wideWindow, func(k connector.CustomerKey, _ rfm.Aggregate) error { n++; return nil })
			if err == nil {
				_, _, err = db.PublishedAfter(cust(""), 1000)
			}
			if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, errCorrupt) {
				t.Fatalf("read: %v", err)
			}
		})
	}
}

func TestPanicInCallbackIsNotBlamedOnTheFile(t *testing.T) {
	path, _ := filledFile(t)
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer func() {
		if r := recover(); r != "caller bug" {
			t.Fatalf("recovered %v, want the caller's own panic", r)
		}
	}()
	_ = db.Customers(wideWindow, func(connector.CustomerKey, rfm.Aggregate) error { panic("caller bug") })
}

func TestEmptyExistingFileIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, Options{})
	if err == nil {
		db.Close()
		t.Fatal("a 0-byte state file was taken as a new one")
	}
	if !errors.Is(err, ErrEmpty) {
		t.Fatalf("err = %v, want ErrEmpty", err)
	}
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Errorf("the empty file was written to (%d bytes)", fi.Size())
	}
}

func TestReadableStateFileIsTightened(t *testing.T) {
	path, _ := filledFile(t)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	var notices []string
	db, err := Open(path, Options{Notice: func(m string) { notices = append(notices, m) }})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode %04o after open, want 0600", perm)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "0644") || !strings.Contains(notices[0], "0600") {
		t.Errorf("notices %q, want one naming the old and new mode", notices)
	}
}

func TestNewFileIsPrivate(t *testing.T) {
	_, path := openTemp(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("new state file mode %04o, want no group/other bits", perm)
	}
}

func TestCustomerKeyInErrorIsQuoted(t *testing.T) {
	db, _ := openTemp(t)
	bad := cust("c\x00\xff\x1b[31m")
	_, err := db.ApplyPage("deals", []Change{put("", bad, asof, money(1))}, nil)
	if err == nil {
		t.Fatal("an empty order id was accepted")
	}
	for _, r := range err.Error() {
		if r < 0x20 || r == 0xfffd {
			t.Fatalf("error carries raw bytes: %q", err)
		}
	}
}

// BenchmarkOpenCheck measures Open of a file of 200,000 orders with the
// full consistency check, reporting MB/s of file checked.
func BenchmarkOpenCheck(b *testing.B) {
	path := filepath.Join(b.TempDir(), "state.db")
	db, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for p := range 200 {
		ch := make([]Change, 0, 1000)
		for i := range 1000 {
			ch = append(ch, put(fmt.Sprintf("o%d-%d", p, i), cust(fmt.Sprintf("c%d", (p*1000+i)%50000)), asof-day, money(int64(i))))
		}
		if _, err := db.ApplyPage("deals", ch, []byte("cursor")); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for range b.N {
		db, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}
