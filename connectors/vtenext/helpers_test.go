package vtenext

import (
	"context"
	"maps"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/connectors/vtenext/vtenexttest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
)

// newFake starts a fake vtenext behind an httptest server.
func newFake(t testing.TB, o vtenexttest.Options) (*vtenexttest.Server, string) {
	t.Helper()
	s := vtenexttest.New(o)
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	return s, srv.URL
}

// fakeClock drives the fake's clock for a client: a wait moves the clock
// to its end unless something already moved it further, so concurrent
// workers paced to slots end at the last slot, as on a real clock.
type fakeClock struct {
	mu sync.Mutex
	s  *vtenexttest.Server
}

func (c *fakeClock) advanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.s.Now()) {
		c.s.Set(t)
	}
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.advanceTo(c.s.Now().Add(d))
	return ctx.Err()
}

func fakeSleep(s *vtenexttest.Server) func(ctx context.Context, d time.Duration) error {
	return (&fakeClock{s: s}).sleep
}

// options decodes a crm.vtenext section for the fake, with extra keys.
func options(t testing.TB, s *vtenexttest.Server, url string, extra map[string]any) *Options {
	t.Helper()
	section := map[string]any{"url": url, "username": vtenexttest.DefaultUser, "access_key": vtenexttest.DefaultAccessKey,
		"object": "Accounts", "sources": []any{SourceSalesOrder}, "query_lag": "30s"}
	maps.Copy(section, extra)
	opts, err := Decode(section, "crm.vtenext")
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	o := opts.(*Options)
	o.hooks = hooks{now: s.Now, sleep: fakeSleep(s)}
	return o
}

// build makes a connector from options.
func build(t testing.TB, o *Options, fields []outputs.FieldSpec) *Connector {
	t.Helper()
	conn, err := o.New(connector.Env{Fields: fields})
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn.(*Connector)
}

// readAll pulls a source to its end, returning the records and the cursor.
func readAll(t testing.TB, c *Connector, source string, cursor []byte, now time.Time) ([]connector.Record, []byte) {
	t.Helper()
	var out []connector.Record
	for i := 0; i < 10000; i++ {
		p, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: source, Cursor: cursor, Now: now})
		if err != nil {
			t.Fatalf("read %s: %v", source, err)
		}
		out = append(out, p.Records...)
		cursor = p.Cursor
		if p.Done {
			return out, cursor
		}
	}
	t.Fatal("pull never finished")
	return nil, nil
}
