package salesforce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// Salesforce error codes rfmsync acts on (§6.5, §7, §4.5).
const (
	codeInvalidSession   = "INVALID_SESSION_ID"
	codeRequestLimit     = "REQUEST_LIMIT_EXCEEDED"
	codeInvalidLocator   = "INVALID_QUERY_LOCATOR"
	codeQueryTimeout     = "QUERY_TIMEOUT"
	codeUnableToLock     = "UNABLE_TO_LOCK_ROW"
	codeEntityDeleted    = "ENTITY_IS_DELETED"
	codeInvalidCrossRef  = "INVALID_CROSS_REFERENCE_KEY"
	codeNotFound         = "NOT_FOUND"
	codeInvalidField     = "INVALID_FIELD"
	codeInvalidFieldEdit = "INVALID_FIELD_FOR_INSERT_UPDATE"
	codeServerError      = "UNKNOWN_EXCEPTION"
)

// concurrentLimit is the message that sets the short concurrency cap apart
// from the daily allocation under the same REQUEST_LIMIT_EXCEEDED (§6.4).
const concurrentLimit = "ConcurrentPerOrgLongTxn"

// classify refines crmhttp's generic verdict with Salesforce's error
// array (§6.5):
//
//   - 401 INVALID_SESSION_ID: re-authenticate once and replay (query
//     locators refuse the replay: Request.NoReplay);
//   - 403 REQUEST_LIMIT_EXCEEDED "TotalRequests": QuotaExhausted without a
//     reset time, because the 24 h window rolls: the run stops and the next
//     cron tick tries again; "ConcurrentPerOrgLongTxn": transient, it clears
//     in seconds;
//   - 400 QUERY_TIMEOUT, 5xx (JSON or HTML), 406, 420, 429: transient;
//   - 400 INVALID_QUERY_LOCATOR: validation, recognised by ReadPage, which
//     re-queries from its keyset;
//   - a 2xx JSON answer that does not parse (truncated): transient;
//   - everything else keeps the generic class, with the code and message.
func classify(a crmhttp.Attempt) crmhttp.Verdict {
	v := crmhttp.DefaultClassifier(a)
	if a.Err != nil {
		return v
	}
	if a.Status >= 200 && a.Status < 300 {
		if len(bytes.TrimSpace(a.Body)) > 0 && strings.Contains(a.Header.Get("Content-Type"), "json") && !json.Valid(a.Body) {
			return crmhttp.Verdict{Class: crmerr.Transient, Message: "the answer is not complete JSON"}
		}
		return v
	}
	errs, ok := parseErrors(a.Body)
	if ok {
		v.Code, v.Message = errs[0].ErrorCode, errs[0].Message
	}
	switch {
	case a.Status == http.StatusUnauthorized:
		v.Class, v.Reauth = crmerr.Auth, true
	case v.Code == codeRequestLimit && strings.Contains(v.Message, concurrentLimit):
		v.Class = crmerr.Transient
	case v.Code == codeRequestLimit:
		v.Class = crmerr.QuotaExhausted
		v.Message = "the org's rolling 24 h API request allocation is used up (REQUEST_LIMIT_EXCEEDED TotalRequests); the next scheduled run tries again"
	case v.Code == codeQueryTimeout:
		v.Class = crmerr.Transient
	case a.Status == http.StatusNotAcceptable || a.Status == 420:
		v.Class = crmerr.Transient
	case a.Status == http.StatusGone:
		v.Class = crmerr.Permanent
		v.Message = "this API version is retired (410): raise api_version"
	}
	return v
}

// errorCode returns the first Salesforce error code of a failed call's
// response, if its body is an error array.
func errorCode(resp *crmhttp.Response) string {
	if resp == nil {
		return ""
	}
	if errs, ok := parseErrors(resp.Body); ok {
		return errs[0].ErrorCode
	}
	return ""
}

// fieldError is a write or read refused because of a field's setup (it is
// missing, hidden by field-level security or not editable): no later batch
// can do better, so it stops the run and says what to run.
func fieldError(object, code, message string, fields []string) error {
	name := strings.Join(fields, ", ")
	if name == "" {
		name = "a mapped field"
	}
	return &crmerr.Error{Class: crmerr.Validation, Code: code,
		Message: fmt.Sprintf("%s field %s cannot be written (%s: %s); run `rfmsync fields ensure` to create it or to see what to grant the integration user",
			object, name, code, message)}
}

// errorCodeOf returns the Salesforce code in err's chain, if any.
func errorCodeOf(err error) string {
	var e *crmerr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
