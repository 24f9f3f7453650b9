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
	"sync"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rfmsync/rfmsync/core/status"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

func init() {
	commands["run"] = command{summary: "run as a daemon: sync on the cron schedule, serve the status page", run: runDaemon}
}

func runDaemon(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "--config FILE [--now]", stdout, stderr)
	load := configFlag(fs, "config file (required)")
	now := fs.Bool("now", false, "also run one sync right away")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	log := newLogger(stderr)
	s, err := openSyncer(cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &daemon{syncer: s, board: status.NewBoard(), log: log}
	return d.serve(ctx, cfg.Schedule.Cron, cfg.Location(), cfg.Listen, *now)
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

// cronLogger adapts slog to cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
