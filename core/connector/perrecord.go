package connector

import (
	"context"
	"sync"
)

// Outcome is what writing one record did, for connectors whose CRM updates
// one record per call (see WriteEach).
type Outcome int

// The outcomes of one record's write, one per WriteResult bucket.
const (
	OutcomeAccepted Outcome = iota
	OutcomeNotFound
	OutcomeRejected
	OutcomeRetryLater
)

// WriteEach writes updates one call per record over at most sessions
// concurrent workers, for CRMs that update one record per call (vtenext's
// revise, hundreds of milliseconds each). Pacing stays with the
// connector's shared HTTP client, which all workers go through; WriteEach
// only bounds concurrency and gathers the outcomes into one WriteResult
// with Calls = the writes made. write returns the record's outcome and,
// for Rejected and RetryLater, the reason. The first error stops new
// writes and cancels the context of those in flight (a write cut short
// is not in the result, so the next run writes it again); the error is
// returned with the result of every record that completed, so core
// commits what landed.
func WriteEach(parent context.Context, ups []Update, sessions int,
	write func(ctx context.Context, u Update) (Outcome, string, error)) (WriteResult, error) {
	sessions = max(1, min(sessions, len(ups)))
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var (
		mu       sync.Mutex
		res      WriteResult
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan Update)
	for range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range next {
				if ctx.Err() != nil {
					// Stopped while this one was handed over: the feeder's
					// select may still pick the send after cancel.
					continue
				}
				outcome, why, err := write(ctx, u)
				mu.Lock()
				res.Calls++
				if err != nil {
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				res.add(u.Key, outcome, why)
				mu.Unlock()
			}
		}()
	}
feed:
	for _, u := range ups {
		select {
		case next <- u:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = parent.Err() // cancelled by the caller mid-way
	}
	return res, firstErr
}

func (r *WriteResult) add(k CustomerKey, o Outcome, why string) {
	switch o {
	case OutcomeAccepted:
		r.Accepted = append(r.Accepted, k)
	case OutcomeNotFound:
		r.NotFound = append(r.NotFound, k)
	case OutcomeRejected:
		if r.Rejected == nil {
			r.Rejected = map[CustomerKey]string{}
		}
		r.Rejected[k] = why
	case OutcomeRetryLater:
		if r.RetryLater == nil {
			r.RetryLater = map[CustomerKey]string{}
		}
		r.RetryLater[k] = why
	}
}
