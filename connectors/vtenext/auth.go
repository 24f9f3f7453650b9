package vtenext

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// reloginIdle re-logs a session in before PHP's idle garbage collection
// (~24 min) can have dropped it (§2.3).
const reloginIdle = 20 * time.Minute

// sessions is the connector's crmhttp.Auth: one vtenext session per write
// worker (worker 0 also reads), each obtained by getchallenge + login under
// its own mutex and sent as the sessionName query parameter. A refused
// login trips refused: no session logs in again for the connector's life,
// because five failed logins lock the user (§2.5).
type sessions struct {
	c    *Connector
	pool []*session

	mu      sync.Mutex
	refused error
}

type session struct {
	mu       sync.Mutex
	name     string
	lastUsed time.Time
	stale    bool
}

func newSessions(c *Connector, n int) *sessions {
	s := &sessions{c: c, pool: make([]*session, n)}
	for i := range s.pool {
		s.pool[i] = &session{}
	}
	return s
}

// Authorize puts the worker's session on req, logging in first if needed.
func (s *sessions) Authorize(ctx context.Context, req *http.Request) error {
	name, err := s.get(ctx, s.pool[workerOf(ctx)%len(s.pool)])
	if err != nil {
		return err
	}
	q := req.URL.Query()
	q.Set("sessionName", name)
	req.URL.RawQuery = q.Encode()
	return nil
}

// Invalidate marks the session on a rejected request stale, so the next
// attempt logs in afresh; false once a login was refused.
func (s *sessions) Invalidate(rejected *http.Request) bool {
	used := rejected.URL.Query().Get("sessionName")
	for _, se := range s.pool {
		se.mu.Lock()
		if se.name == used && used != "" {
			se.stale = true
		}
		se.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused == nil
}

func (s *sessions) get(ctx context.Context, se *session) (string, error) {
	se.mu.Lock()
	defer se.mu.Unlock()
	if err := s.refusal(); err != nil {
		return "", err
	}
	now := s.c.now()
	if se.name != "" && !se.stale && now.Sub(se.lastUsed) < reloginIdle {
		se.lastUsed = now
		return se.name, nil
	}
	name, err := s.login(ctx)
	if err != nil {
		return "", err
	}
	crmhttp.RegisterSecret(name)
	se.name, se.stale, se.lastUsed = name, false, now
	return name, nil
}

func (s *sessions) refusal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// login runs getchallenge + login (§2.1, §2.2). INVALID_AUTH_TOKEN gets one
// fresh challenge; any other refusal is final for the connector's life.
func (s *sessions) login(ctx context.Context) (string, error) {
	o := s.c.o
	for try := 0; ; try++ {
		var ch struct {
			Token string `json:"token"`
		}
		if err := s.c.call(ctx, opChallenge, url.Values{"username": {o.Username}}, true, &ch); err != nil {
			return "", s.judge(err)
		}
		sum := md5.Sum([]byte(ch.Token + o.accessKey))
		var res struct {
			SessionName string `json:"sessionName"`
		}
		err := s.c.call(ctx, opLogin, url.Values{"username": {o.Username}, "accessKey": {hex.EncodeToString(sum[:])}}, true, &res)
		if e, ok := crmerr.As(err); ok && e.Code == "INVALID_AUTH_TOKEN" && try == 0 {
			continue
		}
		if err != nil {
			return "", s.judge(err)
		}
		if res.SessionName == "" {
			return "", &crmerr.Error{Class: crmerr.Transient, Message: "login answered without a sessionName"}
		}
		s.c.log.Info("logged in to vtenext")
		return res.SessionName, nil
	}
}

// judge turns a failed login into the error the admin reads. A refusal of
// the credentials is remembered; transient failures are not.
func (s *sessions) judge(err error) error {
	e, ok := crmerr.As(err)
	if !ok || e.Class != crmerr.Auth {
		return err
	}
	o := s.c.o
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
	refused := &crmerr.Error{Class: crmerr.Auth, Code: e.Code, Status: e.Status,
		Message: fmt.Sprintf(fix, o.Username) + "; rfmsync will not log in again until then, so the user is never locked out by retries"}
	s.mu.Lock()
	if s.refused == nil {
		s.refused = refused
	}
	s.mu.Unlock()
	return refused
}
