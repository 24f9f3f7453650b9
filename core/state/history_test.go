package state

import (
	"path/filepath"
	"testing"
	"time"
)

func TestHistoryIsABoundedRing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h, err := db.History(0); err != nil || len(h) != 0 {
		t.Fatalf("fresh file history = %v, %v", h, err)
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 12 {
		r := RunRecord{Started: t0.Add(time.Duration(i) * time.Hour), Result: "success", Scored: i}
		if err := db.AppendRun(r, 5); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := db.History(0)
	if err != nil || len(h) != 5 {
		t.Fatalf("history = %d runs, %v; want the last 5", len(h), err)
	}
	for i, r := range h {
		if r.Scored != 7+i {
			t.Errorf("run %d scored %d, want %d (oldest first, newest kept)", i, r.Scored, 7+i)
		}
	}
	if last, _ := db.History(2); len(last) != 2 || last[1].Scored != 11 {
		t.Errorf("History(2) = %+v", last)
	}
	if err := db.Ping(); err != nil {
		t.Error(err)
	}
}
