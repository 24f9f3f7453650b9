package fakekit

import (
	"context"
	"sync"
	"time"
)

// Faults holds the faults, stalls, delays and request hooks injected into a
// fake. F is the fake's own fault description (status, body shape, …); the
// kit only decides which request gets which one.
type Faults[F any] struct {
	mu     sync.Mutex
	queues map[Route][]*queued[F]
	at     map[Route]map[int]F
	stalls map[Route][]*stall
	delays map[Route]time.Duration
	hooks  map[Route]func(n int)
	all    []*stall
}

type queued[F any] struct {
	f F
	n int
}

// stall holds requests until released.
type stall struct {
	n       int
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func (st *stall) open() { st.once.Do(func() { close(st.release) }) }

func (q *Faults[F]) initLocked() {
	if q.queues == nil {
		q.queues = map[Route][]*queued[F]{}
		q.at = map[Route]map[int]F{}
		q.stalls = map[Route][]*stall{}
		q.delays = map[Route]time.Duration{}
		q.hooks = map[Route]func(int){}
	}
}

// Inject makes the next n requests of route (AnyRoute: of any route) answer
// with f. Route-specific faults are served before AnyRoute ones; queued
// faults of one route are served in order.
func (q *Faults[F]) Inject(route Route, n int, f F) {
	if n <= 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.initLocked()
	q.queues[route] = append(q.queues[route], &queued[F]{f: f, n: n})
}

// InjectAt makes the route's call number call (1-based, as CallLog.Start
// counts them; AnyRoute: the total count) answer with f. Faults at an index
// win over queued ones.
func (q *Faults[F]) InjectAt(route Route, call int, f F) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.initLocked()
	if q.at[route] == nil {
		q.at[route] = map[int]F{}
	}
	q.at[route][call] = f
}

// Take pops the fault for a request of route that is the route's n-th call
// and the total-th call overall: a fault at that index first, then the
// route's queue, then AnyRoute's.
func (q *Faults[F]) Take(route Route, n, total int) (F, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.initLocked()
	if f, ok := q.at[route][n]; ok {
		delete(q.at[route], n)
		return f, true
	}
	if f, ok := q.at[AnyRoute][total]; ok {
		delete(q.at[AnyRoute], total)
		return f, true
	}
	for _, r := range []Route{route, AnyRoute} {
		qu := q.queues[r]
		if len(qu) == 0 {
			continue
		}
		f := qu[0].f
		qu[0].n--
		if qu[0].n <= 0 {
			q.queues[r] = qu[1:]
		}
		return f, true
	}
	var zero F
	return zero, false
}

// Pending counts the faults still queued or placed at an index.
func (q *Faults[F]) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, qu := range q.queues {
		for _, e := range qu {
			n += e.n
		}
	}
	for _, m := range q.at {
		n += len(m)
	}
	return n
}

// Stall holds the next n requests of route (AnyRoute: any) after they
// arrive, until release is called or the client gives up. arrived receives
// once per held request, so a test knows a call is in flight. Nothing
// sleeps.
func (q *Faults[F]) Stall(route Route, n int) (arrived <-chan struct{}, release func()) {
	st := &stall{n: n, arrived: make(chan struct{}, max(n, 0)), release: make(chan struct{})}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.initLocked()
	q.stalls[route] = append(q.stalls[route], st)
	q.all = append(q.all, st)
	return st.arrived, st.open
}

// SetDelay makes every request of route (AnyRoute: any) take at least d of
// real time before it is handled; 0 removes the delay. For client-timeout
// tests that need wall-clock time; prefer Stall otherwise.
func (q *Faults[F]) SetDelay(route Route, d time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.initLocked()
	if d <= 0 {
		delete(q.delays, route)
		return
	}
	q.delays[route] = d
}

// OnRequest registers fn to run when a request of route arrives, before it
// is handled, with the route's 1-based call count (AnyRoute: every request,
// with the total count). nil removes it.
func (q *Faults[F]) OnRequest(route Route, fn func(n int)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.initLocked()
	if fn == nil {
		delete(q.hooks, route)
		return
	}
	q.hooks[route] = fn
}

// RunHooks runs the route's hook with n and AnyRoute's with total, outside
// the lock so that hooks may call back into the fake.
func (q *Faults[F]) RunHooks(route Route, n, total int) {
	q.mu.Lock()
	q.initLocked()
	fn, anyFn := q.hooks[route], q.hooks[AnyRoute]
	q.mu.Unlock()
	if fn != nil {
		fn(n)
	}
	if anyFn != nil {
		anyFn(total)
	}
}

// Hold applies the route's stall and delay (falling back to AnyRoute's);
// false means ctx ended first (the client went away).
func (q *Faults[F]) Hold(ctx context.Context, route Route) bool {
	q.mu.Lock()
	q.initLocked()
	st := takeStall(q.stalls, route)
	if st == nil {
		st = takeStall(q.stalls, AnyRoute)
	}
	d, ok := q.delays[route]
	if !ok {
		d = q.delays[AnyRoute]
	}
	q.mu.Unlock()
	if st != nil {
		st.arrived <- struct{}{}
		select {
		case <-st.release:
		case <-ctx.Done():
			return false
		}
	}
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

func takeStall(m map[Route][]*stall, route Route) *stall {
	q := m[route]
	for len(q) > 0 && q[0].n <= 0 {
		q = q[1:]
	}
	m[route] = q
	if len(q) == 0 {
		return nil
	}
	q[0].n--
	return q[0]
}

// ReleaseAll opens every stall, so closing a fake never hangs on a held
// request.
func (q *Faults[F]) ReleaseAll() {
	q.mu.Lock()
	all := q.all
	q.all = nil
	q.mu.Unlock()
	for _, st := range all {
		st.open()
	}
}

// Clear releases stalled requests and drops every pending fault, stall,
// delay and hook.
func (q *Faults[F]) Clear() {
	q.ReleaseAll()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queues = nil
	q.initLocked()
}
