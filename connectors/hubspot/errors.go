package hubspot

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// Rate-limit policies HubSpot names in 429 bodies (§6).
const (
	policyTenSecondly = "TEN_SECONDLY_ROLLING"
	policyDaily       = "DAILY"
)

// Waits when HubSpot sends no Retry-After, which is the usual case (§6).
const (
	// tenSecondWait lets the rolling burst window empty, as HubSpot's Node
	// client does (10 s × attempt).
	tenSecondWait = 10 * time.Second
	// secondlyWait is for the search limit's "secondly" 429.
	secondlyWait = time.Second
	// lockedWait: a 423 lock lasts 2 s (§7).
	lockedWait = 2 * time.Second
	// migrationWait is assumed for a 477 without Retry-After (documented in
	// seconds, up to ~24 h; the client caps each wait and gives up after its
	// retry budget, so a migration fails the run, never pauses later ones).
	migrationWait = time.Minute
)

// statusMigrating is HubSpot's 477: the account is moving data centres.
const statusMigrating = 477

// classifier refines crmhttp.DefaultClassifier with HubSpot's bodies and
// quirks: only EXPIRED_AUTHENTICATION asks for a token refresh, scopes and
// Cloudflare's 530 stop the run, the DAILY 429 stops it until the account's
// midnight, and the SSL/connect Cloudflare codes are not retried. loc is
// the account's time zone for the daily reset.
func classifier(loc *time.Location) crmhttp.Classifier {
	return func(a crmhttp.Attempt) crmhttp.Verdict {
		status, h, body := a.Status, a.Header, a.Body
		if a.Err != nil || (status >= 200 && status < 300) {
			return crmhttp.DefaultClassifier(a)
		}
		v := crmhttp.DefaultClassifier(a)
		retryAfter, hasRetryAfter := crmhttp.ParseRetryAfter(h.Get("Retry-After"), a.Now)
		v.RetryAfter = retryAfter
		e, isJSON := parseAPIError(body)
		if isJSON {
			v.Code = e.Category
			if e.Message != "" {
				v.Message = e.Message
			}
		}
		switch {
		case status == http.StatusUnauthorized:
			v.Class = crmerr.Auth
			v.Reauth = e.Category == "EXPIRED_AUTHENTICATION"
			if !v.Reauth {
				v.Message = "HubSpot rejected the access token (" + orDefault(e.Category, "401") +
					"): check crm.hubspot.token or the app's installation"
			}
		case status == http.StatusForbidden:
			v.Class = crmerr.Auth
			if scopes := requiredScopes(e); len(scopes) > 0 {
				v.Message = fmt.Sprintf("the app lacks a scope this call needs: grant one of %s in HubSpot",
					strings.Join(scopes, ", "))
			}
		case status == 530:
			v.Class = crmerr.Auth
			v.Message = "HubSpot answered 530, which it sends for a malformed access token: check the token"
		case status == http.StatusLocked:
			v.Class = crmerr.Transient
			v.RetryAfter = max(retryAfter, lockedWait)
		case status == http.StatusTooManyRequests:
			classify429(&v, e, hasRetryAfter, a.Now, loc)
		case status == statusMigrating:
			v.Class = crmerr.RateLimited
			if !hasRetryAfter {
				v.RetryAfter = migrationWait
			}
			v.Code = orDefault(v.Code, "MIGRATION_IN_PROGRESS")
		case status == 522 || status == 525 || status == 526:
			// Connection and SSL failures at Cloudflare: contact support (§7).
			v.Class = crmerr.Permanent
		case status == http.StatusNotImplemented || status == http.StatusHTTPVersionNotSupported:
			v.Class = crmerr.Permanent
		case status >= 500:
			v.Class = crmerr.Transient
		case status == http.StatusNotFound:
			v.Class = crmerr.NotFound
		case status >= 400:
			v.Class = crmerr.Validation
		}
		return v
	}
}

