// Package syncloop is one sync run: pull pages into state, score, diff
// against what the CRM last accepted, write the changes in batches and commit
// what was accepted. It knows no CRM: a connector reads and writes for it.
package syncloop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
)

// Options configure one run.
type Options struct {
	Connector connector.Connector
	State     *state.DB
	Params    rfm.Params
	// WindowDays is the look-back window (default 730).
	WindowDays int
	// Fields maps output names (see core/outputs) to CRM field names.
	Fields   outputs.FieldMap
	Inactive Inactive
	// PullFingerprint and ScoreFingerprint identify the config that shapes
	// what is pulled and what is written; a change forces a re-pull or a full write.
	PullFingerprint  string
	ScoreFingerprint string
	// AsOf pins the run's reference instant; zero means now.
	AsOf time.Time
	// DryRun pulls and scores but writes nothing to the CRM and commits no
	// published values, so the plan it reports is what a real run would do.
	DryRun bool
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
	// SampleSize is how many record ids the plan shows per category (default 5).
	SampleSize int
	// Recalibrate gives, per threshold metric, how often its cuts are
	// recomputed from the data (0 = use the configured cuts).
	Recalibrate map[rfm.Metric]time.Duration
	// Predict adds the predictive outputs and the holdout (predict.go).
	Predict PredictOptions
}

// Meta keys of the run's own bookkeeping.
const (
	metaQuotaResetAt = "quota.reset_at"
	metaInflightAsOf = "run.inflight_asof"
)

// run carries one run's state.
type run struct {
	Options
	conn connector.Connector
	db   *state.DB
	now  time.Time
	asof rfm.Instant
	rep  *Report
	log  *slog.Logger
	// kinds caches field name → kind per customer type.
	kinds map[string]map[string]outputs.Kind
	// slots caches the mapped outputs per type, predBuf is the diff's
	// reused map of prediction values (unchanged.go).
	slots         map[string]*typeSlots
	lastSlotsType string
	lastSlots     *typeSlots
	predBuf       map[string]string
	dates         dateCache
	changedAt     rfm.Instant
	changedAtText string
	// insightDone is closed when the report's insight is filled in.
	insightDone chan struct{}
	// currency caches each source's pinned currency (kept in state).
	currency map[string]string
	// pred is the run's predictions and holdout chooser (predict.go).
	pred predicting
}

// Run performs one sync and returns its report. The report is filled as far
// as the run got, also when it returns an error.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.WindowDays <= 0 {
		o.WindowDays = 730
	}
	if o.SampleSize <= 0 {
		o.SampleSize = 5
	}
	o.Predict = o.Predict.withDefaults()
	r := &run{Options: o, conn: o.Connector, db: o.State, now: o.Now(), log: o.Logger}
	r.rep = newReport(o.DryRun)
	calls0 := callsOf(r.conn)
	defer func() { r.rep.APICalls = diffCalls(callsOf(r.conn), calls0) }()

	if err := r.checkQuotaPause(); err != nil {
		return r.rep, err
	}
	if err := r.fixAsOf(); err != nil {
		return r.rep, err
	}
	if err := r.steps(ctx); err != nil {
		// The run stays in flight: the next one resumes it with this asof,
		// so the CRM ends as if this run had never stopped.
		r.noteStop(err)
		return r.rep, err
	}
	if !r.DryRun {
		if err := r.db.SetMeta(metaInflightAsOf, nil); err != nil {
			return r.rep, err
		}
		// A run that got through logged in: a breaker left by earlier,
		// since-changed credentials no longer applies.
		if err := r.db.ResetBreaker(); err != nil {
			return r.rep, err
		}
	}
	return r.rep, nil
}

// Interrupted reports the asof of a run that was killed, cancelled or
// failed before it finished: the next run resumes it, so the daemon runs one
// at start instead of waiting for the next tick.
func Interrupted(db *state.DB) (time.Time, bool) {
	b, err := db.Meta(metaInflightAsOf)
	if err != nil || len(b) == 0 {
		return time.Time{}, false
	}
	i, err := rfm.ParseInstant(string(b))
	if err != nil {
		return time.Time{}, false
	}
	return i.Time(), true
}

func (r *run) steps(ctx context.Context) error {
	defer r.waitInsight()
	if err := r.checkPullFingerprint(); err != nil {
		return err
	}
	ph, clock := &r.rep.phases, startClock()
	for _, source := range r.conn.Sources() {
		cursor, err := r.db.Cursor(source)
		if err != nil {
			return err
		}
		if err := r.pull(ctx, source); err != nil {
			return err
		}
		if cursor == nil {
			// A pull from scratch just read every live record with its
			// current associations: the periodic scans have nothing to find.
			if err := r.markScansDone(source); err != nil {
				return err
			}
		}
		if err := r.deletionScan(ctx, source); err != nil {
			return err
		}
		if err := r.reread(ctx, source); err != nil {
			return err
		}
	}
	if err := r.repair(ctx); err != nil {
		return err
	}
	clock.lap(&ph.apply, &ph.cpu[0])
	scored, err := r.score()
	if err != nil {
		return err
	}
	r.predict(scored)
	clock.lap(&ph.score, &ph.cpu[1])
	forceAll, err := r.scoreFingerprintChanged()
	if err != nil {
		return err
	}
	plan, err := r.plan(scored, forceAll)
	r.startInsight(scored.scores)
	if err != nil {
		return err
	}
	clock.lap(&ph.plan, &ph.cpu[2])
	if r.DryRun {
		return nil
	}
	if err := r.write(ctx, plan); err != nil {
		return err
	}
	clock.lap(&ph.commit, &ph.cpu[3])
	r.measureLift()
	if forceAll {
		return r.db.SetFingerprint(state.FingerprintScore, r.ScoreFingerprint)
	}
	return nil
}

