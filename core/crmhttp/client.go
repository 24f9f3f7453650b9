// Package crmhttp is the HTTP layer every rfmsync connector shares: pacing,
// retries with backoff, Retry-After, timeouts, error classification, the
// daily budget, credentials (OAuth grants, session logins, a login breaker)
// and call counting, set once here so connectors only describe their CRM
// (a Classifier, Buckets, a Budget's header parser, an Auth). It knows no CRM.
//
// An attempt passes these layers, outermost first:
//
//	Client.Do          builds the request, replays it once after a rejected
//	                   credential (unless Request.NoReplay)
//	retryablehttp      repeats Transient/RateLimited attempts while the call's
//	                   retry and stall budgets last (CheckRetry, PrepareRetry)
//	transport          paces (Buckets), checks the Budget, authorises a clone
//	                   (Auth), counts (Stats), bounds the phases (Timeouts)
//	base RoundTripper  the network
//
// After each attempt the whole body is read and the Classifier gives a
// Verdict; the final one becomes a *crmerr.Error unless it is a success.
// A Retry-After is a wait inside the call, capped at MaxRetryAfter; only a
// classifier's QuotaExhausted verdict with a contract reset (ResetAt) may
// pause later runs (crmerr.PauseUntil).
package crmhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// Client sends CRM API requests. It is safe for concurrent use.
type Client struct {
	base          string
	baseFrom      func(context.Context) (string, error)
	timeouts      Timeouts
	retryBudget   time.Duration
	stallBudget   time.Duration
	maxRetries    int // 0: no cap but the budgets
	minWait       time.Duration
	maxWait       time.Duration
	maxRetryAfter time.Duration
	maxBody       int64
	classify      Classifier
	opOf          func(*http.Request) string
	buckets       []*bucket
	budget        *Budget
	auth          Auth
	stats         *Stats
	log           *slog.Logger
	userAgent     string
	onResponse    func(int, http.Header)
	now           func() time.Time
	sleep         func(context.Context, time.Duration) error
	rc            *retryablehttp.Client
}

// New returns a Client for opts. If opts.Auth implements StatsBinder it is
// bound to the client's Stats, so its token requests are counted too.
func New(opts Options) (*Client, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("crm http client: %w", err)
	}
	c := &Client{base: strings.TrimRight(o.BaseURL, "/"), baseFrom: o.BaseURLFrom, timeouts: o.Timeouts,
		retryBudget: o.RetryBudget, stallBudget: o.StallBudget, maxRetries: o.MaxRetries,
		minWait: o.MinWait, maxWait: o.MaxWait, maxRetryAfter: o.MaxRetryAfter, maxBody: o.MaxBodyBytes,
		classify: o.Classifier, opOf: o.OpOf, budget: o.Budget, auth: o.Auth, stats: o.Stats, userAgent: o.UserAgent,
		log: slog.New(NewRedactingHandler(o.Logger.Handler())), onResponse: o.OnResponse,
		now: o.Now, sleep: o.Sleep}
	seen := map[string]bool{}
	for _, b := range o.Buckets {
		if seen[b.Name] {
			return nil, fmt.Errorf("crm http client: pacing bucket %q is defined twice", b.Name)
		}
		seen[b.Name] = true
		pb, err := newBucket(b)
		if err != nil {
			return nil, fmt.Errorf("crm http client: %w", err)
		}
		c.buckets = append(c.buckets, pb)
	}
	if sb, ok := o.Auth.(StatsBinder); ok {
		sb.BindStats(c.stats)
	}
	base := o.Transport
	if base == nil {
		base = NewTransport(o.Timeouts)
	}
	c.rc = &retryablehttp.Client{
		HTTPClient:   &http.Client{Transport: &transport{c: c, base: base}, CheckRedirect: sameHostRedirects},
		RetryMax:     math.MaxInt32, // the budgets in checkRetry decide
		CheckRetry:   c.checkRetry,
		Backoff:      func(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 },
		PrepareRetry: c.prepareRetry,
		ErrorHandler: func(resp *http.Response, err error, _ int) (*http.Response, error) { return resp, err },
	}
	return c, nil
}

// Stats returns the counters this client adds to.
func (c *Client) Stats() *Stats { return c.stats }

// Request is one logical API call; the client may send it several times.
type Request struct {
	Method string
	Path   string     // joined to Options.BaseURL, or an absolute http(s) URL
	Query  url.Values // added to any query already in Path
	Header http.Header
	Body   []byte // sent again, unchanged, on every attempt
	NoAuth bool   // skip Options.Auth: token, challenge and login calls
	// Op labels the operation for the Classifier and for Stats.ByOp
	// ("query", "revise", "batch_update"); empty means Options.OpOf's answer.
	Op string
	// NoReplay refuses the replay after a rejected credential: the request
	// belongs to the session that died (a Salesforce query locator). The
	// credential is still renewed, and Do fails with ErrSessionRenewed so
	// the connector restarts from its own cursor instead.
	NoReplay bool
}

