package salesforce

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sf "github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// readOnce pulls one page through c and returns its error.
func readOnce(c *Connector, s *sf.Server) error {
	_, err := c.ReadPage(context.Background(), connector.ReadRequest{Source: SourceOpportunities, Now: s.Now()})
	return err
}

// TestGrants: each grant logs in where the contract says and data calls
// go to instance_url; client_credentials goes to the My Domain host.
func TestGrants(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "sf.key")
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	// x/oauth2's JWT exp reads the real clock; the fake's starts there too.
	s := newFake(t, sf.Options{JWTKey: &key.PublicKey, Start: time.Now().UTC().Truncate(time.Second)})
	s.Advance(time.Minute)
	for name, tc := range map[string]struct {
		login   string
		section map[string]any
	}{
		"refresh_token":      {s.LoginURL(), nil},
		"client_credentials": {s.URL(), map[string]any{"auth": "client_credentials", "refresh_token": ""}},
		"jwt":                {s.LoginURL(), map[string]any{"auth": "jwt", "refresh_token": "", "client_secret": "", "username": sf.DefaultUsername, "private_key_file": keyFile}},
	} {
		t.Run(name, func(t *testing.T) {
			c := build(t, connectOpts(t, s, tc.login, tc.section), nil, nil)
			if err := readOnce(c, s); err != nil {
				t.Fatalf("read: %v", err)
			}
			if c.Calls()[KindToken] != 1 {
				t.Errorf("calls %v", c.Calls())
			}
		})
	}
}

// TestGrantRefusedSaysWhatToFix: a dead refresh token stops with
// AuthRefreshDead and the re-authorise hint; client_credentials without a
// run-as user says to check the app; no secret is quoted.
func TestGrantRefusedSaysWhatToFix(t *testing.T) {
	s := newFake(t, sf.Options{NoRunAsUser: true})
	c := connect(t, s, map[string]any{"refresh_token": "5Aep861wrongToken"})
	err := readOnce(c, s)
	if crmerr.ClassOf(err) != crmerr.AuthRefreshDead || !strings.Contains(err.Error(), "re-authorise") {
		t.Fatalf("dead refresh token: %v", err)
	}
	c = build(t, connectOpts(t, s, s.URL(), map[string]any{"auth": "client_credentials"}), nil, nil)
	err = readOnce(c, s)
	if crmerr.ClassOf(err) != crmerr.Auth || !strings.Contains(err.Error(), "client credentials") ||
		strings.Contains(err.Error(), sf.DefaultClientSecret) {
		t.Fatalf("client credentials without a run-as user: %v", err)
	}
}

// TestRotatedRefreshTokenIsKept: with rotation on, the new refresh token is
// saved before use, so a restarted connector logs in with it.
func TestRotatedRefreshTokenIsKept(t *testing.T) {
	s := newFake(t, sf.Options{RotateRefreshTokens: true})
	env := connector.Env{Fields: specs(rfmFields()), Tokens: &memTokens{m: map[string]string{}}}
	for run := range 3 {
		c := build(t, connectOpts(t, s, s.LoginURL(), nil), nil, &env)
		if err := readOnce(c, s); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	if s.TokenRefreshes() != 3 {
		t.Errorf("%d refreshes", s.TokenRefreshes())
	}
}

// TestBudgetFromLimitHeader: Sforce-Limit-Info feeds DailyQuota, the
// per-app segment after it is skipped, and a spent allocation stops the
// run as QuotaExhausted without pausing later runs.
func TestBudgetFromLimitHeader(t *testing.T) {
	s := newFake(t, sf.Options{DailyAPIRequests: 1000, PerAppLimit: 500})
	s.UseAPI(900)
	c := connect(t, s, nil)
	if err := readOnce(c, s); err != nil {
		t.Fatal(err)
	}
	used, limit := c.DailyQuota()
	if limit != 1000 || used < 900 {
		t.Fatalf("quota %d/%d", used, limit)
	}
	if c.QuotaReserve() != DefaultDailyReserve {
		t.Errorf("reserve %v", c.QuotaReserve())
	}
	s.UseAPI(200)
	c = connect(t, s, nil)
	err := readOnce(c, s)
	if crmerr.ClassOf(err) != crmerr.QuotaExhausted {
		t.Fatalf("spent allocation: %v", err)
	}
	if _, pause := crmerr.PauseUntil(err, s.Now()); pause {
		t.Error("the rolling 24 h window paused later runs")
	}
}

// TestRefusedLoginTripsBreaker: a refused grant is not presented again by
// a later run with the same credentials (the state file's breaker).
func TestRefusedLoginTripsBreaker(t *testing.T) {
	s := newFake(t, sf.Options{})
	env := connector.Env{Fields: specs(rfmFields()), Breaker: &crmhttp.MemoryBreaker{}}
	for run := range 2 {
		c := build(t, connectOpts(t, s, s.LoginURL(), map[string]any{"refresh_token": "5Aep861revoked"}), nil, &env)
		if err := readOnce(c, s); err == nil {
			t.Fatalf("run %d logged in with a dead refresh token", run)
		}
	}
	if n := s.Calls(sf.RouteToken); n != 1 {
		t.Errorf("%d token requests, want 1 (the breaker holds the second run)", n)
	}
}