// waitInsight waits for the insight that score started, if it did.
func (r *run) waitInsight() {
	if r.insightDone != nil {
		<-r.insightDone
	}
}

// fixAsOf fixes the run's one asof. An unfinished run's asof is reused,
// however long ago it was, so the restart writes exactly what the
// uninterrupted run would have (segment_changed_at included); the run after
// it uses its own time again.
func (r *run) fixAsOf() error {
	if !r.AsOf.IsZero() {
		r.asof = rfm.InstantOf(r.AsOf)
	} else {
		r.asof = rfm.InstantOf(r.now)
		if prev, ok := Interrupted(r.db); ok && !prev.After(r.now) {
			r.asof = rfm.InstantOf(prev)
			r.rep.Resumed = true
		}
	}
	r.rep.AsOf = r.asof
	if r.DryRun {
		return nil
	}
	return r.db.SetMeta(metaInflightAsOf, []byte(r.asof.String()))
}

func (r *run) checkPullFingerprint() error {
	old, err := r.db.Fingerprint(state.FingerprintPull)
	if err != nil {
		return err
	}
	if old == r.PullFingerprint {
		return nil
	}
	held, err := r.db.Sources()
	if err != nil {
		return err
	}
	if old != "" {
		r.log.Info("what is pulled changed: re-pulling every source", "sources", held)
		r.rep.Repull = true
	}
	// Every source held or configured: a first pull killed before its first
	// commit holds no facts yet but may have pinned a currency.
	sources := slices.Clone(held)
	for _, s := range r.conn.Sources() {
		if !slices.Contains(sources, s) {
			sources = append(sources, s)
		}
	}
	for _, s := range sources {
		// The pins and positions go first: a kill after them leaves facts
		// that the next run, seeing the same changed fingerprint, resets.
		for _, k := range []string{metaCurrency, metaDeletionScanAt, metaRereadAt} {
			if err := r.db.SetMeta(k+s, nil); err != nil {
				return err
			}
		}
		if slices.Contains(held, s) {
			if err := r.db.ResetSource(s); err != nil {
				return err
			}
		}
	}
	return r.db.SetFingerprint(state.FingerprintPull, r.PullFingerprint)
}

func (r *run) scoreFingerprintChanged() (bool, error) {
	old, err := r.db.Fingerprint(state.FingerprintScore)
	if err != nil {
		return false, err
	}
	changed := old != r.ScoreFingerprint
	if changed && old != "" {
		r.rep.FullRewrite = true
	}
	return changed, nil
}

// checkQuotaPause skips the run while a daily quota is exhausted.
func (r *run) checkQuotaPause() error {
	b, err := r.db.Meta(metaQuotaResetAt)
	if err != nil || len(b) == 0 {
		return err
	}
	reset, err := time.Parse(time.RFC3339, string(b))
	if err != nil || !crmerr.ValidPause(reset, r.now) { // over, or beyond any CRM's daily reset
		return r.db.SetMeta(metaQuotaResetAt, nil)
	}
	r.rep.Stopped = fmt.Sprintf("CRM quota exhausted; the run resumes after %s", reset.UTC().Format(time.RFC3339))
	return &crmerr.Error{Class: crmerr.QuotaExhausted, Message: "daily quota exhausted earlier", ResetAt: reset}
}

// noteStop records why a run stopped, and remembers a quota reset time.
func (r *run) noteStop(err error) {
	if errors.Is(err, context.Canceled) {
		r.rep.Stopped = "cancelled; committed work is kept and the next run resumes"
		return
	}
	e, ok := crmerr.As(err)
	if !ok {
		r.rep.Stopped = crmhttp.RedactString(err.Error())
		return
	}
	switch e.Class {
	case crmerr.QuotaExhausted:
		// Only a daily-limit answer the connector's contract names pauses
		// later runs, never a Retry-After, and never beyond MaxPause.
		reset, ok := crmerr.PauseUntil(err, r.now)
		if !ok {
			r.rep.Stopped = err.Error()
			break
		}
		if !r.DryRun {
			_ = r.db.SetMeta(metaQuotaResetAt, []byte(reset.UTC().Format(time.RFC3339)))
		}
		r.rep.Stopped = fmt.Sprintf("CRM quota exhausted; committed work is kept and the run resumes after %s", reset.UTC().Format(time.RFC3339))
	case crmerr.Auth:
		r.rep.Stopped = "CRM rejected the credentials: check the token or app configuration"
	case crmerr.AuthRefreshDead:
		r.rep.Stopped = "the OAuth refresh token is no longer valid: re-authorise the app and update the refresh token"
	case crmerr.LoginBlocked:
		r.rep.Stopped = "login blocked: the CRM refused these credentials earlier (" + e.Message +
			"); rfmsync will not log in again until the credentials in the config change"
	default:
		r.rep.Stopped = crmhttp.RedactString(err.Error())
	}
}

func callsOf(c connector.Connector) map[string]int64 {
	if cc, ok := c.(connector.CallCounter); ok {
		return cc.Calls()
	}
	return nil
}

func diffCalls(now, before map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range now {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}
