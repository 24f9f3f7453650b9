package crmhttp

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// Reading is what a response's headers say about a limit.
type Reading struct {
	Remaining int64 // calls left in the limit's window
	Max       int64 // the window's size, 0 if not sent
}

// HeaderParser reads a limit from response headers; ok is false when the
// response does not report it (HubSpot omits the daily headers on OAuth
// and search calls; vtenext sends none at all).
type HeaderParser func(http.Header) (r Reading, ok bool)

// RemainingHeader parses a limit sent as two integer headers, remaining and
// (optionally) max, such as X-…-Daily-Remaining and X-…-Daily.
func RemainingHeader(remaining, limit string) HeaderParser {
	return func(h http.Header) (Reading, bool) {
		n, err := strconv.ParseInt(strings.TrimSpace(h.Get(remaining)), 10, 64)
		if err != nil || n < 0 {
			return Reading{}, false
		}
		r := Reading{Remaining: n}
		if limit != "" {
			if m, err := strconv.ParseInt(strings.TrimSpace(h.Get(limit)), 10, 64); err == nil && m > 0 {
				r.Max = m
			}
		}
		return r, true
	}
}

// UsageHeader parses a limit sent as a "key=used/max" token inside one
// header, such as "api-usage=1288/150000" (other tokens may follow).
func UsageHeader(name, key string) HeaderParser {
	return func(h http.Header) (Reading, bool) {
		for _, v := range h.Values(name) {
			for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
				k, val, ok := strings.Cut(tok, "=")
				if !ok || !strings.EqualFold(k, key) {
					continue
				}
				u, m, ok := strings.Cut(val, "/")
				used, err1 := strconv.ParseInt(u, 10, 64)
				limit, err2 := strconv.ParseInt(m, 10, 64)
				if !ok || err1 != nil || err2 != nil || used < 0 || limit <= 0 {
					return Reading{}, false
				}
				return Reading{Remaining: max(limit-used, 0), Max: limit}, true
			}
		}
		return Reading{}, false
	}
}

// BudgetConfig describes a CRM's long-window call budget (a daily limit).
type BudgetConfig struct {
	// Limit caps the calls this client makes per period; 0 means only the
	// CRM's own report (Parse) counts.
	Limit int64
	// Parse reads the CRM's report of calls left from each response; nil
	// means the CRM sends none.
	Parse HeaderParser
	// NextReset returns when the period holding now ends (HubSpot: the
	// account's next midnight). Nil means the CRM's window rolls (Salesforce's
	// 24 h): the count never restarts, and an exhausted budget names no
	// reset, so it stops this run but does not pause later ones.
	NextReset func(now time.Time) time.Time
	// Code and Message fill the QuotaExhausted error of a refused call,
	// naming the contract's limit and the config key to change.
	Code, Message string
}

// Budget refuses calls once the period's budget is spent, before they cost
// a call: what the CRM last reported left, or Limit calls of our own. It
// is safe for concurrent use.
type Budget struct {
	cfg BudgetConfig

	mu        sync.Mutex
	resetAt   time.Time // end of the period the counters belong to
	used      int64
	remaining int64
	max       int64
	known     bool
}

// NewBudget returns an empty budget for cfg.
func NewBudget(cfg BudgetConfig) *Budget {
	if cfg.Message == "" {
		cfg.Message = "the CRM's daily API limit is used up"
	}
	return &Budget{cfg: cfg}
}

// roll starts a new period's count once its reset has passed. Caller holds b.mu.
func (b *Budget) roll(now time.Time) {
	if b.cfg.NextReset != nil && !now.Before(b.resetAt) {
		b.resetAt = b.cfg.NextReset(now)
		b.used, b.known = 0, false
	}
}

// admit books one call or refuses it with QuotaExhausted.
func (b *Budget) admit(now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	if (b.known && b.remaining <= 0) || (b.cfg.Limit > 0 && b.used >= b.cfg.Limit) {
		return &crmerr.Error{Class: crmerr.QuotaExhausted, Code: b.cfg.Code, ResetAt: b.resetAt, Message: b.cfg.Message}
	}
	b.used++
	return nil
}

// observe reads the CRM's report from a response's headers.
func (b *Budget) observe(now time.Time, h http.Header) {
	if b.cfg.Parse == nil {
		return
	}
	r, ok := b.cfg.Parse(h)
	if !ok {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	b.remaining, b.known = r.Remaining, true
	if r.Max > 0 {
		b.max = r.Max
	}
}

// Remaining is what the CRM last reported left in this period, if it did,
// else what is left of Limit; ok is false when neither is known.
func (b *Budget) Remaining(now time.Time) (n int64, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	switch {
	case b.known:
		return b.remaining, true
	case b.cfg.Limit > 0:
		return max(b.cfg.Limit-b.used, 0), true
	}
	return 0, false
}

// Reported is the CRM's own last report in this period, if any: the
// figure a plan shows as "quota left".
func (b *Budget) Reported(now time.Time) (Reading, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	return Reading{Remaining: b.remaining, Max: b.max}, b.known
}

// Usage is this period's calls against the budget, for quota metrics: what
// the CRM reports used when it reports (max − remaining), else the calls
// counted here; limit is the CRM's reported maximum, else Limit.
func (b *Budget) Usage(now time.Time) (used, limit int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	used, limit = b.used, b.cfg.Limit
	if b.max > 0 {
		limit = b.max
	}
	if b.known && limit-b.remaining > used {
		used = limit - b.remaining
	}
	return used, limit
}
