package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
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
	board, err := newBoard(cfg, log)
	if err != nil {
		return err
	}
	s, err := openSyncerObserved(cfg, log, board.Metrics().ObserveCall)
	if err != nil {
		return err
	}
	defer s.Close()
	board.SetHistory(s.db.History)
	board.SetStateCheck(s.db.Ping)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &daemon{syncer: s, board: board, log: log}
	return d.serve(ctx, cfg.Schedule.Cron, cfg.Location(), cfg.Listen, *now)
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
			run.Error = err.Error()
		}
		d.observeQuota()
	}))
}

// serve schedules the job and serves the status page until ctx ends, then
// waits for a running sync to finish or abandon its batch cleanly.
func (d *daemon) serve(ctx context.Context, spec string, loc *time.Location, listen string, now bool) error {
	c := cron.New(cron.WithLocation(loc), cron.WithLogger(cronLogger{d.log}))
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
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
			d.board.SetNext(c.Entry(id).Next)
			d.observeQuota()
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

// dailyQuota is implemented by connectors that count today's calls
// against a daily budget.
type dailyQuota interface {
	DailyQuota() (used, limit int64)
}

// observeQuota copies the connector's quota figures into the metrics.
func (d *daemon) observeQuota() {
	used, limit, remaining := int64(0), int64(0), int64(-1)
	if q, ok := d.conn.(dailyQuota); ok {
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
