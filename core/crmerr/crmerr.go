// Package crmerr holds the few error classes the sync loop switches on.
//
// Connectors and the shared HTTP client map every CRM failure (status codes,
// error bodies, token-endpoint answers, transport errors) to one Class at the
// edge, so the loop never needs to know which CRM it talks to. The package
// has no HTTP imports on purpose: scoring and state code may depend on it.
package crmerr

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Class is what the sync loop does with a failure.
type Class int

// The classes, from "try again" to "give up". None is the zero value and
// means "no error": a classifier returns it for a successful response.
const (
	None            Class = iota // no error
	Transient                    // retry later in this run (5xx, timeouts, locked record)
	RateLimited                  // short window exhausted: retry after a wait
	QuotaExhausted               // daily/long limit: stop the run cleanly, resume after ResetAt
	Auth                         // credentials bad or expired beyond one refresh: stop, tell the admin
	AuthRefreshDead              // refresh token dead: stop, tell the admin to re-authorise the app
	NotFound                     // the record (or route) is gone
	Validation                   // bad request that will not heal by retrying
	Permanent                    // any other failure that will not heal by retrying
	// LoginBlocked: an earlier login was refused and the breaker is open;
	// no run logs in again until the credentials in the config change
	// (vtenext locks the user after five failed logins).
	LoginBlocked
)

var classNames = [...]string{
	None:            "none",
	Transient:       "transient",
	RateLimited:     "rate limited",
	QuotaExhausted:  "quota exhausted",
	Auth:            "auth failed",
	AuthRefreshDead: "refresh token dead",
	NotFound:        "not found",
	Validation:      "validation failed",
	Permanent:       "permanent failure",
	LoginBlocked:    "login blocked",
}

// String returns a short lowercase name, used in error strings and logs.
func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Retryable reports whether waiting and sending the same request again in
// this run can succeed (Transient and RateLimited).
func (c Class) Retryable() bool { return c == Transient || c == RateLimited }

// StopsRun reports whether the failure ends the whole run, not just one call:
// every later call would fail the same way until time passes or an admin acts.
func (c Class) StopsRun() bool {
	return c == QuotaExhausted || c == Auth || c == AuthRefreshDead || c == LoginBlocked
}

// RetryRunSoon reports whether a run that failed with this class may be
// started again after a short backoff instead of waiting for the next
// schedule: the call gave up on transient failures (5xx, timeouts, 429
// bursts) after its retry budget, and a few minutes usually heal them.
func (c Class) RetryRunSoon() bool { return c == Transient || c == RateLimited }

// MaxPause is the longest any CRM's documented daily reset lies ahead: a
// midnight in the account's zone (24 h, 25 on a DST change) or a rolling
// 24-hour window. A persisted pause beyond it is a bug or a hostile answer.
const MaxPause = 25 * time.Hour

// PauseUntil is when later runs may start again after err, if err is a
// QuotaExhausted failure whose reset time the connector read from its
// CRM's contract (a daily-limit answer). Retry-After hints never pause
// later runs: a long one on a 429 or 503 is a bounded wait inside the run.
// The reset is capped at now + MaxPause.
func PauseUntil(err error, now time.Time) (time.Time, bool) {
	e, ok := As(err)
	if !ok || e.Class != QuotaExhausted || e.ResetAt.IsZero() || !e.ResetAt.After(now) {
		return time.Time{}, false
	}
	return minTime(e.ResetAt, now.Add(MaxPause)), true
}

// ValidPause reports whether a pause persisted earlier still applies at
// now: in the future, and not beyond MaxPause (older versions persisted
// Retry-After values of years).
func ValidPause(until, now time.Time) bool {
	return until.After(now) && !until.After(now.Add(MaxPause))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Error is a classified CRM failure. Message is the CRM's own text (already
// redacted; it never carries credentials) and Code its machine code, such as
// EXPIRED_AUTHENTICATION or INVALID_SESSION_ID.
type Error struct {
	Class      Class
	Status     int           // HTTP status, 0 when no response arrived
	Code       string        // CRM error code, if any
	Message    string        // CRM error text, if any; never contains secrets
	RetryAfter time.Duration // server's wait hint, if any
	ResetAt    time.Time     // when a QuotaExhausted limit resets, if known
	Err        error         // underlying cause (transport error), if any
}

// Error renders class, status, code, message, cause and reset time.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Class.String())
	switch {
	case e.Status != 0 && e.Code != "":
		fmt.Fprintf(&b, " (http %d, %s)", e.Status, e.Code)
	case e.Status != 0:
		fmt.Fprintf(&b, " (http %d)", e.Status)
	case e.Code != "":
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if !e.ResetAt.IsZero() {
		b.WriteString(" (resets at ")
		b.WriteString(e.ResetAt.UTC().Format(time.RFC3339))
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrQuotaExhausted) and friends match on the class.
func (e *Error) Is(target error) bool {
	s, ok := target.(sentinel)
	return ok && Class(s) == e.Class
}

// sentinel is the type of the Err* values; an *Error matches the one of its class.
type sentinel Class

func (s sentinel) Error() string { return "crm: " + Class(s).String() }

// Sentinels for errors.Is; each matches every *Error of its class.
var (
	ErrTransient       error = sentinel(Transient)
	ErrRateLimited     error = sentinel(RateLimited)
	ErrQuotaExhausted  error = sentinel(QuotaExhausted)
	ErrAuth            error = sentinel(Auth)
	ErrAuthRefreshDead error = sentinel(AuthRefreshDead)
	ErrNotFound        error = sentinel(NotFound)
	ErrValidation      error = sentinel(Validation)
	ErrPermanent       error = sentinel(Permanent)
	ErrLoginBlocked    error = sentinel(LoginBlocked)
)

// ClassOf returns the class of the first *Error in err's chain, None for nil,
// and Permanent for any other error: an unclassified failure is not known to heal.
// Callers check their own context first; a cancelled run is not a CRM failure.
func ClassOf(err error) Class {
	if err == nil {
		return None
	}
	if e, ok := As(err); ok {
		return e.Class
	}
	return Permanent
}

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
