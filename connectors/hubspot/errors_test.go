package hubspot

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// Bodies as HubSpot sends them (hubspot.md §1.3, §6, §7).
const (
	bodyExpired = `{"status":"error","message":"The OAuth token used to make this call expired 75 second(s) ago.",` +
		`"correlationId":"8f2a","category":"EXPIRED_AUTHENTICATION","context":{"expire time":["2022-06-21T10:37:52.040Z"]}}`
	bodyInvalidAuth = `{"status":"error","message":"Authentication credentials not found.","correlationId":"c","category":"INVALID_AUTHENTICATION"}`
	bodyScopes      = `{"status":"error","message":"This app hasn't been granted all required scopes to make this call.",` +
		`"correlationId":"c","category":"MISSING_SCOPES","errors":[{"message":"One or more of the following scopes are required.",` +
		`"context":{"requiredGranularScopes":["crm.objects.deals.read"]}}]}`
	bodyTenSecondly = `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT",` +
		`"correlationId":"c","policyName":"TEN_SECONDLY_ROLLING","groupName":"publicapi:private_app-api-calls-ten-secondly:1:2"}`
	bodyDaily = `{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT",` +
		`"correlationId":"c033","policyName":"DAILY","requestId":"3d3e"}`
	bodySecondly   = `{"status":"error","message":"You have reached your secondly limit.","errorType":"RATE_LIMIT","correlationId":"c"}`
	bodyValidation = `{"status":"error","message":"Search results are limited to 10000","correlationId":"c","category":"VALIDATION_ERROR"}`
	bodyLocked     = `{"status":"error","message":"The record is locked","correlationId":"c","category":"LOCKED"}`
	htmlCloudflare = "<html><head><title>524 A timeout occurred</title></head><body>cloudflare</body></html>"
)

func TestClassifier(t *testing.T) {
	now := time.Date(2026, 3, 14, 22, 30, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	classify := classifier(berlin)
	// Midnight in Berlin after 23:30 CET on March 14 is March 15 00:00 CET.
	reset := time.Date(2026, 3, 15, 0, 0, 0, 0, berlin)
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		class      crmerr.Class
		reauth     bool
		retryAfter time.Duration
		resetAt    time.Time
		code       string
		message    string // substring
	}{
		{name: "ok", status: 200, class: crmerr.None},
		{name: "multi-status", status: 207, body: `{"status":"COMPLETE"}`, class: crmerr.None},
		{name: "expired token refreshes", status: 401, body: bodyExpired, class: crmerr.Auth, reauth: true, code: "EXPIRED_AUTHENTICATION"},
		{name: "invalid token does not", status: 401, body: bodyInvalidAuth, class: crmerr.Auth, code: "INVALID_AUTHENTICATION", message: "rejected the access token"},
		{name: "bare 401 does not", status: 401, class: crmerr.Auth},
		{name: "missing scopes named", status: 403, body: bodyScopes, class: crmerr.Auth, code: "MISSING_SCOPES", message: "crm.objects.deals.read"},
		{name: "530 malformed token", status: 530, body: "<html>Origin DNS error</html>", class: crmerr.Auth, message: "malformed access token"},
		{name: "423 waits 2s", status: 423, body: bodyLocked, class: crmerr.Transient, retryAfter: 2 * time.Second},
		{name: "423 honours longer Retry-After", status: 423, header: http.Header{"Retry-After": {"5"}}, class: crmerr.Transient, retryAfter: 5 * time.Second},
		{name: "ten-secondly waits 10s", status: 429, body: bodyTenSecondly, class: crmerr.RateLimited, retryAfter: 10 * time.Second, code: "TEN_SECONDLY_ROLLING"},
		{name: "ten-secondly honours Retry-After", status: 429, header: http.Header{"Retry-After": {"3"}}, body: bodyTenSecondly, class: crmerr.RateLimited, retryAfter: 3 * time.Second},
		{name: "search secondly waits 1s", status: 429, body: bodySecondly, class: crmerr.RateLimited, retryAfter: time.Second},
		{name: "unknown 429 waits a window", status: 429, body: "<html>slow down</html>", class: crmerr.RateLimited, retryAfter: 10 * time.Second},
		{name: "daily stops until midnight", status: 429, body: bodyDaily, class: crmerr.QuotaExhausted, resetAt: reset, code: "DAILY"},
		{name: "477 honours Retry-After", status: 477, header: http.Header{"Retry-After": {"90"}}, class: crmerr.RateLimited, retryAfter: 90 * time.Second},
		{name: "477 without Retry-After", status: 477, class: crmerr.RateLimited, retryAfter: time.Minute, code: "MIGRATION_IN_PROGRESS"},
		{name: "500", status: 500, body: `{"status":"error","message":"internal"}`, class: crmerr.Transient},
		{name: "502 html", status: 502, body: "<html>bad gateway</html>", class: crmerr.Transient, message: "Bad Gateway"},
		{name: "503", status: 503, class: crmerr.Transient},
		{name: "504", status: 504, class: crmerr.Transient},
		{name: "521", status: 521, class: crmerr.Transient},
		{name: "523", status: 523, class: crmerr.Transient},
		{name: "524 html", status: 524, body: htmlCloudflare, class: crmerr.Transient},
		{name: "522 connection", status: 522, class: crmerr.Permanent},
		{name: "525 ssl", status: 525, class: crmerr.Permanent},
		{name: "526 ssl", status: 526, class: crmerr.Permanent},
		{name: "400 validation", status: 400, body: bodyValidation, class: crmerr.Validation, code: "VALIDATION_ERROR", message: "limited to 10000"},
		{name: "404", status: 404, body: `{"status":"error","message":"resource not found"}`, class: crmerr.NotFound},
		{name: "404 html route", status: 404, body: "<html>Not Found</html>", class: crmerr.NotFound},
		{name: "409 conflict", status: 409, body: `{"status":"error","category":"OBJECT_ALREADY_EXISTS","message":"exists"}`, class: crmerr.Validation, code: "OBJECT_ALREADY_EXISTS"},
		{name: "414 html", status: 414, body: "<html>Request-URI Too Large</html>", class: crmerr.Validation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			v := classify(crmhttp.Attempt{Status: tt.status, Header: h, Body: []byte(tt.body), Now: now})
			if v.Class != tt.class || v.Reauth != tt.reauth {
				t.Errorf("class %v reauth %v, want %v reauth %v", v.Class, v.Reauth, tt.class, tt.reauth)
			}
			if tt.retryAfter != 0 && v.RetryAfter != tt.retryAfter {
				t.Errorf("retry after %v, want %v", v.RetryAfter, tt.retryAfter)
			}
			if !tt.resetAt.IsZero() && !v.ResetAt.Equal(tt.resetAt) {
				t.Errorf("reset at %v, want %v", v.ResetAt, tt.resetAt)
			}
			if tt.code != "" && v.Code != tt.code {
				t.Errorf("code %q, want %q", v.Code, tt.code)
			}
			if !strings.Contains(v.Message, tt.message) {
				t.Errorf("message %q lacks %q", v.Message, tt.message)
			}
		})
	}
}

