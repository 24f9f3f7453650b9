package crmhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/hashicorp/go-cleanhttp"
)

// transport is the per-attempt layer under retryablehttp: pace, authorise,
// count, then send under the attempt's timeouts. Pacing comes first so the
// credential is checked for expiry as late as possible, and the timeouts
// start only after the waits.
type transport struct {
	c    *Client
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c, ctx := t.c, req.Context()
	st := callFrom(ctx)
	buckets := c.matching(req)
	if err := c.pace(ctx, buckets); err != nil {
		return nil, err
	}
	if c.budget != nil {
		if err := c.budget.admit(c.now()); err != nil {
			return nil, err
		}
	}
	out := req.Clone(ctx) // RoundTrippers must not modify the caller's request
	if c.auth != nil && (st == nil || !st.noAuth) {
		if err := c.auth.Authorize(ctx, out); err != nil {
			return nil, err
		}
		if st != nil {
			st.authReq = out
		}
	}
	c.stats.addCall(buckets, opOf(st))
	return sendTimed(t.base, out, c.timeouts)
}

func opOf(st *call) string {
	if st == nil {
		return ""
	}
	return st.op
}

// sendTimed sends req on base under to: a timer for getting a connection
// (Connect), one from the request written to the response headers
// (ResponseHeader), one for the whole attempt, and an idle timer re-armed
// by every body read. The connection phases are read from an httptrace, so
// they hold on any transport. A timer that fires cancels the attempt, and
// the error says which phase stalled (a *TimeoutError), so the retry loop
// can charge it to the call's stall budget.
func sendTimed(base http.RoundTripper, req *http.Request, to Timeouts) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	w := &watch{cancel: cancel}
	if to.Attempt > 0 {
		w.attempt = time.AfterFunc(to.Attempt, func() { w.fire("attempt", to.Attempt) })
	}
	var (
		mu              sync.Mutex
		connect, header *time.Timer
		answered        bool // headers arrived: a late WroteRequest arms nothing
	)
	if to.Connect > 0 {
		connect = time.AfterFunc(to.Connect, func() { w.fire("connect", to.Connect) })
	}
	trace := &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) {
			if connect != nil {
				connect.Stop()
			}
		},
		WroteRequest: func(httptrace.WroteRequestInfo) {
			if to.ResponseHeader <= 0 {
				return
			}
			mu.Lock()
			if header == nil && !answered {
				header = time.AfterFunc(to.ResponseHeader, func() { w.fire("response headers", to.ResponseHeader) })
			}
			mu.Unlock()
		},
	}
	resp, err := base.RoundTrip(req.WithContext(httptrace.WithClientTrace(ctx, trace)))
	if connect != nil {
		connect.Stop()
	}
	mu.Lock()
	if header != nil {
		header.Stop()
	}
	answered = true
	mu.Unlock()
	if err != nil {
		w.stop()
		if te := w.fired(); te != nil {
			return nil, te
		}
		return nil, err
	}
	resp.Body = &watchedBody{rc: resp.Body, w: w, idle: to.IdleRead}
	return resp, nil
}

// TimeoutError is an attempt cut off by one of Options.Timeouts.
type TimeoutError struct {
	Phase string        // "connect", "response headers", "body read" or "attempt"
	After time.Duration // the timeout that fired
}

func (e *TimeoutError) Error() string {
	switch e.Phase {
	case "body read":
		return fmt.Sprintf("the server sent nothing for %v while sending the body", e.After)
	case "response headers":
		return fmt.Sprintf("no response headers within %v of sending the request", e.After)
	case "connect":
		return fmt.Sprintf("no connection within %v", e.After)
	}
	return fmt.Sprintf("attempt took longer than %v", e.After)
}

// Timeout marks it as a net.Error timeout.
func (e *TimeoutError) Timeout() bool { return true }

// Temporary is part of net.Error.
func (e *TimeoutError) Temporary() bool { return true }

var _ net.Error = (*TimeoutError)(nil)

// watch is one attempt's timers and the first one that fired.
type watch struct {
	cancel  context.CancelFunc
	attempt *time.Timer

	mu  sync.Mutex
	hit *TimeoutError
}

func (w *watch) fire(phase string, d time.Duration) {
	w.mu.Lock()
	if w.hit == nil {
		w.hit = &TimeoutError{Phase: phase, After: d}
	}
	w.mu.Unlock()
	w.cancel()
}

func (w *watch) fired() *TimeoutError {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hit
}

func (w *watch) stop() {
	if w.attempt != nil {
		w.attempt.Stop()
	}
	w.cancel()
}

// watchedBody re-arms the idle timer around every read and ends the
// attempt's timers when it is closed.
type watchedBody struct {
	rc   io.ReadCloser
	w    *watch
	idle time.Duration
	t    *time.Timer
}

func (b *watchedBody) Read(p []byte) (int, error) {
	if b.idle > 0 {
		if b.t == nil {
			b.t = time.AfterFunc(b.idle, func() { b.w.fire("body read", b.idle) })
		} else {
			b.t.Reset(b.idle)
		}
	}
	n, err := b.rc.Read(p)
	if b.t != nil {
		b.t.Stop()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		if te := b.w.fired(); te != nil {
			return n, te
		}
	}
	return n, err
}

func (b *watchedBody) Close() error {
	err := b.rc.Close()
	if b.t != nil {
		b.t.Stop()
	}
	b.w.stop()
	return err
}

// NewTransport returns a pooled transport whose dialer and TLS handshake
// are bounded by to.Connect (default DefaultConnectTimeout). The client
// bounds the other phases itself, on any transport.
func NewTransport(to Timeouts) *http.Transport {
	to = to.withDefaults()
	t := cleanhttp.DefaultPooledTransport()
	if to.Connect > 0 {
		t.DialContext = (&net.Dialer{Timeout: to.Connect, KeepAlive: 30 * time.Second}).DialContext
		t.TLSHandshakeTimeout = to.Connect
	}
	return t
}

// sameHostRedirects follows redirects only within the original host: the
// transport authorises every hop, so a redirect elsewhere would hand our
// credentials to a stranger. Other redirects come back as 3xx responses.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
		return http.ErrUseLastResponse
	}
	return nil
}
