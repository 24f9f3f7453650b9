package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/status"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

func init() {
	commands["run"] = command{summary: "run as a daemon: sync on the cron schedule, serve the status page", run: runDaemon}
}

func runDaemon(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "--config FILE [--now] [--log-format text|json] [--log-level LEVEL]", stdout, stderr)
	load := configFlag(fs, "config file (required)")
	now := fs.Bool("now", false, "also run one sync right away")
	lf := addLogFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	log, err := lf.logger(cfg, stderr)
	if err != nil {
		return err
	}
	d, err := newDaemon(cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return d.serve(ctx, cfg.Schedule.Cron, cfg.Location(), cfg.Listen, *now)
}

// newDaemon wires the board (metrics, access, readiness, history) to the
// syncer, whose connector reports every CRM call to the metrics.
func newDaemon(cfg *config.Config, log *slog.Logger) (*daemon, error) {
	board, err := newBoard(cfg, log)
	if err != nil {
		return nil, err
	}
	s, err := openSyncerObserved(cfg, log, board.Metrics().ObserveCall)
	if err != nil {
		return nil, err
	}
	board.SetHistory(s.db.History)
	board.SetStateCheck(s.db.Ping)
	// The call kinds earlier runs used get their counters at start-up too.
	if runs, err := s.db.History(0); err == nil {
		kinds := map[string]bool{}
		for _, r := range runs {
			for k := range r.APICalls {
				kinds[k] = true
			}
		}
		board.Metrics().DeclareCalls(cfg.CRM.Type, slices.Sorted(maps.Keys(kinds)))
	}
	if cfg.Status.ShowRecordIDs && cfg.Status.TokenFile != "" {
		board.SetCustomerLookup(customerLookup(s.db, cfg))
	}
	return &daemon{syncer: s, board: board, log: log}, nil
}

// newBoard builds the status board of cfg: metrics naming the build and
// connector, every configured segment declared, the access policy, and a
// warning when the page is reachable from outside without a token.
func newBoard(cfg *config.Config, log *slog.Logger) (*status.Board, error) {
	b := status.NewBoard()
	m := status.NewMetrics(version, cfg.CRM.Type)
	m.DeclareSegments(segmentIDs(cfg))
	b.SetMetrics(m)
	b.SetMaxFailures(cfg.Status.UnreadyAfterFailures)
	a := status.Access{ShowRecordIDs: cfg.Status.ShowRecordIDs}
	if cfg.Status.TokenFile != "" {
		tok, err := readToken(cfg.Status.TokenFile)
		if err != nil {
			return nil, err
		}
		a.Token = tok
	}
	b.SetAccess(a)
	if cfg.Listen != "" && a.Token == "" && !loopback(cfg.Listen) {
		log.Warn("the status page listens beyond loopback without a token: anyone who reaches it sees segment figures and metrics; set status.token_file",
			"listen", cfg.Listen)
	}
	return b, nil
}

// segmentIDs lists every segment a run can report, for metrics at start-up.
func segmentIDs(cfg *config.Config) []string {
	var ids []string
	for _, r := range cfg.Params().Segments.Rules() {
		ids = append(ids, r.ID)
	}
	if p := cfg.Params(); p.NewCustomerDays > 0 {
		ids = append(ids, p.NewSegment.ID)
	}
	if in := cfg.Inactive(); in.Mode == config.InactiveLabel {
		ids = append(ids, in.Segment.ID)
	}
	return ids
}

// readToken reads a bearer token file; an empty one is a config error,
// since it would silently turn the protection off.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usagef("config: status.token_file: %v", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return "", usagef("config: status.token_file: %s must hold one token on one line", path)
	}
	return tok, nil
}

// loopback reports whether a listen address only accepts local connections.
func loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// daemon runs syncs on a schedule, never two at once, and survives a
// panicking run.
type daemon struct {
	*syncer
	board *status.Board
	log   *slog.Logger

	// retryBase is the first wait before a run that failed on transient
	// errors (a CRM down, 5xx beyond the retry budget) is tried again;
	// each further failure doubles it, up to retryMax. 0 means a minute.
	retryBase time.Duration
	// retry carries the next wait to the serve loop (buffered, one slot).
	retry    chan time.Duration
	failures int // consecutive transient failures, touched by the job only
	// started counts runs that began (not skipped), so a retry that met a
	// run still finishing can tell it was skipped and come again.
	started atomic.Int64
	// ran, when set, receives each finished run's error (tests wait on it).
	ran chan<- error
}

// retryMax caps the wait between retries of a failing run: a CRM down for
// an hour is tried twice an hour, not hammered, and a daily schedule still
// catches up the same day.
const retryMax = 30 * time.Minute

// afterRun reacts to a run's outcome: a transient failure asks the serve
// loop to run again after a growing backoff instead of waiting for the next
// tick; a refused login pauses syncs (readiness, metrics) until the
// credentials change; a success clears both.
func (d *daemon) afterRun(err error) {
	switch {
	case err == nil:
		d.failures = 0
		d.board.SetPaused("")
		d.retryAfter(0) // a retry still pending is no longer needed
		return
	case d.loginRefused(err):
		d.failures = 0
		d.board.SetPaused(pausedReason)
		return
	case !crmerr.ClassOf(err).RetryRunSoon():
		d.failures = 0
		return
	}
	d.failures++
	wait := d.retryWait(d.failures)
	d.log.Warn("sync failed on transient errors: trying again before the next tick", "in", wait, "attempt", d.failures)
	d.retryAfter(wait)
}

