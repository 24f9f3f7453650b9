package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/rfmsync/rfmsync/core/callobs"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/status"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// syncer is what once, run and demo share: a validated config, its state
// file and its connector.
type syncer struct {
	cfg  *config.Config
	db   *state.DB
	conn connector.Connector
	log  *slog.Logger
	now  func() time.Time
}

// openSyncer validates everything before touching a CRM: config first (exit
// 2), then the state lock, then the connector's own options.
func openSyncer(cfg *config.Config, log *slog.Logger) (*syncer, error) {
	return openSyncerObserved(cfg, log, nil)
}

// openSyncerObserved is openSyncer with an observer of every CRM call (the
// daemon's metrics).
func openSyncerObserved(cfg *config.Config, log *slog.Logger, obs callobs.Observer) (*syncer, error) {
	if cfg.Connector() == nil {
		return nil, usagef("config: crm.type: no connector configured (registered: %v)", connector.Names())
	}
	db, err := state.Open(cfg.State.Path, state.Options{LockTimeout: cfg.State.LockTimeout,
		Notice: func(msg string) { log.Warn(msg) }})
	if err != nil {
		return nil, err
	}
	conn, err := buildConnector(cfg, log, obs, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &syncer{cfg: cfg, db: db, conn: conn, log: log, now: time.Now}, nil
}

// newConnector builds the configured connector for a command that holds
// no state (check, fields ensure): no saved token, no login breaker.
func newConnector(cfg *config.Config, log *slog.Logger) (connector.Connector, error) {
	return buildConnector(cfg, log, nil, nil)
}

// buildConnector builds the connector with every CRM call watched (logged
// at debug with a request id, and handed to obs when set) and, with db,
// rotated refresh tokens and refused logins kept in the state file.
func buildConnector(cfg *config.Config, log *slog.Logger, obs callobs.Observer, db *state.DB) (connector.Connector, error) {
	opts := cfg.Connector()
	if opts == nil {
		return nil, usagef("config: crm.type: no connector configured (registered: %v)", connector.Names())
	}
	name := cfg.CRM.Type
	env := connector.Env{Logger: log,
		Fields: syncloop.FieldSpecs(cfg.FieldMap(), cfg.Params(), cfg.RFM.WindowDays, inactive(cfg)),
		WrapTransport: func(base http.RoundTripper, kind func(*http.Request) string) http.RoundTripper {
			return callobs.Transport(base, name, kind, obs, log)
		}}
	if db != nil {
		env.Tokens, env.Breaker = db, db
	}
	conn, err := opts.New(env)
	if err != nil {
		return nil, fmt.Errorf("%s connector: %w", cfg.CRM.Type, err)
	}
	return conn, nil
}

func (s *syncer) Close() error {
	err := s.conn.Close()
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	return err
}

func inactive(cfg *config.Config) syncloop.Inactive {
	in := cfg.Inactive()
	return syncloop.Inactive{Label: in.Mode == config.InactiveLabel, Segment: in.Segment}
}

// options builds one run's options from the config.
func (s *syncer) options(asof time.Time, dry bool) syncloop.Options {
	pull, score := s.cfg.Fingerprints()
	return syncloop.Options{
		Connector: s.conn, State: s.db, Params: s.cfg.Params(), WindowDays: s.cfg.RFM.WindowDays,
		Fields: s.cfg.FieldMap(), Inactive: inactive(s.cfg),
		PullFingerprint: pull, ScoreFingerprint: score,
		AsOf: asof, DryRun: dry, Now: s.now, Logger: s.log,
		Recalibrate: map[rfm.Metric]time.Duration{
			rfm.Recency:   s.cfg.RFM.Recency.RecalibrateEvery,
			rfm.Frequency: s.cfg.RFM.Frequency.RecalibrateEvery,
			rfm.Monetary:  s.cfg.RFM.Monetary.RecalibrateEvery,
		},
		Predict: predictOptions(s.cfg),
	}
}

// once runs one sync, logs one summary line with its figures and, for a
// real run, appends it to the state file's run history, also when it
// fails before scoring or panics.
func (s *syncer) once(ctx context.Context, asof time.Time, dry bool) (rep *syncloop.Report, err error) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			s.remember(start, rep, dry, fmt.Errorf("panic: %v", p))
			panic(p)
		}
	}()
	rep, err = syncloop.Run(ctx, s.options(asof, dry))
	if err != nil {
		err = fmt.Errorf("sync: %w", err)
	}
	s.remember(start, rep, dry, err)
	return rep, err
}

// remember logs the run's summary line and records it in the history.
func (s *syncer) remember(start time.Time, rep *syncloop.Report, dry bool, err error) {
	rec := status.RecordOf(start, time.Now(), rep, err)
	attrs := []any{"result", rec.Result, "dry_run", dry, "duration_seconds", rec.DurationSeconds,
		"asof", rec.AsOf, "pulled", sum(rec.Pulled), "skipped", sum(rec.Skipped), "scored", rec.Scored,
		"moves", rec.Moves, "changed", rec.Changed, "written", rec.Written, "rejected", rec.Rejected,
		"not_found", rec.NotFound, "deferred", rec.Deferred, "api_calls", sum(rec.APICalls)}
	if err != nil {
		s.log.Error("sync failed", append(attrs, "error_class", rec.ErrorClass, "err", err)...)
	} else {
		s.log.Info("sync finished", attrs...)
	}
	if dry {
		return
	}
	if herr := s.db.AppendRun(rec, s.cfg.Status.HistoryRuns); herr != nil {
		s.log.Warn("run history not saved", "err", herr)
	}
}

func sum[V int | int64](m map[string]V) V {
	var n V
	for _, v := range m {
		n += v
	}
	return n
}
