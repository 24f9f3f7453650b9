package crmhttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// callKey carries a *call in the request context, so retryablehttp's hooks
// and the transport share one logical request's state. Attempts of one call
// run one after another on the caller's goroutine, so call needs no lock.
type callKey struct{}

// call is the state of one retryablehttp exchange.
type call struct {
	label   string // method and path, for logs and errors
	op      string // Request.Op or Options.OpOf's label
	noAuth  bool
	authReq *http.Request // the last request Auth decorated, for Invalidate
	start   time.Time     // on the client's clock, for the retry budget
	retries int
	stalled time.Duration // sum of the timeouts that cut attempts off
	wait    time.Duration // before the next retry
	gaveUp  string        // why retrying stopped, for the error

	judged    bool // at least one attempt was classified
	verdict   Verdict
	status    int // of the response, 0 if none arrived
	errStatus int // of a failed token or login call behind the verdict
	header    http.Header
	body      []byte
	cause     error // transport error, without URL
}

func callFrom(ctx context.Context) *call {
	st, _ := ctx.Value(callKey{}).(*call)
	return st
}

// checkRetry is retryablehttp's CheckRetry: read the body, classify, decide.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr // never retry a cancelled call
	}
	st := callFrom(ctx)
	if st == nil {
		return false, errors.New("crmhttp: request without call state")
	}
	st.status, st.errStatus, st.header, st.body, st.cause = 0, 0, nil, nil, nil
	var req *http.Request
	if err == nil && resp != nil {
		req = resp.Request
		st.status, st.header = resp.StatusCode, resp.Header
		if c.onResponse != nil {
			c.onResponse(resp.StatusCode, resp.Header)
		}
		if c.budget != nil {
			c.budget.observe(c.now(), resp.Header)
		}
		c.observeBuckets(resp.Request, resp.Header)
		st.body, err = readBody(resp, c.maxBody)
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		st.stalled += te.After
	}
	v := c.judge(st, req, err)
	st.judged, st.verdict = true, v
	if v.Class == crmerr.RateLimited || v.Class == crmerr.QuotaExhausted {
		c.stats.addRateLimited()
	}
	if !v.Class.Retryable() {
		if v.Class == crmerr.QuotaExhausted {
			c.log.Warn("crm quota exhausted; stopping", "request", st.label, "status", st.status,
				"code", v.Code, "reset_at", v.ResetAt)
		}
		return false, nil
	}
	wait := c.backoff(st.retries, v)
	if why := c.stopRetrying(st, te != nil, wait); why != "" {
		st.gaveUp = why
		c.log.Warn("crm call failed on transient errors", "request", st.label, "status", st.status,
			"class", v.Class, "code", v.Code, "retries", st.retries, "gave_up", why)
		return false, nil
	}
	st.wait = wait
	st.retries++
	c.stats.addRetry()
	attrs := []any{"request", st.label, "status", st.status, "class", v.Class, "code", v.Code,
		"message", v.Message, "wait", st.wait, "retry", st.retries}
	if st.cause != nil {
		attrs = append(attrs, "error", st.cause)
	}
	c.log.Info("crm call will be retried", attrs...)
	return true, nil
}

// stopRetrying says why a retryable attempt is not retried, or "": the
// retry budget would be overrun by the next wait, stalled attempts used up
// the stall budget, or the count cap (Options.MaxRetries) is reached.
func (c *Client) stopRetrying(st *call, stalled bool, wait time.Duration) string {
	attempts := st.retries + 1
	elapsed := c.now().Sub(st.start)
	switch {
	case c.maxRetries < 0 || c.retryBudget < 0:
		return "retries are off"
	case c.maxRetries > 0 && st.retries >= c.maxRetries:
		return fmt.Sprintf("%d attempts", attempts)
	case stalled && (c.stallBudget < 0 || st.stalled >= c.stallBudget):
		return fmt.Sprintf("%d attempts, %v lost to stalled responses (stall budget %v)",
			attempts, st.stalled, max(c.stallBudget, 0))
	case elapsed+wait > c.retryBudget:
		return fmt.Sprintf("%d attempts over %v (retry budget %v)", attempts, elapsed.Round(time.Second), c.retryBudget)
	}
	return ""
}

// judge turns one attempt into a Verdict: a *crmerr.Error from the Auth, the
// budget or the body reader is taken as is, anything else goes to the
// Classifier together with the request it answers.
func (c *Client) judge(st *call, req *http.Request, err error) Verdict {
	a := Attempt{Op: st.op, Now: c.now()}
	if req != nil {
		a.Method, a.Path = req.Method, req.URL.Path
	} else if m, p, ok := strings.Cut(st.label, " "); ok {
		a.Method, a.Path = m, p
	}
	var v Verdict
	if ce, ok := crmerr.As(err); ok {
		v = Verdict{Class: ce.Class, RetryAfter: ce.RetryAfter, ResetAt: ce.ResetAt, Code: ce.Code, Message: ce.Message}
		st.errStatus, st.cause = ce.Status, ce.Err
	} else if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL may be long; the label says enough
		}
		st.cause = err
		a.Err = err
		v = c.classify(a)
	} else {
		a.Status, a.Header, a.Body = st.status, st.header, st.body
		v = c.classify(a)
	}
	v.Message = RedactString(v.Message)
	return v
}

// backoff is the wait before retry number n+1: the server's Retry-After if
// given, capped at MaxRetryAfter (a day-long or far-dated hint is a bounded
// wait, never a pause), else a random time in [d/2, d] with
// d = min(MinWait·2ⁿ, MaxWait), so parallel callers do not retry in step.
func (c *Client) backoff(n int, v Verdict) time.Duration {
	if v.RetryAfter > 0 {
		return min(v.RetryAfter, c.maxRetryAfter)
	}
	d := c.maxWait
	if n < 32 {
		if e := c.minWait << n; e > 0 && e < d {
			d = e
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// prepareRetry is retryablehttp's PrepareRetry: it sleeps the wait chosen
// by checkRetry through the client's clock, so tests never really wait.
// (retryablehttp's own Backoff sleep is always 0.)
func (c *Client) prepareRetry(req *http.Request) error {
	st := callFrom(req.Context())
	if st == nil || st.wait <= 0 {
		return nil
	}
	return c.sleep(req.Context(), st.wait)
}

// readBody reads and closes the body, leaving a re-readable copy in its place.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, &crmerr.Error{Class: crmerr.Permanent, Status: resp.StatusCode,
			Message: fmt.Sprintf("response body exceeds %d bytes", limit)}
	}
	return b, nil
}

// response is the last response, if one arrived.
func (st *call) response() *Response {
	if st.status == 0 {
		return nil
	}
	return &Response{Status: st.status, Header: st.header, Body: st.body}
}

// result turns the final call state into Do's return values.
func (st *call) result(label string) (*Response, error) {
	resp := st.response()
	v := st.verdict
	if v.Class == crmerr.None {
		return resp, nil
	}
	status := st.status
	if st.errStatus != 0 {
		status = st.errStatus
	}
	e := &crmerr.Error{Class: v.Class, Status: status, Code: v.Code,
		Message: v.Message, RetryAfter: v.RetryAfter, ResetAt: v.ResetAt, Err: st.cause}
	if st.gaveUp != "" {
		return resp, fmt.Errorf("%s: gave up after %s: %w", label, st.gaveUp, e)
	}
	return resp, fmt.Errorf("%s: %w", label, e)
}
