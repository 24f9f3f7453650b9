package crmhttp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Defaults for zero Options fields.
const (
	DefaultRetryBudget   = 3 * time.Minute  // per call: a few minutes heal most 5xx bursts and 429 windows
	DefaultStallBudget   = 30 * time.Second // per call: time lost to stalled attempts before giving up
	DefaultMinWait       = 500 * time.Millisecond
	DefaultMaxWait       = 30 * time.Second
	DefaultMaxRetryAfter = time.Minute // longer Retry-After hints are waited this long, never persisted
	DefaultMaxBodyBytes  = 64 << 20
	DefaultUserAgent     = "rfmsync"
)

// Default timeouts of one attempt, in seconds rather than minutes: a server
// that accepts and then stalls costs a few of them, then the attempt is
// retried (see Options.StallBudget).
const (
	DefaultConnectTimeout        = 10 * time.Second
	DefaultResponseHeaderTimeout = 20 * time.Second // first byte; CRM searches answer in seconds
	DefaultIdleReadTimeout       = 10 * time.Second // longest silence inside a body
	DefaultAttemptTimeout        = 2 * time.Minute  // one whole attempt, body included
)

// Timeouts bound one attempt's phases. Zero fields take the defaults above;
// negative means none.
type Timeouts struct {
	// Connect bounds getting a connection: dialling and the TLS handshake.
	Connect time.Duration
	// ResponseHeader bounds the wait from sending the request to the
	// response headers: the server's "first byte".
	ResponseHeader time.Duration
	// IdleRead bounds each silence while the body is read, so a server that
	// sends headers and then nothing fails in seconds.
	IdleRead time.Duration
	// Attempt bounds one whole attempt, from sending to the body's last byte.
	Attempt time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(v, d time.Duration) time.Duration {
		switch {
		case v == 0:
			return d
		case v < 0:
			return 0
		}
		return v
	}
	return Timeouts{Connect: def(t.Connect, DefaultConnectTimeout),
		ResponseHeader: def(t.ResponseHeader, DefaultResponseHeaderTimeout),
		IdleRead:       def(t.IdleRead, DefaultIdleReadTimeout),
		Attempt:        def(t.Attempt, DefaultAttemptTimeout)}
}

// Options configures a Client. Zero values take the defaults above.
type Options struct {
	// BaseURL is joined with relative request paths; absolute http(s) paths
	// (Salesforce nextRecordsUrl hosts, instance_url) are used as given.
	BaseURL string
	// BaseURLFrom, used when BaseURL is empty, names the base URL per call:
	// a session's host from the token response (TokenAuth.BaseURL, for
	// Salesforce's instance_url).
	BaseURLFrom func(context.Context) (string, error)
	// Timeouts bound each attempt (connect, first byte, idle body, whole).
	Timeouts Timeouts
	// RetryBudget bounds one call's retries by time, not by count: a
	// Transient or RateLimited attempt is retried with capped, jittered
	// exponential backoff (or the server's Retry-After) while the time since
	// the call started plus the next wait stays within it. Negative means
	// no retries.
	RetryBudget time.Duration
	// StallBudget bounds the time one call may lose to attempts that timed
	// out (a server that accepts and stalls): the timeouts that fired are
	// summed, and once they reach it the call fails. Negative means a
	// timed-out attempt is not retried.
	StallBudget time.Duration
	// MaxRetries, if positive, also caps the number of retries (tests).
	// Negative means never retry.
	MaxRetries int
	// MinWait and MaxWait bound the jittered exponential backoff used when
	// the server gives no Retry-After: attempt n waits a random time in
	// [d/2, d] with d = min(MinWait·2ⁿ, MaxWait).
	MinWait, MaxWait time.Duration
	// MaxRetryAfter caps one wait on a server's Retry-After: a hint of a day
	// or of an HTTP date years ahead is waited this long, then retried
	// within RetryBudget. It never becomes a pause of later runs; only a
	// classifier's QuotaExhausted verdict with a contract reset does.
	MaxRetryAfter time.Duration
	// MaxBodyBytes caps a response body; larger ones fail as Permanent.
	MaxBodyBytes int64
	// Classifier maps each attempt to a Verdict; nil means DefaultClassifier.
	Classifier Classifier
	// OpOf labels a request that sets no Request.Op, for the Classifier and
	// Stats.ByOp (HubSpot derives its call kinds from the path); nil leaves
	// such requests unlabelled ("").
	OpOf func(*http.Request) string
	// Budget, if set, is the CRM's long-window (daily) call budget: fed by
	// every response, it refuses calls once spent, before they cost one.
	Budget *Budget
	// Buckets pace requests before each attempt (see Bucket).
	Buckets []Bucket
	// Auth decorates every request except Request.NoAuth ones; nil sends none.
	Auth Auth
	// Stats receives call counts; nil means a fresh Stats (see Client.Stats).
	Stats *Stats
	// Logger gets retries, replays and failures, always through
	// NewRedactingHandler; nil discards.
	Logger *slog.Logger
	// UserAgent is sent unless a request sets its own; "" means DefaultUserAgent.
	UserAgent string
	// Transport is the base RoundTripper; nil means NewTransport(Timeouts).
	Transport http.RoundTripper
	// OnResponse, if set, sees the status and headers of every response
	// (e.g. Salesforce Sforce-Limit-Info, HubSpot X-HubSpot-RateLimit-*).
	// It is called from concurrent requests and must be safe for that.
	OnResponse func(status int, header http.Header)
	// Now and Sleep are the client's clock: tests pass fakes so nothing
	// really sleeps. Sleep must return ctx.Err() if ctx ends first.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.BaseURL != "" {
		u, err := url.Parse(o.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return o, fmt.Errorf("base URL %q is not an absolute http(s) URL", o.BaseURL)
		}
	}
	o.Timeouts = o.Timeouts.withDefaults()
	if o.RetryBudget == 0 {
		o.RetryBudget = DefaultRetryBudget
	}
	if o.StallBudget == 0 {
		o.StallBudget = DefaultStallBudget
	}
	if o.MinWait == 0 {
		o.MinWait = DefaultMinWait
	}
	if o.MaxWait == 0 {
		o.MaxWait = max(DefaultMaxWait, o.MinWait)
	}
	if o.MinWait < 0 || o.MaxWait < o.MinWait {
		return o, fmt.Errorf("backoff waits: need 0 < min wait (%v) <= max wait (%v)", o.MinWait, o.MaxWait)
	}
	if o.MaxRetryAfter == 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Classifier == nil {
		o.Classifier = DefaultClassifier
	}
	if o.Stats == nil {
		o.Stats = NewStats()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	return o, nil
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