// retryWait is the backoff before retry number n (from 1): the base,
// doubling, at most retryMax.
func (d *daemon) retryWait(n int) time.Duration {
	base := d.retryBase
	if base <= 0 {
		base = time.Minute
	}
	return min(base<<min(n-1, 10), retryMax)
}

// pausedReason is what readiness says while the login breaker is open: a
// fixed text, since /readyz is served without the token and the CRM's own
// message may name a user.
const pausedReason = "the CRM refused the login; fix the credentials in the config"

// loginRefused reports a run stopped by the login breaker, or by a refusal
// that just tripped it.
func (d *daemon) loginRefused(err error) bool {
	if errors.Is(err, crmerr.ErrLoginBlocked) {
		return true
	}
	if c := crmerr.ClassOf(err); c != crmerr.Auth && c != crmerr.AuthRefreshDead {
		return false
	}
	_, _, open, berr := d.db.Breaker()
	return berr == nil && open
}

// retryAfter asks the serve loop to run again after wait; 0 cancels a
// pending retry.
func (d *daemon) retryAfter(wait time.Duration) {
	if d.retry == nil {
		return
	}
	select {
	case d.retry <- wait:
	default: // the loop has not taken the last request yet
	}
}

// job is one scheduled sync, wrapped so a slow run skips the next tick
// instead of overlapping it and a panic is logged instead of fatal.
// Recover sits inside SkipIfStillRunning: cron v3.0.1's skip wrapper hands
// its token back only when the job returns, so a panic passing through it
// would skip every later tick.
func (d *daemon) job(ctx context.Context) cron.Job {
	l := cronLogger{d.log}
	return cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(cron.FuncJob(func() {
		if ctx.Err() != nil {
			return
		}
		d.started.Add(1)
		d.board.Started()
		run := status.Run{Started: time.Now()}
		defer func() {
			// Recorded even when the run panics, so the board never shows it running forever.
			run.Finished = time.Now()
			if p := recover(); p != nil {
				run.Error = fmt.Sprint("panic: ", p)
				d.board.Record(run)
				panic(p)
			}
			d.board.Record(run)
		}()
		rep, err := d.once(ctx, time.Time{}, false)
		run.Report = rep
		if err != nil {
			run.Error = crmhttp.RedactString(err.Error())
		}
		d.observeQuota()
		if ctx.Err() == nil {
			d.afterRun(err)
		}
		if d.ran != nil {
			d.ran <- err
		}
	}))
}

// serve schedules the job and serves the status page until ctx ends, then
// waits for a running sync to finish or abandon its batch cleanly.
func (d *daemon) serve(ctx context.Context, spec string, loc *time.Location, listen string, now bool) error {
	c := cron.New(cron.WithLocation(loc), cron.WithLogger(cronLogger{d.log}))
	d.retry = make(chan time.Duration, 1)
	if _, _, open, err := d.db.Breaker(); err == nil && open && !now {
		// A login refused by an earlier run: run once now rather than at
		// the next tick. With the same credentials it stops before any
		// login and readiness says so; with changed ones it logs in and
		// clears the breaker.
		d.log.Info("a login was refused earlier: checking the credentials now")
		now = true
	}
	job := d.job(ctx)
	id, err := c.AddJob(spec, job)
	if err != nil {
		return usagef("config: schedule.cron: %v", err)
	}
	var srv *http.Server
	if listen != "" {
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return fmt.Errorf("listen %s: %w", listen, err)
		}
		srv = &http.Server{Handler: d.board.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		d.log.Info("status page", "url", "http://"+ln.Addr().String()+"/")
	}
	c.Start()
	d.board.Readiness()
	d.observeQuota()
	d.board.SetNext(c.Entry(id).Next)
	d.log.Info("scheduled", "cron", spec, "timezone", loc.String(), "next", c.Entry(id).Next)
	if asof, ok := syncloop.Interrupted(d.db); ok && !now {
		// Finish an unfinished run now rather than at the next tick.
		d.log.Info("resuming an unfinished run", "asof", asof)
		now = true
	}
	// cron's Stop waits only for the jobs it started; the one started here
	// is waited for separately.
	var first sync.WaitGroup
	if now {
		first.Go(job.Run)
	}
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			d.board.SetNext(c.Entry(id).Next)
			d.board.Readiness() // keeps rfmsync_ready current between scrapes of /readyz
			d.observeQuota()
		case wait := <-d.retry:
			retry.Stop()
			if wait > 0 {
				retry.Reset(wait)
			}
		case <-retry.C:
			first.Go(func() {
				// The skip wrapper keeps a retry from overlapping a run; a
				// retry it skipped (a run still finishing) comes again.
				n := d.started.Load()
				job.Run()
				if d.started.Load() == n && ctx.Err() == nil {
					d.retryAfter(d.retryWait(1))
				}
			})
		}
	}
	d.log.Info("stopping: waiting for a running sync to finish its batch")
	<-c.Stop().Done()
	first.Wait()
	if srv != nil {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	d.log.Info("stopped")
	return nil
}

// observeQuota copies the connector's quota figures into the metrics.
func (d *daemon) observeQuota() {
	used, limit, remaining := int64(0), int64(0), int64(-1)
	if q, ok := d.conn.(connector.DailyBudget); ok {
		used, limit = q.DailyQuota()
	}
	if q, ok := d.conn.(connector.QuotaReporter); ok {
		if n, known := q.DailyRemaining(); known {
			remaining = n
		}
	}
	d.board.Metrics().SetQuota(used, limit, remaining)
}

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