func TestClassifierTransportErrors(t *testing.T) {
	classify := classifier(time.UTC)
	if v := classify(crmhttp.Attempt{Err: io.ErrUnexpectedEOF}); v.Class != crmerr.Transient {
		t.Errorf("dropped connection: %v, want transient", v.Class)
	}
	if v := classify(crmhttp.Attempt{Err: errors.New(`unsupported protocol scheme "ftp"`)}); v.Class != crmerr.Permanent {
		t.Errorf("bad scheme: %v, want permanent", v.Class)
	}
}

func TestNextDailyReset(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now  time.Time
		loc  *time.Location
		want time.Time
	}{
		{time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC), time.UTC, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		// 03:00 UTC is still the previous evening in New York.
		{time.Date(2026, 7, 4, 3, 0, 0, 0, time.UTC), ny, time.Date(2026, 7, 4, 0, 0, 0, 0, ny)},
		// Across the spring DST change the day is 23 h long.
		{time.Date(2026, 3, 8, 1, 0, 0, 0, ny), ny, time.Date(2026, 3, 9, 0, 0, 0, 0, ny)},
	}
	for _, tt := range tests {
		if got := nextDailyReset(tt.now, tt.loc); !got.Equal(tt.want) {
			t.Errorf("nextDailyReset(%v, %v) = %v, want %v", tt.now, tt.loc, got, tt.want)
		}
	}
}

func TestIsDeadRefresh(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   bool
	}{
		{400, `{"status":"BAD_REFRESH_TOKEN","message":"missing or unknown refresh token","correlationId":"c"}`, true},
		{400, `{"error":"invalid_grant","error_description":"refresh token is invalid, expired or revoked","status":"BAD_REFRESH_TOKEN"}`, true},
		{400, `{"status":"BAD_CLIENT_ID","message":"missing or unknown client id"}`, false},
		{400, `<html>bad request</html>`, false},
		{500, `{"status":"BAD_REFRESH_TOKEN"}`, false},
	}
	for _, tt := range tests {
		if got := isDeadRefresh(tt.status, []byte(tt.body)); got != tt.want {
			t.Errorf("isDeadRefresh(%d, %s) = %v, want %v", tt.status, tt.body, got, tt.want)
		}
	}
}

func TestPropertyValueErrors(t *testing.T) {
	withErrors := `{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"gold was not one of the allowed options\",\"error\":\"INVALID_OPTION\",\"name\":\"rfm_segment\"}]",` +
		`"correlationId":"c","category":"VALIDATION_ERROR","errors":[{"message":"gold was not one of the allowed options","code":"INVALID_OPTION","context":{"propertyName":["rfm_segment"]}}]}`
	embeddedOnly := `{"status":"error","message":"Property values were not valid: [{\"isValid\":false,\"message\":\"abc was not a valid number.\",\"error\":\"INVALID_INTEGER\",\"name\":\"rfm_monetary\"}]",` +
		`"correlationId":"c","category":"VALIDATION_ERROR"}`
	tests := []struct {
		name, body string
		ok         bool
		want       []valueError
		propLevel  int
	}{
		{"errors array", withErrors, true, []valueError{{"rfm_segment", "INVALID_OPTION", "gold was not one of the allowed options"}}, 1},
		{"embedded message only", embeddedOnly, true, []valueError{{"rfm_monetary", "INVALID_INTEGER", "abc was not a valid number."}}, 0},
		{"other validation", bodyValidation, false, nil, 0},
		{"html", "<html>400</html>", false, nil, 0},
		{"broken embedded json", `{"category":"VALIDATION_ERROR","message":"Property values were not valid: [{oops"}`, false, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := propertyValueErrors([]byte(tt.body))
			if ok != tt.ok || len(got) != len(tt.want) {
				t.Fatalf("got %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("error %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if n := len(propertyLevel(got)); n != tt.propLevel {
				t.Errorf("%d property-level errors, want %d", n, tt.propLevel)
			}
		})
	}
}
