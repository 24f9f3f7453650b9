package salesforce

import (
	"net/http"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

func TestClassify(t *testing.T) {
	jsonHdr := http.Header{"Content-Type": {"application/json;charset=UTF-8"}}
	for _, tc := range []struct {
		name   string
		status int
		body   string
		class  crmerr.Class
		reauth bool
	}{
		{"session", 401, `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`, crmerr.Auth, true},
		{"daily", 403, `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`, crmerr.QuotaExhausted, false},
		{"concurrent", 403, `[{"message":"ConcurrentPerOrgLongTxn Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`, crmerr.Transient, false},
		{"query timeout", 400, `[{"message":"Your query request was running for too long.","errorCode":"QUERY_TIMEOUT"}]`, crmerr.Transient, false},
		{"locator", 400, `[{"message":"invalid query locator","errorCode":"INVALID_QUERY_LOCATOR"}]`, crmerr.Validation, false},
		{"malformed", 400, `[{"message":"unexpected token","errorCode":"MALFORMED_QUERY"}]`, crmerr.Validation, false},
		{"500", 500, `[{"message":"An unexpected error occurred.","errorCode":"UNKNOWN_EXCEPTION"}]`, crmerr.Transient, false},
		{"html 503", 503, `<html>down</html>`, crmerr.Transient, false},
		{"edge 420", 420, ``, crmerr.Transient, false},
		{"edge 406", 406, ``, crmerr.Transient, false},
		{"429", 429, ``, crmerr.RateLimited, false},
		{"retired", 410, `[{"message":"gone","errorCode":"API_VERSION_RETIRED"}]`, crmerr.Permanent, false},
		{"truncated 200", 200, `{"totalSize":3,"done":tr`, crmerr.Transient, false},
		{"ok", 200, `{"totalSize":0,"done":true,"records":[]}`, crmerr.None, false},
	} {
		v := classify(crmhttp.Attempt{Status: tc.status, Header: jsonHdr, Body: []byte(tc.body), Now: time.Now()})
		if v.Class != tc.class || v.Reauth != tc.reauth {
			t.Errorf("%s: class %v reauth %t, want %v %t", tc.name, v.Class, v.Reauth, tc.class, tc.reauth)
		}
		if v.Class == crmerr.QuotaExhausted && !v.ResetAt.IsZero() {
			t.Errorf("%s: a rolling window names a reset", tc.name)
		}
	}
}
