package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
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
	if cfg.Connector() == nil {
		return nil, usagef("config: crm.type: no connector configured (registered: %v)", connector.Names())
	}
	db, err := state.Open(cfg.State.Path, state.Options{LockTimeout: cfg.State.LockTimeout})
	if err != nil {
		return nil, err
	}
	conn, err := newConnector(cfg, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &syncer{cfg: cfg, db: db, conn: conn, log: log, now: time.Now}, nil
}

// newConnector builds the configured connector.
func newConnector(cfg *config.Config, log *slog.Logger) (connector.Connector, error) {
	opts := cfg.Connector()
	if opts == nil {
		return nil, usagef("config: crm.type: no connector configured (registered: %v)", connector.Names())
	}
	conn, err := opts.New(connector.Env{Logger: log,
		Fields: syncloop.FieldSpecs(cfg.FieldMap(), cfg.Params(), cfg.RFM.WindowDays, inactive(cfg))})
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
	}
}

// once runs one sync and logs its outcome.
func (s *syncer) once(ctx context.Context, asof time.Time, dry bool) (*syncloop.Report, error) {
	start := time.Now()
	rep, err := syncloop.Run(ctx, s.options(asof, dry))
	attrs := []any{"duration", time.Since(start).Round(time.Millisecond), "scored", rep.Scored,
		"written", rep.Written, "rejected", rep.Rejected, "api_calls", rep.TotalCalls()}
	if err != nil {
		s.log.Error("sync failed", append(attrs, "err", err)...)
		return rep, fmt.Errorf("sync: %w", err)
	}
	s.log.Info("sync finished", attrs...)
	return rep, nil
}
