package crmerr

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func TestIsMatchesOnlyItsClass(t *testing.T) {
	sentinels := map[Class]error{
		Transient: ErrTransient, RateLimited: ErrRateLimited, QuotaExhausted: ErrQuotaExhausted,
		Auth: ErrAuth, AuthRefreshDead: ErrAuthRefreshDead, NotFound: ErrNotFound,
		Validation: ErrValidation, Permanent: ErrPermanent,
	}
	for class := range sentinels {
		err := fmt.Errorf("list deals: %w", &Error{Class: class, Status: 500})
		for other, s := range sentinels {
			if got := errors.Is(err, s); got != (other == class) {
				t.Errorf("errors.Is(%v error, %v sentinel) = %v", class, other, got)
			}
		}
	}
}

func TestClassOf(t *testing.T) {
	tests := []struct {
		err  error
		want Class
	}{
		{nil, None},
		{errors.New("boom"), Permanent},
		{&Error{Class: RateLimited}, RateLimited},
		{fmt.Errorf("push: %w", &Error{Class: AuthRefreshDead}), AuthRefreshDead},
	}
	for _, tt := range tests {
		if got := ClassOf(tt.err); got != tt.want {
			t.Errorf("ClassOf(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestErrorStringAndUnwrap(t *testing.T) {
	reset := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	e := &Error{Class: QuotaExhausted, Status: 429, Code: "DAILY", Message: "You have reached your daily limit.",
		ResetAt: reset, Err: io.ErrUnexpectedEOF}
	s := e.Error()
	for _, want := range []string{"quota exhausted", "http 429", "DAILY", "daily limit", "unexpected EOF", "2026-03-01T00:00:00Z"} {
		if !strings.Contains(s, want) {
			t.Errorf("Error() = %q, missing %q", s, want)
		}
	}
	if !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Error("Unwrap does not reach the cause")
	}
}

func TestClassPredicates(t *testing.T) {
	for c := None; c <= Permanent; c++ {
		if got, want := c.Retryable(), c == Transient || c == RateLimited; got != want {
			t.Errorf("%v.Retryable() = %v", c, got)
		}
		if got, want := c.StopsRun(), c == QuotaExhausted || c == Auth || c == AuthRefreshDead; got != want {
			t.Errorf("%v.StopsRun() = %v", c, got)
		}
		if strings.HasPrefix(c.String(), "class(") {
			t.Errorf("class %d has no name", int(c))
		}
	}
	if got := Class(99).String(); got != "class(99)" {
		t.Errorf("unknown class String() = %q", got)
	}
}

func TestRetryRunSoonAndLoginBlocked(t *testing.T) {
	for c, want := range map[Class]bool{Transient: true, RateLimited: true, QuotaExhausted: false,
		Auth: false, LoginBlocked: false, Permanent: false} {
		if got := c.RetryRunSoon(); got != want {
			t.Errorf("%v.RetryRunSoon() = %v", c, got)
		}
	}
	if !LoginBlocked.StopsRun() || LoginBlocked.Retryable() || !errors.Is(&Error{Class: LoginBlocked}, ErrLoginBlocked) {
		t.Error("LoginBlocked must stop the run, never retry, and match its sentinel")
	}
}

func TestPauseUntil(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	midnight := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		err  error
		want time.Time
		ok   bool
	}{
		{"contract reset", fmt.Errorf("read: %w", &Error{Class: QuotaExhausted, ResetAt: midnight}), midnight, true},
		{"retry-after only", &Error{Class: QuotaExhausted, RetryAfter: 86400 * time.Second}, time.Time{}, false},
		{"transient with a long hint", &Error{Class: Transient, RetryAfter: 1 << 62, ResetAt: midnight}, time.Time{}, false},
		{"reset in the past", &Error{Class: QuotaExhausted, ResetAt: now.Add(-time.Hour)}, time.Time{}, false},
		{"reset beyond any daily reset", &Error{Class: QuotaExhausted, ResetAt: now.AddDate(137, 0, 0)}, now.Add(MaxPause), true},
		{"not a CRM error", errors.New("x"), time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := PauseUntil(tt.err, now)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("%s: %v %v, want %v %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if ValidPause(now.AddDate(137, 0, 0), now) || ValidPause(now.Add(-time.Second), now) || !ValidPause(midnight, now) {
		t.Error("ValidPause accepts a century or the past, or refuses tonight")
	}
}