// classify429 tells the three 429s apart: DAILY stops the run until the
// next reset; the ten-secondly burst waits for its window; search's
// "secondly limit" (no policyName, §6) waits a second.
func classify429(v *crmhttp.Verdict, e apiError, hasRetryAfter bool, now time.Time, loc *time.Location) {
	switch {
	case e.PolicyName == policyDaily:
		v.Class = crmerr.QuotaExhausted
		v.Code = policyDaily
		v.ResetAt = nextDailyReset(now, loc)
		v.RetryAfter = 0
		v.Message = "HubSpot's daily API limit is used up"
		return
	case strings.Contains(strings.ToLower(e.Message), "secondly limit") && e.PolicyName != policyTenSecondly:
		v.Class, v.Code = crmerr.RateLimited, orDefault(e.PolicyName, "SECONDLY")
		if !hasRetryAfter {
			v.RetryAfter = secondlyWait
		}
	default:
		v.Class, v.Code = crmerr.RateLimited, orDefault(e.PolicyName, policyTenSecondly)
		if !hasRetryAfter {
			v.RetryAfter = tenSecondWait
		}
	}
}

// nextDailyReset is the next midnight in the account's time zone, when
// HubSpot's daily counter starts again (§6).
func nextDailyReset(now time.Time, loc *time.Location) time.Time {
	t := now.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
}

// requiredScopes lists the scopes a 403 MISSING_SCOPES names (§1.3).
func requiredScopes(e apiError) []string {
	var out []string
	add := func(ctx map[string][]string) {
		for _, s := range ctx["requiredGranularScopes"] {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	add(e.Context)
	for _, d := range e.Errors {
		add(d.Context)
	}
	return out
}

// isDeadRefresh recognises HubSpot's dead refresh token, which older
// answers report only as status BAD_REFRESH_TOKEN, without RFC 6749's
// invalid_grant (§1.2).
func isDeadRefresh(status int, body []byte) bool {
	e, ok := parseAPIError(body)
	return status == http.StatusBadRequest && ok && (e.Status == "BAD_REFRESH_TOKEN" || e.Error == "invalid_grant")
}

// Codes of a batch/update 400 whose fix is the field definition, not the
// value: the property is missing, read-only, or lacks the dropdown option.
var propertyLevelCodes = []string{"PROPERTY_DOESNT_EXIST", "INVALID_OPTION", "READ_ONLY_VALUE"}

// valueError is one invalid value of a whole-batch 400 (§5.3).
type valueError struct {
	Property, Code, Message string
}

// propertyValueErrors extracts the per-value errors of a batch/update 400
// VALIDATION_ERROR, from errors[] or, when that is missing, from the JSON
// array HubSpot embeds in the message. ok is false when the body is not a
// "property values were not valid" answer (a bad request of another kind).
func propertyValueErrors(body []byte) (errs []valueError, ok bool) {
	e, isJSON := parseAPIError(body)
	if !isJSON || e.Category != "VALIDATION_ERROR" {
		return nil, false
	}
	for _, d := range e.Errors {
		if d.Code == "" {
			continue
		}
		name := ""
		if n := d.Context["propertyName"]; len(n) > 0 {
			name = n[0]
		}
		errs = append(errs, valueError{Property: name, Code: d.Code, Message: d.Message})
	}
	if len(errs) > 0 {
		return errs, true
	}
	const lead = "Property values were not valid: "
	i := strings.Index(e.Message, lead)
	if i < 0 {
		return nil, false
	}
	var embedded []struct {
		Message string `json:"message"`
		Error   string `json:"error"`
		Name    string `json:"name"`
	}
	if err := jsonUnmarshalString(e.Message[i+len(lead):], &embedded); err != nil || len(embedded) == 0 {
		return nil, false
	}
	for _, m := range embedded {
		errs = append(errs, valueError{Property: m.Name, Code: m.Error, Message: m.Message})
	}
	return errs, true
}

// propertyLevel returns the errors whose cause is a field definition.
func propertyLevel(errs []valueError) []valueError {
	var out []valueError
	for _, e := range errs {
		if slices.Contains(propertyLevelCodes, e.Code) {
			out = append(out, e)
		}
	}
	return out
}

// fieldsError is the run-stopping error for property-level write failures:
// it names each property and what the admin should do.
func fieldsError(object string, errs []valueError) error {
	// HubSpot repeats the cause for every record of the batch: name each
	// property and code once.
	var parts []string
	for _, e := range errs {
		p := fmt.Sprintf("%s: %s (%s)", orDefault(e.Property, "?"), e.Code, crmhttp.RedactString(e.Message))
		if !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	return &crmerr.Error{Class: crmerr.Validation, Status: http.StatusBadRequest, Code: errs[0].Code,
		Message: fmt.Sprintf("HubSpot refused a %s field definition, not a value: %s; run `rfmsync fields ensure` "+
			"to create the fields and their dropdown options, or fix the field mapping",
			object, strings.Join(parts, "; "))}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
