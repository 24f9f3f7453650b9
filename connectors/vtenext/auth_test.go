package vtenext

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/connectors/vtenext/vtenexttest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

func TestRefusedLoginIsTriedOnceAndNamesTheFix(t *testing.T) {
	s, url := newFake(t, vtenexttest.Options{})
	o := options(t, s, url, map[string]any{"access_key": "wrong-key"})
	breaker := &crmhttp.MemoryBreaker{}
	o.hooks.breaker = breaker
	c := build(t, o, nil)
	for run := 0; run < 3; run++ {
		_, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceSalesOrder, Now: s.Now()})
		if !errors.Is(err, crmerr.ErrAuth) && !errors.Is(err, crmerr.ErrLoginBlocked) {
			t.Fatalf("read %d with a wrong key: %v", run, err)
		}
		if !strings.Contains(err.Error(), "crm.vtenext.access_key") || strings.Contains(err.Error(), "wrong-key") {
			t.Errorf("message must name the key to fix and never quote it: %v", err)
		}
	}
	// A fresh connector (the next cron tick) with the same breaker does not
	// try either: five tries would lock the user.
	c2 := build(t, options(t, s, url, map[string]any{"access_key": "wrong-key"}), nil)
	c2.o.hooks.breaker = breaker
	c2 = build(t, c2.o, nil)
	if _, err := c2.ReadPage(context.Background(), connector.ReadRequest{Source: SourceSalesOrder, Now: s.Now()}); !errors.Is(err, crmerr.ErrLoginBlocked) {
		t.Errorf("next run: %v, want login blocked", err)
	}
	if n := s.FailedLogins(vtenexttest.DefaultUser, "127.0.0.1"); n != 1 {
		t.Errorf("%d failed logins, want exactly 1", n)
	}
	if s.Locked(vtenexttest.DefaultUser, "127.0.0.1") {
		t.Error("the user was locked out")
	}
}

func TestLoginRefusalsTellTheAdmin(t *testing.T) {
	for code, want := range map[string]string{
		"LOGIN_LOCKED":            "unlock",
		"IP_BANNED":               "ban",
		"AUTHENTICATION_REQUIRED": "inactive",
		"ACCESSKEY_UNDEFINED":     "no access key",
	} {
		s, url := newFake(t, vtenexttest.Options{})
		s.Inject("login", 1, vtenexttest.Fault{Code: code, Message: "x"})
		c := build(t, options(t, s, url, nil), nil)
		_, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceSalesOrder, Now: s.Now()})
		if !errors.Is(err, crmerr.ErrAuth) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an auth error mentioning %q", code, err, want)
		}
	}
	// An unknown user gets a second challenge, then stops.
	s, url := newFake(t, vtenexttest.Options{})
	c := build(t, options(t, s, url, map[string]any{"username": "ghost"}), nil)
	_, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceSalesOrder, Now: s.Now()})
	if !errors.Is(err, crmerr.ErrAuth) || !strings.Contains(err.Error(), "crm.vtenext.username") || s.Count("login") != 2 {
		t.Errorf("unknown user: %v after %d logins", err, s.Count("login"))
	}
}

func TestExpiredSessionReloginsOnce(t *testing.T) {
	s, url := newFake(t, vtenexttest.Options{})
	c := build(t, options(t, s, url, nil), nil)
	ctx := context.Background()
	if _, err := c.ReadPage(ctx, connector.ReadRequest{Source: SourceSalesOrder, Now: s.Now()}); err != nil {
		t.Fatal(err)
	}
	s.ExpireSessions()
	if _, err := c.ReadPage(ctx, connector.ReadRequest{Source: SourceSalesOrder, Now: s.Now()}); err != nil {
		t.Fatalf("after the session expired: %v", err)
	}
	if s.Logins() != 2 {
		t.Errorf("%d logins, want 2 (one re-login)", s.Logins())
	}
	// Idle for 21 minutes: a fresh login before PHP could have dropped it.
	s.Advance(reloginIdle + 60e9)
	if _, err := c.ReadPage(ctx, connector.ReadRequest{Source: SourceSalesOrder, Now: s.Now()}); err != nil {
		t.Fatal(err)
	}
	if s.Logins() != 3 || s.Served("session") != 0 {
		t.Errorf("%d logins after idling", s.Logins())
	}
	// No sessionName on getchallenge or login, ever.
	for _, call := range s.Calls() {
		if (call.Route == "getchallenge" || call.Route == "login") && strings.Contains(call.Query, "sessionName") {
			t.Errorf("%s sent a session: %s", call.Route, call.Query)
		}
	}
}
