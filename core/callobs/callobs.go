// Package callobs watches every HTTP attempt a connector sends to its CRM:
// it times it, names its outcome, hands both to an observer (metrics) and
// logs it at debug level with a request id, so one slow or failing call can
// be found in the log. It knows no CRM: the connector names a call's kind.
package callobs

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"
)

// Outcomes of one attempt: a bounded set, so they can be metric labels.
const (
	OutcomeOK          = "ok"           // 1xx–3xx
	OutcomeClientError = "client_error" // 4xx other than 429
	OutcomeRateLimited = "rate_limited" // 429
	OutcomeServerError = "server_error" // 5xx
	OutcomeNetwork     = "network_error"
)

// Outcomes lists every outcome, for metrics that must exist before the first call.
var Outcomes = []string{OutcomeOK, OutcomeClientError, OutcomeRateLimited, OutcomeServerError, OutcomeNetwork}

// Call is one attempt that reached the transport.
type Call struct {
	Connector string
	Kind      string
	Outcome   string
	Status    int // 0 when no response arrived
	Duration  time.Duration
	RequestID string
}

// Observer receives every call; it is called from concurrent requests.
type Observer func(Call)

// OutcomeOf classifies a status code (0 = no response).
func OutcomeOf(status int) string {
	switch {
	case status == 0:
		return OutcomeNetwork
	case status == http.StatusTooManyRequests:
		return OutcomeRateLimited
	case status >= 500:
		return OutcomeServerError
	case status >= 400:
		return OutcomeClientError
	}
	return OutcomeOK
}

// Transport wraps base. kind names a request's kind as the connector's call
// counts do; nil names every call "other". obs and log may be nil.
func Transport(base http.RoundTripper, connector string, kind func(*http.Request) string, obs Observer, log *slog.Logger) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &transport{base: base, connector: connector, kind: kind, obs: obs, log: log}
}

type transport struct {
	base      http.RoundTripper
	connector string
	kind      func(*http.Request) string
	obs       Observer
	log       *slog.Logger
}

// RoundTrip times the attempt up to its response headers: what the CRM
// took to answer, not how long the caller spent reading the body.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := Call{Connector: t.connector, Kind: "other", RequestID: newID()}
	if t.kind != nil {
		c.Kind = t.kind(req)
	}
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	c.Duration = time.Since(start)
	if err == nil && resp != nil {
		c.Status = resp.StatusCode
	}
	c.Outcome = OutcomeOf(c.Status)
	if t.obs != nil {
		t.obs(c)
	}
	if t.log.Enabled(req.Context(), slog.LevelDebug) {
		// The path only: query strings may carry credentials on some APIs.
		attrs := []any{"request_id", c.RequestID, "connector", c.Connector, "kind", c.Kind, "method", req.Method,
			"path", req.URL.Path, "status", c.Status, "outcome", c.Outcome, "duration_seconds", c.Duration.Seconds()}
		if err != nil {
			attrs = append(attrs, "err", err)
		}
		t.log.DebugContext(req.Context(), "crm call", attrs...)
	}
	return resp, err
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
