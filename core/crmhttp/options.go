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
	DefaultTimeout       = 2 * time.Minute // one attempt; Cloudflare gives up on HubSpot at 100 s (524)
	DefaultMaxRetries    = 5
	DefaultMinWait       = 500 * time.Millisecond
	DefaultMaxWait       = 30 * time.Second
	DefaultMaxRetryAfter = 2 * time.Minute // longer waits end the run (HubSpot 477 can ask for ~24 h)
	DefaultMaxBodyBytes  = 64 << 20
	DefaultUserAgent     = "rfmsync"
)

// Options configures a Client. Zero values take the defaults above.
type Options struct {
	// BaseURL is joined with relative request paths; absolute http(s) paths
	// (Salesforce nextRecordsUrl hosts, instance_url) are used as given.
	BaseURL string
	// Timeout bounds one attempt, from sending to reading the whole body,
	// not counting pacing waits. Negative means none.
	Timeout time.Duration
	// MaxRetries is how many times a Transient or RateLimited attempt is
	// repeated. Negative means never.
	MaxRetries int
	// MinWait and MaxWait bound the jittered exponential backoff used when
	// the server gives no Retry-After: attempt n waits a random time in
	// [d/2, d] with d = min(MinWait·2ⁿ, MaxWait).
	MinWait, MaxWait time.Duration
	// MaxRetryAfter caps the waits the client sleeps on. A retryable verdict
	// asking for longer becomes QuotaExhausted and is returned at once, so
	// the run stops cleanly instead of sleeping for hours.
	MaxRetryAfter time.Duration
	// MaxBodyBytes caps a response body; larger ones fail as Permanent.
	MaxBodyBytes int64
	// Classifier maps each attempt to a Verdict; nil means DefaultClassifier.
	Classifier Classifier
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
	// Transport is the base RoundTripper; nil means a pooled transport.
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
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = DefaultMaxRetries
	case o.MaxRetries < 0:
		o.MaxRetries = 0
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
