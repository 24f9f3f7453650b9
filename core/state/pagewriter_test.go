package state

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// sumApplied adds per-page results as a PageWriter reports them.
func sumApplied(as ...Applied) Applied {
	var s Applied
	seen := map[string]bool{}
	for _, a := range as {
		s.Inserted += a.Inserted
		s.Updated += a.Updated
		s.Unchanged += a.Unchanged
		s.Deleted += a.Deleted
		s.Moved += a.Moved
		for _, k := range a.Touched {
			if !seen[k.Type+"\x00"+k.ID] {
				seen[k.Type+"\x00"+k.ID] = true
				s.Touched = append(s.Touched, k)
			}
		}
	}
	s.Touched = keys(s.Touched...)
	if len(s.Touched) == 0 {
		s.Touched = nil
	}
	return s
}

func TestPageWriterMatchesApplyPage(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 3))
	pages := make([][]Change, 30)
	for i := range pages {
		pages[i] = randomPage(r, 1+r.IntN(150), 400, 80) // orders recur across pages
	}
	ref, _ := openTemp(t)
	var want []Applied
	for i, pg := range pages {
		want = append(want, apply(t, ref, "deals", pg, strconv.Itoa(i+1)))
	}
	for _, max := range []int{1, 100, 700, 1 << 20} {
		db, _ := openTemp(t)
		pw := db.NewPageWriter("deals", Batch{MaxChanges: max, MaxAge: time.Hour})
		var got []Applied
		committed := 0
		for i, pg := range pages {
			a, err := pw.Add(pg, []byte(strconv.Itoa(i+1)))
			if err != nil {
				t.Fatal(err)
			}
			if a.Inserted+a.Updated+a.Unchanged+a.Deleted+a.Moved > 0 {
				got = append(got, a)
				// What is committed is exactly pages 1..i+1.
				if n := cursorPage(t, db); n != i+1 {
					t.Fatalf("max %d: cursor page %d after committing up to page %d", max, n, i+1)
				}
				checkState(t, db, crashModel2(pages[:i+1]))
				committed = i + 1
			}
		}
		if max == 1 && len(got) != len(pages) {
			t.Fatalf("max 1 committed %d times for %d pages", len(got), len(pages))
		}
		if max == 1<<20 && committed != 0 {
			t.Fatalf("max %d committed before Flush", max)
		}
		a, err := pw.Flush()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, a)
		if g, w := sumApplied(got...), sumApplied(want...); !reflect.DeepEqual(g, w) {
			t.Fatalf("max %d: applied %+v, want %+v", max, g, w)
		}
		if n := cursorPage(t, db); n != len(pages) {
			t.Fatalf("max %d: cursor page %d, want %d", max, n, len(pages))
		}
		checkState(t, db, dbModel(t, ref))
	}
}

// crashModel2 is the model after pages applied in order.
func crashModel2(pages [][]Change) model {
	m := model{}
	for _, pg := range pages {
		m.apply("deals", pg)
	}
	return m
}

func TestPageWriterInvalidChangeCommitsThePagesBefore(t *testing.T) {
	db, _ := openTemp(t)
	pw := db.NewPageWriter("deals", Batch{MaxChanges: 1 << 20, MaxAge: time.Hour})
	p1 := []Change{put("1", cust("a"), asof, money(5))}
	p2 := []Change{put("2", cust("b"), asof, money(7))}
	bad := []Change{put("3", cust("c"), asof, money(1)), {OrderID: ""}}
	for i, pg := range [][]Change{p1, p2, bad} {
		if _, err := pw.Add(pg, []byte(strconv.Itoa(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	a, err := pw.Flush()
	if !errors.Is(err, ErrInvalidChange) {
		t.Fatalf("Flush error = %v, want ErrInvalidChange", err)
	}
	if a.Inserted != 2 {
		t.Fatalf("applied %+v, want the two good pages", a)
	}
	if n := cursorPage(t, db); n != 2 {
		t.Fatalf("cursor page %d, want 2 (the page before the bad one)", n)
	}
	checkState(t, db, crashModel2([][]Change{p1, p2}))
}

func TestPageWriterCommitsByAge(t *testing.T) {
	db, _ := openTemp(t)
	pw := db.NewPageWriter("deals", Batch{MaxChanges: 1 << 20, MaxAge: time.Minute})
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	pw.now = func() time.Time { return clock }
	p1 := []Change{put("1", cust("a"), asof, money(5))}
	if a, err := pw.Add(p1, []byte("1")); err != nil || a.Inserted != 0 {
		t.Fatalf("first page: %+v, %v; want it buffered", a, err)
	}
	clock = clock.Add(time.Minute)
	a, err := pw.Add([]Change{put("2", cust("a"), asof, money(1))}, []byte("2"))
	if err != nil || a.Inserted != 2 {
		t.Fatalf("page after MaxAge: %+v, %v; want both pages committed", a, err)
	}
	if n := cursorPage(t, db); n != 2 {
		t.Fatalf("cursor page %d, want 2", n)
	}
}
