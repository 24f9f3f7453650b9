package salesforcetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

// Grant types of the token endpoint (§1).
const (
	GrantRefreshToken      = fakekit.GrantRefreshToken
	GrantClientCredentials = fakekit.GrantClientCredentials
	GrantJWTBearer         = fakekit.GrantJWTBearer
)

// JWT audiences (§1.3).
const (
	AudienceProduction = "https://login.salesforce.com"
	AudienceSandbox    = "https://test.salesforce.com"
)

// tokenError is the OAuth endpoint's error body (§1.5).
type tokenError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// handleToken serves POST /services/oauth2/token on both hosts.
func (s *Server) handleToken(c *reqCtx) {
	if c.m.unsupported != "" {
		c.writeJSON(http.StatusMethodNotAllowed, tokenError{"invalid_request", "must use HTTP POST"})
		return
	}
	status := http.StatusBadRequest
	if s.opts.TokenErrors401 {
		status = http.StatusUnauthorized
	}
	fail := func(code, desc string) { c.writeJSON(status, tokenError{code, desc}) }
	form := fakekit.TokenForm(c.r, c.body)
	if f := form.Get("format"); f != "" && f != "json" {
		// urlencoded and xml exist (§1.1) but rfmsync asks for JSON; the
		// fake refuses the others rather than answer in the wrong shape.
		fail("invalid_request", "salesforcetest serves format=json only")
		return
	}
	now := s.clock.Now()
	grantType := form.Get("grant_type")
	if grantType == GrantClientCredentials && c.loginHost {
		fail("invalid_grant", "request not supported on this domain")
		return
	}
	aud := AudienceProduction
	if s.opts.Sandbox {
		aud = AudienceSandbox
	}
	app := fakekit.App{ClientID: s.opts.ClientID, ClientSecret: s.opts.ClientSecret,
		RefreshWithoutSecret: s.opts.RefreshWithoutSecret, Rotate: s.opts.RotateRefreshTokens,
		ClientCredentials: true, JWTKey: s.opts.JWTKey, JWTAudience: aud, JWTMaxAhead: 3 * time.Minute}
	g, why := s.auth.Exchange(app, c.r, form, now)
	switch why {
	case fakekit.GrantOK:
	case fakekit.GrantMissing:
		fail("invalid_request", "grant type is missing")
		return
	case fakekit.GrantUnsupported:
		fail("unsupported_grant_type", "grant type not supported")
		return
	case fakekit.GrantBadClient, fakekit.GrantBadIssuer:
		fail("invalid_client_id", "client identifier invalid")
		return
	case fakekit.GrantBadSecret:
		fail("invalid_client", "invalid client credentials")
		return
	case fakekit.GrantBadRefresh:
		fail("invalid_grant", "expired access/refresh token")
		return
	case fakekit.GrantBadAssertion:
		// The description for a bad signature is unverified.
		fail("invalid_grant", "invalid assertion")
		return
	case fakekit.GrantBadAudience:
		fail("invalid_grant", "audience is invalid")
		return
	case fakekit.GrantExpiredAssertion:
		// exp must be in the future and at most 3 minutes ahead (§1.3);
		// the description is unverified.
		fail("invalid_grant", "expired authorization code")
		return
	}
	var sess session
	var rotated string
	switch g.Type {
	case GrantRefreshToken:
		if s.opts.RotateRefreshTokens {
			// With rotation every exchange ends the sessions of the old
			// token (§1.6, airbytehq/airbyte #84302).
			old := g.Refresh
			s.auth.RevokeWhere(func(x session) bool { return x.refresh == old })
			rotated = g.Next
		}
		sess = session{user: g.From.user, grant: g.Type, refresh: g.Next}
	case GrantClientCredentials:
		if s.opts.NoRunAsUser {
			fail("invalid_grant", "no client credentials user enabled")
			return
		}
		sess = session{user: UserID, grant: g.Type}
	case GrantJWTBearer:
		user := g.Claims.Sub
		if g.Claims.Prn != "" {
			user = g.Claims.Prn // legacy alias; wins when both are present (§1.3)
		}
		if user != s.opts.Username || s.opts.JWTUnapproved {
			fail("invalid_grant", "user hasn't approved this consumer")
			return
		}
		sess = session{user: UserID, grant: g.Type}
	}
	access := OrgID[:15] + "!" + fakekit.RandomToken(72)
	s.auth.Issue(access, sess, now.Add(s.opts.SessionTTL))
	id := s.login.URL + "/id/" + OrgID + "/" + UserID
	resp := map[string]any{
		"access_token": access,
		"instance_url": s.inst.URL,
		"id":           id,
		"token_type":   "Bearer",
		"scope":        "api",
	}
	if sess.grant == GrantRefreshToken {
		resp["scope"] = "api refresh_token"
	}
	if sess.grant != GrantJWTBearer {
		// JWT responses often omit these (§1.4): the fake omits them so a
		// client that requires them fails here.
		issued := strconv.FormatInt(now.UnixMilli(), 10)
		mac := hmac.New(sha256.New, []byte(s.opts.ClientSecret))
		mac.Write([]byte(id + issued))
		resp["issued_at"] = issued
		resp["signature"] = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	if rotated != "" {
		resp["refresh_token"] = rotated
	}
	c.writeJSON(http.StatusOK, resp)
}

// authorize checks the bearer token: anything but a live session is 401
// INVALID_SESSION_ID (§1.6).
func (s *Server) authorize(c *reqCtx) bool {
	sess, check := s.auth.Check(bearer(c.r.Header.Get("Authorization")), s.clock.Now())
	if check != fakekit.TokenValid {
		c.fail(http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return false
	}
	c.sess = &sess
	return true
}

// ExpireSessions ends every session now, as the org's session timeout
// would: the next call of each gets 401 INVALID_SESSION_ID and its query
// locators die with it.
func (s *Server) ExpireSessions() {
	s.auth.ExpireWhere(s.clock.Now(), func(session) bool { return true })
}

// RevokeRefreshToken kills a refresh token (expired or revoked access).
func (s *Server) RevokeRefreshToken(rt string) { s.auth.RevokeRefresh(rt) }

// TokenRefreshes counts successful refresh_token grants.
func (s *Server) TokenRefreshes() int { return s.auth.Refreshes() }

// TokensIssued counts access tokens issued (all grants).
func (s *Server) TokensIssued() int { return s.auth.Issued() }

// AddSession accepts tok as a live access token of the integration user,
// for tests that skip the token endpoint.
func (s *Server) AddSession(tok string) {
	s.auth.AddAccess(tok, session{user: UserID, grant: "test"}, s.clock.Now().Add(s.opts.SessionTTL))
}

// dayWindow is the rolling window of the daily allocation (§6.1).
const dayWindow = 24 * time.Hour

// admit counts the call against the rolling 24 h allocation, or refuses it
// with 403 REQUEST_LIMIT_EXCEEDED once spent. Enforcement is immediate,
// the strict reading of "not instantaneous" (§6.1). Calls refused before
// here (401s, faults) are not counted: unverified, and counting them would
// only make a fake kinder to nobody.
func (s *Server) admit(c *reqCtx) bool {
	max := s.opts.DailyAPIRequests
	if max < 0 {
		c.usage = &[2]int{0, max}
		return true
	}
	now := s.clock.Now()
	s.mu.Lock()
	used := s.usage.Count(now, dayWindow)
	ok := used < max
	if ok {
		s.usage.Add(now)
		used++
	}
	s.mu.Unlock()
	c.usage = &[2]int{used, max}
	if !ok {
		c.fail(http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
	}
	return ok
}

// APIUsage returns the calls counted in the last 24 h and the allocation
// (negative: unlimited), as Sforce-Limit-Info reports them.
func (s *Server) APIUsage() (used, max int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage.Count(s.clock.Now(), dayWindow), s.opts.DailyAPIRequests
}

// UseAPI counts n calls made by "other integrations" against the
// allocation, so a test can start near the limit.
func (s *Server) UseAPI(n int) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.usage.Add(now)
	}
}

func (s *Server) handleLimits(c *reqCtx) {
	used, max := s.APIUsage()
	if max < 0 {
		max = math.MaxInt32
	}
	now := s.clock.Now()
	s.mu.Lock()
	jobs, batches := s.bulkJobs.Count(now, dayWindow), s.batches.Count(now, dayWindow)
	s.mu.Unlock()
	lim := func(m, r int) map[string]int { return map[string]int{"Max": m, "Remaining": r} }
	o := &s.opts
	c.writeJSON(http.StatusOK, map[string]any{
		"DailyApiRequests":              lim(max, max-used),
		"DailyBulkApiBatches":           lim(o.BulkBatchesPerDay, o.BulkBatchesPerDay-batches),
		"DailyBulkV2QueryJobs":          lim(o.BulkQueryJobsPerDay, o.BulkQueryJobsPerDay-jobs),
		"DailyBulkV2QueryFileStorageMB": lim(976562, 976562),
		"DataStorageMB":                 lim(5120, 4980),
	})
}

// handleVersions serves GET /services/data/ without auth (§0).
func (s *Server) handleVersions(c *reqCtx) {
	var out []map[string]string
	for v := int(s.opts.MinVersion); v <= int(s.opts.MaxVersion); v++ {
		ver := strconv.Itoa(v) + ".0"
		out = append(out, map[string]string{"label": releaseLabel(v), "url": "/services/data/v" + ver, "version": ver})
	}
	c.writeJSON(http.StatusOK, out)
}

// releaseLabel names a version's release: v63 Spring '25, v64 Summer '25,
// v65 Winter '26, v66 Spring '26, …
func releaseLabel(v int) string {
	d := v - 63
	year := 25 + int(math.Floor(float64(d)/3))
	idx := ((d % 3) + 3) % 3
	season := [3]string{"Spring", "Summer", "Winter"}[idx]
	if idx == 2 {
		year++
	}
	return season + " '" + strconv.Itoa(year%100)
}
