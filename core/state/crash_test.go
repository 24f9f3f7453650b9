package state

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// crashChildEnv names the state file a child process writes to until killed.
const crashChildEnv = "RFMSYNC_STATE_CRASH_CHILD"

// crashBatchEnv, when set, makes the child commit through a PageWriter,
// several pages a transaction.
const crashBatchEnv = "RFMSYNC_STATE_CRASH_BATCH"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		os.Exit(crashChild(path))
	}
	code := m.Run()
	cleanupBench()
	os.Exit(code)
}

// crashPage is page p (1-based) of a deterministic pull; the cursor is "p".
func crashPage(p int) []Change {
	return randomPage(rand.New(rand.NewPCG(uint64(p), 7)), 300, 2000, 400)
}

// crashModel is the state after pages 1..n.
func crashModel(n int) model {
	m := model{}
	for p := 1; p <= n; p++ {
		m.apply("deals", crashPage(p))
	}
	return m
}

func cursorPage(t *testing.T, db *DB) int {
	t.Helper()
	c, err := db.Cursor("deals")
	if err != nil {
		t.Fatal(err)
	}
	if c == nil {
		return 0
	}
	n, err := strconv.Atoi(string(c))
	if err != nil {
		t.Fatalf("cursor %q: %v", c, err)
	}
	return n
}

// crashChild resumes the pull after the stored cursor and applies pages
// forever, printing each committed page number, until its parent kills it.
func crashChild(path string) int {
	db, err := Open(path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c, err := db.Cursor("deals")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	p, _ := strconv.Atoi(string(c))
	var pw *PageWriter
	if os.Getenv(crashBatchEnv) != "" {
		pw = db.NewPageWriter("deals", Batch{MaxChanges: 1000, MaxAge: time.Hour})
	}
	for {
		p++
		if pw == nil {
			if _, err := db.ApplyPage("deals", crashPage(p), []byte(strconv.Itoa(p))); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
			fmt.Println(p)
			continue
		}
		a, err := pw.Add(crashPage(p), []byte(strconv.Itoa(p)))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if a.Inserted+a.Updated+a.Unchanged+a.Deleted+a.Moved > 0 { // committed up to page p
			fmt.Println(p)
		}
	}
}

// TestKillAtAnyMomentLeavesConsistentState kills a writing process (SIGKILL)
// while it commits pages, several times over the same file, and checks after
// each kill that the file holds exactly the pages up to its cursor.
func TestKillAtAnyMomentLeavesConsistentState(t *testing.T) {
	t.Run("ApplyPage", func(t *testing.T) { killRounds(t, "") })
	t.Run("PageWriter", func(t *testing.T) { killRounds(t, "1") })
}

// killRounds runs the kill test; batch sets crashBatchEnv in the child.
func killRounds(t *testing.T, batch string) {
	path := filepath.Join(t.TempDir(), "state.db")
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill delay seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	pages := 0
	for round := range 10 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+path, crashBatchEnv+"="+batch)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the child has committed a page, then kill it after a
		// random delay: the delay does not synchronise anything, it only
		// spreads the kill over every point of the following transactions.
		lines := bufio.NewScanner(out)
		if !lines.Scan() {
			t.Fatalf("round %d: child committed nothing; stderr: %s", round, stderr.String())
		}
		time.Sleep(time.Duration(r.IntN(40_000)) * time.Microsecond)
		_ = cmd.Process.Kill()
		last, _ := strconv.Atoi(lines.Text())
		for lines.Scan() { // pages the child reported before it died
			last, _ = strconv.Atoi(lines.Text())
		}
		_ = cmd.Wait()

		db, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		n := cursorPage(t, db)
		if n < last {
			t.Fatalf("round %d: cursor is page %d but the child reported page %d committed", round, n, last)
		}
		checkState(t, db, crashModel(n))
		must(t, db.Close())
		pages = n
	}
	t.Logf("%d pages committed over 10 kills", pages)
}

// TestRestartBetweenPages: page 1 is committed, the process stops before
// page 2; after reopening, the cursor is page 1's, state holds page 1 only,
// and re-reading page 1 (as a resumed pull may) changes nothing.
func TestRestartBetweenPages(t *testing.T) {
	db, path := openTemp(t)
	page1, page2 := crashPage(1), crashPage(2)
	apply(t, db, "deals", page1, "1")
	must(t, db.Close())

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := cursorPage(t, db); n != 1 {
		t.Fatalf("cursor after restart = page %d, want 1", n)
	}
	checkState(t, db, crashModel(1))
	apply(t, db, "deals", page1, "1")
	checkState(t, db, crashModel(1))
	apply(t, db, "deals", page2, "2")
	checkState(t, db, crashModel(2))
}