// ErrSessionRenewed is in the chain of a NoReplay request's error when its
// credential was rejected and renewed: retry it from the caller's own
// cursor, not by sending it again.
var ErrSessionRenewed = errors.New("the session was renewed; the request belongs to the old one and was not replayed")

// Response is the final answer to a Request, body fully read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends r with pacing, retries and credentials and returns the final
// response. If the final verdict is not a success the error is a wrapped
// *crmerr.Error and the response, if one arrived, is returned as well so the
// caller can read per-item details. A cancelled ctx returns ctx.Err()
// (wrapped), not a crmerr error: a stopping run is not a CRM failure.
func (c *Client) Do(ctx context.Context, r *Request) (*Response, error) {
	u, err := c.resolve(ctx, r.Path, r.Query)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
	}
	label := r.Method + " " + u.Path
	st, err := c.send(ctx, r, u.String(), label)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	if st.verdict.Reauth && !r.NoAuth && c.auth != nil && st.authReq != nil && c.auth.Invalidate(st.authReq) {
		if r.NoReplay {
			c.log.Info("crm credential rejected; renewed for later calls, this one is not replayed",
				"request", label, "status", st.status, "code", st.verdict.Code)
			return st.response(), fmt.Errorf("%s: %w", label, &crmerr.Error{Class: crmerr.Transient,
				Status: st.status, Code: st.verdict.Code, Message: st.verdict.Message, Err: ErrSessionRenewed})
		}
		c.stats.addReplay()
		c.log.Info("crm credential rejected; renewing it and replaying once", "request", label,
			"status", st.status, "code", st.verdict.Code)
		if st, err = c.send(ctx, r, u.String(), label); err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
	}
	return st.result(label)
}

// send runs one retryablehttp exchange and returns its final call state.
func (c *Client) send(ctx context.Context, r *Request, rawURL, label string) (*call, error) {
	st := &call{label: label, noAuth: r.NoAuth, op: r.Op, start: c.now()}
	ctx = context.WithValue(ctx, callKey{}, st)
	var body any
	if r.Body != nil {
		body = r.Body
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, r.Method, rawURL, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, vs := range r.Header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if st.op == "" && c.opOf != nil {
		st.op = c.opOf(req.Request)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.rc.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, ctxErr
	}
	if !st.judged { // retryablehttp stopped before any attempt was classified
		if err == nil {
			err = errors.New("no attempt was made")
		}
		return nil, err
	}
	return st, nil
}

// resolve joins path to the base URL and adds query.
func (c *Client) resolve(ctx context.Context, path string, query url.Values) (*url.URL, error) {
	raw := path
	if !strings.HasPrefix(path, "https://") && !strings.HasPrefix(path, "http://") {
		base := c.base
		if base == "" && c.baseFrom != nil {
			b, err := c.baseFrom(ctx)
			if err != nil {
				return nil, fmt.Errorf("base URL: %w", err)
			}
			base = strings.TrimRight(b, "/")
		}
		if base == "" {
			return nil, errors.New("relative path without a base URL")
		}
		raw = base + "/" + strings.TrimLeft(path, "/")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse URL: %w", err)
	}
	if len(query) > 0 {
		q := u.Query()
		for k, vs := range query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// DoJSON sends in (if not nil) as a JSON body and, on a 2xx answer (207
// included: the caller inspects its per-item results), decodes the body
// into out (if not nil and the body is not empty). It returns the final
// status (0 if no response arrived) and an error as Do does. A body that is
// empty (except on 204) or not valid JSON is Transient (truncated or proxy
// pages heal); one that is null or does not fit out is Permanent.
func (c *Client) DoJSON(ctx context.Context, method, path string, query url.Values, in, out any) (int, error) {
	r := &Request{Method: method, Path: path, Query: query, Header: http.Header{"Accept": {"application/json"}}}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		r.Body = b
		r.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(ctx, r)
	status := 0
	if resp != nil {
		status = resp.Status
	}
	if err != nil || out == nil || resp == nil || status == http.StatusNoContent {
		return status, err
	}
	// An empty or null body where an answer is due is a broken proxy or a
	// hostile server, never "nothing": decoding it would read as no data.
	switch b := bytes.TrimSpace(resp.Body); {
	case len(b) == 0:
		return status, fmt.Errorf("%s %s: %w", method, path,
			&crmerr.Error{Class: crmerr.Transient, Status: status, Message: "empty response body"})
	case string(b) == "null":
		return status, fmt.Errorf("%s %s: %w", method, path,
			&crmerr.Error{Class: crmerr.Permanent, Status: status, Message: "response body is null"})
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		class := crmerr.Transient
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			class = crmerr.Permanent
		}
		return status, fmt.Errorf("%s %s: %w", method, path,
			&crmerr.Error{Class: class, Status: status, Message: "decode response", Err: err})
	}
	return status, nil
}
