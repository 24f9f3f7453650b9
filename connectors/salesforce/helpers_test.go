package salesforce

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// newFake starts a fake org closed with the test.
func newFake(t testing.TB, o salesforcetest.Options) *salesforcetest.Server {
	t.Helper()
	s := salesforcetest.New(o)
	t.Cleanup(s.Close)
	return s
}

// fakeSleep advances the fake's clock instead of sleeping.
func fakeSleep(s *salesforcetest.Server) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.Advance(d)
		return nil
	}
}

// connectOpts decodes options for the fake's login host (or loginURL),
// refresh-token grant unless section says otherwise, on the fake's clock.
func connectOpts(t testing.TB, s *salesforcetest.Server, loginURL string, section map[string]any) *Options {
	t.Helper()
	base := map[string]any{"login_url": loginURL, "client_id": salesforcetest.DefaultClientID,
		"client_secret": salesforcetest.DefaultClientSecret, "refresh_token": salesforcetest.DefaultRefreshToken,
		"object": "Account", "query_lag": "30s"}
	maps.Copy(base, section)
	opts, err := Decode(base, "crm.salesforce")
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	o := opts.(*Options)
	o.hooks.now = s.Now
	o.hooks.sleep = fakeSleep(s)
	return o
}

// connect builds a connector against the fake's login host.
func connect(t testing.TB, s *salesforcetest.Server, section map[string]any) *Connector {
	t.Helper()
	return build(t, connectOpts(t, s, s.LoginURL(), section), nil, nil)
}

// build validates o and builds the connector with env's fields (rfmFields
// when nil), logging into logs if given.
func build(t testing.TB, o *Options, logs *logBuffer, env *connector.Env) *Connector {
	t.Helper()
	e := connector.Env{Fields: specs(rfmFields())}
	if env != nil {
		e = *env
	}
	if logs != nil {
		e.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	conn, err := o.New(e)
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn.(*Connector)
}

// rfmFields maps the suite's outputs to custom field API names.
func rfmFields() map[string]string {
	return map[string]string{
		outputs.R: "RFM_R__c", outputs.F: "RFM_F__c", outputs.M: "RFM_M__c", outputs.RFM: "RFM_Code__c",
		outputs.Segment: "RFM_Segment__c", outputs.Monetary: "RFM_Monetary__c", outputs.Frequency: "RFM_Frequency__c",
		outputs.LastPurchaseAt: "RFM_Last_Purchase_At__c", outputs.PreviousSegment: "RFM_Previous_Segment__c",
		outputs.SegmentChangedAt: "RFM_Segment_Changed_At__c",
	}
}

func specs(fields map[string]string) []connector.FieldSpec {
	return syncloop.FieldSpecs(outputs.Single(fields), rfm.DefaultParams(), syncWindowDays, syncloop.Inactive{})
}

const syncWindowDays = 730

// pull pages a source to Done and returns every record and the cursor.
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

// byID indexes records by order id, failing on a duplicate.
func byID(t testing.TB, recs []connector.Record) map[string]connector.Record {
	t.Helper()
	out := map[string]connector.Record{}
	for _, r := range recs {
		if _, dup := out[r.OrderID]; dup {
			t.Errorf("record %s delivered twice", r.OrderID)
		}
		out[r.OrderID] = r
	}
	return out
}

// logBuffer collects a connector's logs.
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

// connectorEnvWithTokens keeps rotated refresh tokens, as the state file does.
var connectorEnvWithTokens = connector.Env{Fields: specs(rfmFields()), Tokens: &memTokens{m: map[string]string{}}}

func connectorReq(cursor []byte, now time.Time) connector.ReadRequest {
	return connector.ReadRequest{Source: SourceOpportunities, Cursor: cursor, Now: now}
}
