package crmhttp

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// Verdict is a classifier's reading of one attempt's outcome.
type Verdict struct {
	// Class is crmerr.None for success; anything else makes the call fail
	// (after retries, for retryable classes).
	Class crmerr.Class
	// RetryAfter is how long the server asked us to wait. The client sleeps
	// this long (at most Options.MaxRetryAfter) before retrying a Transient
	// or RateLimited verdict; it never pauses later runs.
	RetryAfter time.Duration
	// ResetAt is when a QuotaExhausted limit resets, read from the CRM's
	// contract (HubSpot: the account's next midnight). Only such a reset
	// pauses later runs (crmerr.PauseUntil), capped at crmerr.MaxPause.
	ResetAt time.Time
	// Code and Message are the CRM's error code and text; Message is redacted
	// by the client before it reaches an error or a log.
	Code    string
	Message string
	// Reauth says the credential on the request was rejected as expired or
	// invalid (HubSpot EXPIRED_AUTHENTICATION, Salesforce INVALID_SESSION_ID,
	// vtenext INVALID_SESSIONID in a 200 body): the client invalidates it,
	// lets the Auth obtain a fresh one and replays the request once.
	Reauth bool
}

// Attempt is what a Classifier sees of one try: the request it answers
// (vtenext's ACCESS_DENIED means different things per operation) and the
// response, or the transport error when none arrived.
type Attempt struct {
	// Op is the connector's label of the operation (Request.Op), such as
	// "query", "revise" or "login"; empty when the connector sets none.
	Op     string
	Method string
	Path   string // URL path, without the query (it may carry a session)
	// Status, Header and Body are the response with its fully read body,
	// or 0, nil and nil when no response arrived (Err says why).
	Status int
	Header http.Header
	Body   []byte
	Err    error
	// Now is the client's clock when the attempt ended: Retry-After dates
	// are read against it.
	Now time.Time
}

// Classifier maps one attempt to a Verdict. It sees every response, 2xx
// included (vtenext reports errors in 200 bodies), with the fully read body,
// or status 0, nil header and body and the transport error when no response
// arrived. Bodies may be HTML, empty or truncated: never assume JSON.
// Connectors wrap DefaultClassifier and refine its verdict from the body.
type Classifier func(Attempt) Verdict

// maxRetryAfterSecs keeps absurd Retry-After values from overflowing a Duration.
const maxRetryAfterSecs = 1 << 32

// messageLimit caps how much of an unparsed body DefaultClassifier keeps.
const messageLimit = 200

// DefaultClassifier knows generic HTTP only: 2xx success; 408, 423 (locked,
// heals in seconds) and 5xx transient except 501/505; 429 rate limited; 401
// auth with one re-authorisation; 404 not found; other 3xx/4xx validation.
// Retry-After is honoured on any status (read against a.Now, or time.Now
// when it is zero). Transport errors are transient unless they cannot heal
// (bad certificate, bad scheme, redirect loop).
func DefaultClassifier(a Attempt) Verdict {
	if a.Err != nil {
		return classifyTransport(a.Err)
	}
	status := a.Status
	now := a.Now
	if now.IsZero() {
		now = time.Now()
	}
	v := Verdict{Message: snippet(status, a.Body)}
	v.RetryAfter, _ = ParseRetryAfter(a.Header.Get("Retry-After"), now)
	switch {
	case status >= 200 && status < 300:
		return Verdict{}
	case status == http.StatusTooManyRequests:
		v.Class = crmerr.RateLimited
	case status == http.StatusUnauthorized:
		v.Class, v.Reauth = crmerr.Auth, true
	case status == http.StatusNotFound:
		v.Class = crmerr.NotFound
	case status == http.StatusRequestTimeout, status == http.StatusLocked:
		v.Class = crmerr.Transient
	case status == http.StatusNotImplemented, status == http.StatusHTTPVersionNotSupported:
		v.Class = crmerr.Permanent
	case status >= 500:
		v.Class = crmerr.Transient
	case status >= 300:
		v.Class = crmerr.Validation
	default:
		v.Class = crmerr.Permanent
	}
	return v
}

// Transport failures net/http reports only as text; retrying them cannot help.
var permanentTransportRe = regexp.MustCompile(
	`stopped after \d+ redirects\z|unsupported protocol scheme|invalid header|certificate is not trusted`)

func classifyTransport(err error) Verdict {
	var (
		unknownCA x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		host      x509.HostnameError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return Verdict{Class: crmerr.Permanent, Message: "request cancelled"}
	case errors.As(err, &unknownCA), errors.As(err, &invalid), errors.As(err, &host),
		permanentTransportRe.MatchString(err.Error()):
		return Verdict{Class: crmerr.Permanent}
	}
	return Verdict{Class: crmerr.Transient}
}

// snippet is a short single-line excerpt of a non-HTML body, or the status text.
func snippet(status int, body []byte) string {
	text := http.StatusText(status)
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] == '<' {
		return text
	}
	if len(b) > messageLimit {
		b = b[:messageLimit]
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// ParseRetryAfter reads a Retry-After value given as delay-seconds or as an
// HTTP-date (RFC 9110 §10.2.3) relative to now. Absent, malformed or past
// values report false.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0, false
		}
		secs = min(secs, maxRetryAfterSecs)
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, false
}
