package vtenext

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// Operations rfmsync calls, also the call kinds Calls reports.
const (
	opChallenge = "getchallenge"
	opLogin     = "login"
	opDescribe  = "describe"
	opQuery     = "query"
	opRevise    = "revise"
)

// Error codes the connector branches on (§7.1); messages are localised.
const (
	codeAccessDenied   = "ACCESS_DENIED"
	codeDatabaseError  = "DATABASE_QUERY_ERROR"
	codeInvalidSession = "INVALID_SESSIONID"
	codeAuthRequired   = "AUTHENTICATION_REQUIRED"
	codeMaintenance    = "MAINTENANCE"
)

// maintenanceWait is how long a maintenance answer is waited out before
// the call is tried again.
const maintenanceWait = 30 * time.Second

// envelope is webservice.php's answer (§1.2): error is an object, or a
// string in maintenance mode.
type envelope struct {
	Success bool            `json:"success"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

type wsError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// parseEnvelope reads a body; ok is false when it is not the envelope.
func parseEnvelope(body []byte) (envelope, wsError, bool) {
	var e envelope
	if json.Unmarshal(body, &e) != nil || (!e.Success && len(e.Error) == 0) {
		return e, wsError{}, false
	}
	if e.Success {
		return e, wsError{}, true
	}
	var we wsError
	if json.Unmarshal(e.Error, &we) != nil {
		var msg string
		_ = json.Unmarshal(e.Error, &msg)
		we = wsError{Code: codeMaintenance, Message: msg}
	}
	if we.Code == "" {
		we.Code = "UNKNOWN_ERROR" // a failure without a code is still a failure
	}
	return e, we, true
}

// classify reads one attempt: vtenext answers handled errors with HTTP 200
// and success:false, so a 200 is judged by its body; other statuses (PHP
// fatals, proxies) are generic HTTP. ACCESS_DENIED means different things
// per operation, so it is left to the caller as Validation with its code.
func classify(a crmhttp.Attempt) crmhttp.Verdict {
	if a.Err != nil || a.Status != http.StatusOK {
		return crmhttp.DefaultClassifier(a)
	}
	_, we, ok := parseEnvelope(a.Body)
	switch {
	case !ok:
		// A 200 that is not the envelope: a truncated body or a proxy page.
		return crmhttp.Verdict{Class: crmerr.Transient, Message: "answer is not the web-service envelope"}
	case we.Code == "":
		return crmhttp.Verdict{}
	}
	v := crmhttp.Verdict{Code: we.Code, Message: we.Message}
	switch we.Code {
	case codeMaintenance:
		v.Class, v.RetryAfter = crmerr.Transient, maintenanceWait
	case codeInvalidSession, codeAuthRequired, "SESSION_EXPIRED", "SESSION_LEFT_IDLE":
		// At login AUTHENTICATION_REQUIRED means an inactive user: login
		// requests carry no session, so the replay never applies to them.
		v.Class, v.Reauth = crmerr.Auth, true
	case "INVALID_USER_CREDENTIALS", "INVALID_AUTH_TOKEN", "LOGIN_LOCKED", "IP_BANNED", "ACCESSKEY_UNDEFINED", "AUTHENTICATION_FAILURE":
		v.Class = crmerr.Auth
	case "INTERNAL_SERVER_ERROR":
		v.Class = crmerr.Transient
	case "RECORD_NOT_FOUND":
		v.Class = crmerr.NotFound
	case codeAccessDenied, "REFERENCE_INVALID", "MANDATORY_FIELDS_MISSING":
		v.Class = crmerr.Validation
	default:
		// DATABASE_QUERY_ERROR is retried once by the caller (§7.1); syntax
		// errors, wrong ids and unknown operations are bugs.
		v.Class = crmerr.Permanent
	}
	return v
}

// classifier adapts classify to crmhttp's classifier signature.
func classifier() crmhttp.Classifier { return classify }

// workerKey carries a write worker's session index in a request context.
type workerKey struct{}

func withWorker(ctx context.Context, i int) context.Context {
	return context.WithValue(ctx, workerKey{}, i)
}

func workerOf(ctx context.Context) int {
	i, _ := ctx.Value(workerKey{}).(int)
	return i
}

// call sends one operation on its registered channel (§1.1): GET-type
// operations carry their parameters in the query string, POST-type ones in
// the form body; operation itself always travels in the query string, where
// the server reads it for both and the pacer can see it. A
// DATABASE_QUERY_ERROR is tried once more. out receives result.
func (c *Connector) call(ctx context.Context, op string, params url.Values, noAuth bool, out any) error {
	r := &crmhttp.Request{Path: "webservice.php", Query: url.Values{"operation": {op}}, NoAuth: noAuth, Op: op,
		Header: http.Header{"Accept": {"application/json"}}}
	switch op {
	case opLogin, opRevise:
		r.Method = http.MethodPost
		r.Body = []byte(params.Encode())
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		r.Method = http.MethodGet
		for k, vs := range params {
			r.Query[k] = vs
		}
	}
	var resp *crmhttp.Response
	var err error
	for try := 0; try < 2; try++ {
		resp, err = c.http.Do(ctx, r)
		if e, ok := crmerr.As(err); !ok || e.Code != codeDatabaseError {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	e, _, _ := parseEnvelope(resp.Body)
	if out == nil {
		return nil
	}
	if r := bytes.TrimSpace(e.Result); len(r) == 0 || bytes.Equal(r, []byte("null")) {
		return fmt.Errorf("%s: %w", op, &crmerr.Error{Class: crmerr.Permanent, Status: resp.Status, Message: "success without a result"})
	}
	if err := json.Unmarshal(e.Result, out); err != nil {
		return fmt.Errorf("%s: %w", op, &crmerr.Error{Class: crmerr.Permanent, Status: resp.Status,
			Message: "result does not have the documented shape", Err: err})
	}
	return nil
}

// quote renders a VTQL string literal: single quotes doubled (§4.2). The
// empty string cannot be written in VTQL at all.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// isOp reports whether a request is of operation op.
func isOp(op string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Query().Get("operation") == op }
}
