package vtenext

import (
	"net/http"
	"testing"

	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

func TestClassify(t *testing.T) {
	for body, want := range map[string]struct {
		class  crmerr.Class
		reauth bool
	}{
		`{"success":true,"result":[]}`:                                                      {crmerr.None, false},
		`{"success":false,"error":{"code":"INVALID_SESSIONID","message":"x"}}`:              {crmerr.Auth, true},
		`{"success":false,"error":{"code":"AUTHENTICATION_REQUIRED","message":"x"}}`:        {crmerr.Auth, true},
		`{"success":false,"error":{"code":"LOGIN_LOCKED","message":"x"}}`:                   {crmerr.Auth, false},
		`{"success":false,"error":{"code":"ACCESS_DENIED","message":"x"}}`:                  {crmerr.Validation, false},
		`{"success":false,"error":{"code":"DATABASE_QUERY_ERROR","message":"x"}}`:           {crmerr.Permanent, false},
		`{"success":false,"error":{"code":"INTERNAL_SERVER_ERROR","message":"x"}}`:          {crmerr.Transient, false},
		`{"success":false,"error":{"code":"QUERY_SYNTAX_ERROR","message":"x"}}`:             {crmerr.Permanent, false},
		`{"success":false,"error":"Il sistema &egrave; in manutenzione"}`:                   {crmerr.Transient, false},
		`{"success":false,"error":{}}`:                                                      {crmerr.Permanent, false},
		`<html>PHP Fatal error</html>`:                                                      {crmerr.Transient, false},
		`{"success":true}`:                                                                  {crmerr.None, false},
		`{"success":false,"error":{"message":"x","code":"MANDATORY_FIELDS_MISSING"},"x":1}`: {crmerr.Validation, false},
	} {
		v := classify(crmhttp.Attempt{Status: http.StatusOK, Body: []byte(body)})
		if v.Class != want.class || v.Reauth != want.reauth {
			t.Errorf("%s: %v reauth %v, want %v %v", body, v.Class, v.Reauth, want.class, want.reauth)
		}
	}
	if v := classify(crmhttp.Attempt{Status: 500, Body: []byte("<html>")}); v.Class != crmerr.Transient {
		t.Errorf("HTTP 500 page: %v", v.Class)
	}
}
