package connector

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func updates(n int) []Update {
	out := make([]Update, n)
	for i := range out {
		out[i] = Update{Key: CustomerKey{Type: "Accounts", ID: strconv.Itoa(i)}, Fields: map[string]string{"cf_1": "x"}}
	}
	return out
}

func TestWriteEachBoundsSessionsAndBucketsOutcomes(t *testing.T) {
	var inFlight, peak atomic.Int32
	// A barrier makes the first two writes overlap, so a bound of 1 would
	// deadlock and a missing bound would show in peak.
	var barrier sync.WaitGroup
	barrier.Add(2)
	var first atomic.Int32
	res, err := WriteEach(context.Background(), updates(40), 2, func(_ context.Context, u Update) (Outcome, string, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if first.Add(1) <= 2 {
			barrier.Done()
			barrier.Wait()
		}
		id, _ := strconv.Atoi(u.Key.ID)
		switch id % 4 {
		case 1:
			return OutcomeNotFound, "", nil
		case 2:
			return OutcomeRejected, "INVALID", nil
		case 3:
			return OutcomeRetryLater, "locked", nil
		}
		return OutcomeAccepted, "", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if peak.Load() != 2 {
		t.Errorf("peak concurrency %d, want exactly the 2 sessions", peak.Load())
	}
	if res.Calls != 40 || len(res.Accepted) != 10 || len(res.NotFound) != 10 || len(res.Rejected) != 10 || len(res.RetryLater) != 10 {
		t.Errorf("result: calls %d, accepted %d, not found %d, rejected %d, retry later %d",
			res.Calls, len(res.Accepted), len(res.NotFound), len(res.Rejected), len(res.RetryLater))
	}
}

func TestWriteEachStopsOnErrorAndKeepsWhatLanded(t *testing.T) {
	boom := errors.New("permission denied")
	res, err := WriteEach(context.Background(), updates(100), 1, func(_ context.Context, u Update) (Outcome, string, error) {
		if u.Key.ID == "5" {
			return 0, "", boom
		}
		return OutcomeAccepted, "", nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the write's error", err)
	}
	if len(res.Accepted) != 5 || res.Calls != 6 {
		t.Errorf("accepted %d in %d calls, want the 5 before the error in 6 calls", len(res.Accepted), res.Calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res, err = WriteEach(ctx, updates(10), 1, func(_ context.Context, u Update) (Outcome, string, error) {
		if u.Key.ID == "2" {
			cancel()
		}
		return OutcomeAccepted, "", nil
	})
	if !errors.Is(err, context.Canceled) || len(res.Accepted) < 3 || len(res.Accepted) > 4 {
		t.Errorf("cancelled mid-way: %v, accepted %d", err, len(res.Accepted))
	}
}
