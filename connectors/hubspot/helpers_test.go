package hubspot

import (
	"bytes"
	"context"
	"github.com/rfmsync/rfmsync/core/outputs"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// newFake starts a fake HubSpot closed with the test.
func newFake(t testing.TB, o hubspottest.Options) *hubspottest.Server {
	t.Helper()
	s := hubspottest.New(o)
	t.Cleanup(s.Close)
	return s
}

// noLimits turns the fake's limits off, for measurements.
func noLimits(o hubspottest.Options) hubspottest.Options {
	o.BurstLimit, o.DailyLimit, o.SearchPerSecond, o.AssociationBurst = -1, -1, -1, -1
	return o
}

// fakeSleep advances the fake's clock instead of sleeping, so pacing and
// retry waits cost no real time and the fake's rate windows see them.
func fakeSleep(s *hubspottest.Server) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.Advance(d)
		return nil
	}
}

// logBuffer collects a connector's logs, to check they carry no secret.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// connectOpts builds options against url with a static token (unless the
// section says otherwise), on the fake's clock.
func connectOpts(t testing.TB, s *hubspottest.Server, url string, section map[string]any) *Options {
	t.Helper()
	base := map[string]any{"token": hubspottest.DefaultToken, "base_url": url, "object": "contacts"}
	if _, ok := section["oauth"]; ok {
		delete(base, "token")
	}
	maps.Copy(base, section)
	opts, err := Decode(base, "crm.hubspot")
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	o := opts.(*Options)
	o.hooks.now = s.Now
	o.hooks.sleep = fakeSleep(s)
	return o
}

// searchFirst is the section of a test about the search path: the first
// pull searches too, instead of listing (first_pull: list, the default).
var searchFirst = map[string]any{"first_pull": FirstPullSearch}

// connect builds a connector against the fake.
func connect(t testing.TB, s *hubspottest.Server, section map[string]any) *Connector {
	t.Helper()
	return build(t, connectOpts(t, s, s.URL(), section), nil)
}

// build validates o and builds the connector, logging into logs if given.
func build(t testing.TB, o *Options, logs *logBuffer) *Connector {
	t.Helper()
	env := connector.Env{}
	if logs != nil {
		env.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	conn, err := o.New(env)
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn.(*Connector)
}

// pull pages a source to Done from cursor and returns every record, the
// final cursor and the number of pages.
func pull(t testing.TB, c *Connector, source string, cursor []byte, now time.Time) ([]connector.Record, []byte, int) {
	t.Helper()
	var recs []connector.Record
	for pages := 1; ; pages++ {
		p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: source, Cursor: cursor, Now: now})
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		recs = append(recs, p.Records...)
		cursor = p.Cursor
		if p.Done {
			return recs, cursor, pages
		}
		if pages > 100_000 {
			t.Fatal("pull does not end")
		}
	}
}

// byID indexes records by order ID, failing on a duplicate.
func byID(t testing.TB, recs []connector.Record) map[string]connector.Record {
	t.Helper()
	out := map[string]connector.Record{}
	for _, r := range recs {
		if _, dup := out[r.OrderID]; dup && !r.Deleted {
			t.Errorf("record %s delivered twice", r.OrderID)
		}
		out[r.OrderID] = r
	}
	return out
}

// syncWindowDays is the look-back window of the loop runs below.
const syncWindowDays = 730

// rfmFields maps every output to an rfm_ field except recency_days, which
// moves for every customer every day and would make each run rewrite all.
func rfmFields() map[string]string {
	out := map[string]string{}
	for _, o := range outputs.Names() {
		if o != outputs.RecencyDays && o != outputs.LastPurchaseDate {
			out[o] = "rfm_" + o
		}
	}
	return out
}

// ensureFields creates the mapped fields through the connector.
func ensureFields(t testing.TB, c *Connector, fields map[string]string) {
	t.Helper()
	specs := syncloop.FieldSpecs(outputs.Single(fields), rfm.DefaultParams(), syncWindowDays, syncloop.Inactive{})
	if _, err := c.EnsureFields(context.Background(), specs, true); err != nil {
		t.Fatalf("fields ensure: %v", err)
	}
}

// syncOnce runs the real sync loop once, as the daemon does: a state file
// opened for the run at path, the fake's clock as now.
func syncOnce(t testing.TB, s *hubspottest.Server, c connector.Connector, path string, fields map[string]string) *syncloop.Report {
	t.Helper()
	db, err := state.Open(path, state.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := syncloop.Run(context.Background(), syncloop.Options{
		Connector: c, State: db, Params: rfm.DefaultParams(), WindowDays: syncWindowDays,
		Fields: outputs.Single(fields), PullFingerprint: "test", ScoreFingerprint: "test", Now: s.Now,
	})
	if err != nil {
		t.Fatalf("sync: %v (report: %+v)", err, rep)
	}
	return rep
}
