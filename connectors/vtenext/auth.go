package vtenext

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// reloginIdle logs a session in again before PHP's idle garbage collection
// (~24 min) can have dropped it (§2.3).
const reloginIdle = 20 * time.Minute

// sessions is the connector's crmhttp.Auth: one vtenext session per write
// worker (worker 0 also reads), each a crmhttp session-login Auth sent as
// the sessionName query parameter. They share one login breaker: a refused
// login stops every session from logging in again until the credentials
// change, because five failed logins lock the user (§2.5).
type sessions struct {
	pool []*crmhttp.TokenAuth
}

func newSessions(c *Connector, n int, breaker crmhttp.Breaker) (*sessions, error) {
	o := c.o
	fp := crmhttp.Fingerprint(o.URL, o.Username, o.accessKey)
	s := &sessions{pool: make([]*crmhttp.TokenAuth, n)}
	for i := range s.pool {
		a, err := crmhttp.NewSessionAuth(crmhttp.SessionConfig{Login: c.login, QueryParam: "sessionName",
			Breaker: breaker, Fingerprint: fp, IdleTimeout: reloginIdle, Now: c.now, Logger: c.log})
		if err != nil {
			return nil, err
		}
		s.pool[i] = a
	}
	return s, nil
}

// Authorize puts the worker's session on req, logging in first if needed.
func (s *sessions) Authorize(ctx context.Context, req *http.Request) error {
	return s.pool[workerOf(ctx)%len(s.pool)].Authorize(ctx, req)
}

// Invalidate marks the session a rejected request carried as dead; the
// one Auth that issued it logs in afresh on its next use.
func (s *sessions) Invalidate(rejected *http.Request) bool {
	ok := true
	for _, a := range s.pool {
		ok = a.Invalidate(rejected) && ok
	}
	return ok
}

// BindStats counts the logins with the client's calls.
func (s *sessions) BindStats(st *crmhttp.Stats) {
	for _, a := range s.pool {
		a.BindStats(st)
	}
}

// login runs getchallenge + login (§2.1, §2.2). INVALID_AUTH_TOKEN gets one
// fresh challenge; any other refusal is an Auth error telling the admin
// what to fix, which trips the breaker.
func (c *Connector) login(ctx context.Context) (crmhttp.Session, error) {
	o := c.o
	for try := 0; ; try++ {
		var ch struct {
			Token string `json:"token"`
		}
		if err := c.call(ctx, opChallenge, url.Values{"username": {o.Username}}, true, &ch); err != nil {
			return crmhttp.Session{}, c.refused(err)
		}
		sum := md5.Sum([]byte(ch.Token + o.accessKey))
		var res struct {
			SessionName string `json:"sessionName"`
		}
		err := c.call(ctx, opLogin, url.Values{"username": {o.Username}, "accessKey": {hex.EncodeToString(sum[:])}}, true, &res)
		if e, ok := crmerr.As(err); ok && e.Code == "INVALID_AUTH_TOKEN" && try == 0 {
			continue
		}
		if err != nil {
			return crmhttp.Session{}, c.refused(err)
		}
		if res.SessionName == "" {
			return crmhttp.Session{}, &crmerr.Error{Class: crmerr.Transient, Message: "login answered without a sessionName"}
		}
		c.log.Info("logged in to vtenext")
		return crmhttp.Session{Token: res.SessionName}, nil
	}
}

// refused turns a refused login into the error the admin reads; other
// failures (an outage) pass unchanged and do not trip the breaker.
func (c *Connector) refused(err error) error {
	e, ok := crmerr.As(err)
	if !ok || e.Class != crmerr.Auth {
		return err
	}
	o := c.o
	fix := map[string]string{
		"INVALID_USER_CREDENTIALS": "vtenext refused the access key of user %q: copy the Webservice Access Key from the user's My Preferences into " + o.key("access_key"),
		"INVALID_AUTH_TOKEN":       "vtenext does not know user %q (its login challenge was refused): check " + o.key("username"),
		"LOGIN_LOCKED":             "vtenext locked user %q after repeated failed logins: an administrator must unlock it (or follow the link vtenext e-mailed to the user), then check " + o.key("access_key"),
		"IP_BANNED":                "vtenext banned this host's IP after 100 failed logins (user %q): an administrator must lift the ban",
		"AUTHENTICATION_REQUIRED":  "vtenext user %q is inactive: activate it in Settings → Users",
		"ACCESSKEY_UNDEFINED":      "vtenext user %q has no access key: generate one in the user's My Preferences and put it in " + o.key("access_key"),
	}[e.Code]
	if fix == "" {
		fix = "vtenext refused the login of user %q: check " + o.key("username") + " and " + o.key("access_key")
	}
	return &crmerr.Error{Class: crmerr.Auth, Code: e.Code, Status: e.Status,
		Message: fmt.Sprintf(fix, o.Username) + "; rfmsync does not log in again until the credentials change, so retries never lock the user out"}
}
