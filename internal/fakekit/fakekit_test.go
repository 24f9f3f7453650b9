package fakekit

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func TestClockIsStoppedUntilMoved(t *testing.T) {
	c := NewClock(t0.In(time.FixedZone("x", 3600)), false)
	if got := c.Now(); !got.Equal(t0) || got.Location() != time.UTC {
		t.Fatalf("Now = %v, want %v in UTC", got, t0)
	}
	c.Advance(90 * time.Second)
	if got := c.Now(); !got.Equal(t0.Add(90 * time.Second)) {
		t.Errorf("after Advance: %v", got)
	}
	c.Set(t0.Add(-time.Hour))
	if got := c.Now(); !got.Equal(t0.Add(-time.Hour)) {
		t.Errorf("after Set: %v", got)
	}
}

func TestRealClockFollowsShifts(t *testing.T) {
	c := NewClock(time.Time{}, true)
	c.Set(t0)
	if d := c.Now().Sub(t0); d < 0 || d > time.Minute {
		t.Errorf("real clock set to %v reads %v", t0, c.Now())
	}
	c.Advance(24 * time.Hour)
	if d := c.Now().Sub(t0); d < 24*time.Hour || d > 24*time.Hour+time.Minute {
		t.Errorf("advance by a day: %v", d)
	}
}

func TestCallLogCountsPerRoute(t *testing.T) {
	var l CallLog
	for i, r := range []Route{"a", "b", "a"} {
		n, total, idx := l.Start(Call{Route: r, Path: "/" + string(r)})
		if total != i+1 || idx != i {
			t.Errorf("call %d: total %d idx %d", i, total, idx)
		}
		if r == "a" && n != i/2+1 {
			t.Errorf("call %d: route count %d", i, n)
		}
		l.End(idx, 200+i)
	}
	if l.Count("a") != 2 || l.Count("b") != 1 || l.Count(AnyRoute) != 3 || l.Total() != 3 {
		t.Errorf("counts a=%d b=%d any=%d", l.Count("a"), l.Count("b"), l.Count(AnyRoute))
	}
	calls := l.Calls()
	if len(calls) != 3 || calls[2].Status != 202 || calls[1].Path != "/b" {
		t.Errorf("log %+v", calls)
	}
	calls[0].Path = "changed"
	if l.Calls()[0].Path != "/a" {
		t.Error("Calls returned the log itself, not a copy")
	}
	l.Reset()
	if l.Total() != 0 || len(l.Calls()) != 0 || l.Count("a") != 0 {
		t.Error("Reset left entries")
	}
}

func TestFaultsQueueOrderAndIndex(t *testing.T) {
	var q Faults[int]
	q.Inject("a", 2, 500)
	q.Inject("a", 1, 503)
	q.Inject(AnyRoute, 1, 429)
	q.InjectAt("b", 3, 401)
	q.InjectAt(AnyRoute, 7, 418)
	if q.Pending() != 6 {
		t.Fatalf("pending %d, want 6", q.Pending())
	}
	type req struct {
		route    Route
		n, total int
		want     int
		ok       bool
	}
	for i, r := range []req{
		{"b", 1, 1, 429, true}, // b has no queue: AnyRoute's serves
		{"a", 1, 2, 500, true},
		{"b", 2, 3, 0, false},
		{"b", 3, 4, 401, true}, // at its index
		{"a", 2, 5, 500, true},
		{"a", 3, 6, 503, true},
		{"c", 1, 7, 418, true}, // the overall seventh call
		{"a", 4, 8, 0, false},
	} {
		got, ok := q.Take(r.route, r.n, r.total)
		if got != r.want || ok != r.ok {
			t.Errorf("take %d (%s #%d): %d,%v want %d,%v", i, r.route, r.n, got, ok, r.want, r.ok)
		}
	}
	q.Inject("a", 0, 1) // n <= 0 is a no-op
	if q.Pending() != 0 {
		t.Errorf("pending %d after draining", q.Pending())
	}
}

func TestFaultsStallHoldsUntilReleased(t *testing.T) {
	var q Faults[int]
	arrived, release := q.Stall("a", 1)
	done := make(chan bool)
	go func() { done <- q.Hold(context.Background(), "a") }()
	<-arrived
	select {
	case <-done:
		t.Fatal("stalled request went through before release")
	default:
	}
	release()
	if !<-done {
		t.Error("released request reported as abandoned")
	}
	// The stall is spent: the next request is not held.
	if !q.Hold(context.Background(), "a") {
		t.Error("second request held")
	}
	// A client that goes away ends the hold.
	q.Stall(AnyRoute, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if q.Hold(ctx, "z") {
		t.Error("cancelled request reported as served")
	}
	// Clear releases whatever is still held.
	arrived, _ = q.Stall("a", 1)
	go func() { done <- q.Hold(context.Background(), "a") }()
	<-arrived
	q.Clear()
	if !<-done {
		t.Error("Clear did not release the stall")
	}
}

func TestFaultsHooksSeeCounts(t *testing.T) {
	var q Faults[int]
	var gotRoute, gotAny int
	q.OnRequest("a", func(n int) { gotRoute = n })
	q.OnRequest(AnyRoute, func(n int) { gotAny = n })
	q.RunHooks("a", 4, 9)
	if gotRoute != 4 || gotAny != 9 {
		t.Errorf("hooks saw %d, %d", gotRoute, gotAny)
	}
	q.OnRequest("a", nil)
	q.RunHooks("a", 5, 10)
	if gotRoute != 4 || gotAny != 10 {
		t.Errorf("removed hook ran: %d, %d", gotRoute, gotAny)
	}
}

func TestWindowRolls(t *testing.T) {
	var w Window
	for i := 0; i < 5; i++ {
		w.Add(t0.Add(time.Duration(i) * 2 * time.Second))
	}
	now := t0.Add(10 * time.Second)
	if n := w.Within(now, time.Second*3); n != 1 {
		t.Errorf("within 3s: %d", n)
	}
	// The entry at t0 sits exactly on the edge (now-10s): it has left.
	if n := w.Count(now, 10*time.Second); n != 4 {
		t.Errorf("count 10s: %d", n)
	}
	if n := w.Within(now, time.Hour); n != 4 {
		t.Errorf("Count did not drop old entries: %d", n)
	}
	w.Reset()
	if w.Count(now, time.Hour) != 0 {
		t.Error("Reset left entries")
	}
}

func TestOAuthSessions(t *testing.T) {
	var o OAuth[string]
	o.AddAccess("static", "s", time.Time{})
	s := o.Issue("tok1", "u1", t0.Add(time.Hour))
	s2 := o.Issue("tok2", "u2", t0.Add(time.Hour))
	if s2.Seq <= s.Seq {
		t.Errorf("session numbers %d then %d", s.Seq, s2.Seq)
	}
	if _, c := o.Check("static", t0.Add(1e6*time.Hour)); c != TokenValid {
		t.Errorf("static token: %v", c)
	}
	if got, c := o.Check("tok1", t0); c != TokenValid || got.Value != "u1" {
		t.Errorf("tok1: %v %v", got, c)
	}
	if got, c := o.Check("tok1", t0.Add(time.Hour)); c != TokenExpired || !got.Expires.Equal(t0.Add(time.Hour)) {
		t.Errorf("tok1 at expiry: %v %v", got, c)
	}
	if _, c := o.Check("nope", t0); c != TokenUnknown {
		t.Errorf("unknown: %v", c)
	}
	if _, c := o.Check("", t0); c != TokenUnknown {
		t.Errorf("empty: %v", c)
	}
	o.Revoke("tok2")
	if _, c := o.Check("tok2", t0); c != TokenRevoked {
		t.Errorf("revoked: %v", c)
	}
	o.ExpireWhere(t0.Add(time.Minute), func(v string) bool { return v == "s" })
	if _, c := o.Check("static", t0.Add(time.Minute)); c != TokenExpired {
		t.Errorf("expired static: %v", c)
	}
	if n := o.RevokeWhere(func(v string) bool { return v != "" }); n != 2 {
		t.Errorf("RevokeWhere revoked %d live tokens, want 2 (tok2 already was)", n)
	}
	if o.Issued() != 2 {
		t.Errorf("issued %d", o.Issued())
	}
}

func TestOAuthRefreshAndRotation(t *testing.T) {
	var o OAuth[string]
	o.AddRefresh("rt", "grant")
	v, next, ok := o.Redeem("rt", false)
	if !ok || v != "grant" || next != "rt" {
		t.Fatalf("redeem: %q %q %v", v, next, ok)
	}
	v, next, ok = o.Redeem("rt", true)
	if !ok || v != "grant" || next == "rt" || next == "" {
		t.Fatalf("rotating redeem: %q %q %v", v, next, ok)
	}
	if _, _, ok := o.Redeem("rt", false); ok {
		t.Error("rotated-out refresh token still works")
	}
	if _, _, ok := o.Redeem(next, false); !ok {
		t.Error("rotated-in refresh token refused")
	}
	o.RevokeRefresh(next)
	if _, _, ok := o.Redeem(next, false); ok {
		t.Error("revoked refresh token works")
	}
	if _, _, ok := o.Redeem("", false); ok {
		t.Error("empty refresh token works")
	}
	if o.Refreshes() != 3 {
		t.Errorf("refreshes %d, want 3", o.Refreshes())
	}
}

func TestTokenFormAndClientCredentials(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/token?grant_type=query", nil)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	form := TokenForm(r, []byte("grant_type=client_credentials&client_id=cid&client_secret=sec"))
	if form.Get("grant_type") != "client_credentials" {
		t.Errorf("grant %q (the query string must be ignored)", form.Get("grant_type"))
	}
	if id, sec := ClientCredentials(r, form); id != "cid" || sec != "sec" {
		t.Errorf("form credentials %q %q", id, sec)
	}
	r.SetBasicAuth("basic%20id", "basic-secret")
	if id, sec := ClientCredentials(r, form); id != "basic id" || sec != "basic-secret" {
		t.Errorf("basic credentials %q %q", id, sec)
	}
	r.Header.Set("Content-Type", "application/json")
	if f := TokenForm(r, []byte("grant_type=x")); len(f) != 0 {
		t.Errorf("JSON body parsed as a form: %v", f)
	}
}

func TestJWTRoundTripAndRefusals(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	want := JWTClaims{Iss: "client", Sub: "user@example.com", Aud: "https://login.salesforce.com", Exp: t0.Unix() + 120}
	a, err := SignJWT(key, want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifyJWT(a, &key.PublicKey)
	if err != nil || got != want {
		t.Fatalf("verify: %+v %v", got, err)
	}
	if _, err := VerifyJWT(a, &other.PublicKey); err != ErrJWTSignature {
		t.Errorf("wrong key: %v", err)
	}
	parts := strings.Split(a, ".")
	if _, err := VerifyJWT(parts[0]+"."+parts[1], &key.PublicKey); err != ErrJWTMalformed {
		t.Errorf("two parts: %v", err)
	}
	hs := "eyJhbGciOiJIUzI1NiJ9" // {"alg":"HS256"}
	if _, err := VerifyJWT(hs+"."+parts[1]+"."+parts[2], &key.PublicKey); err != ErrJWTAlg {
		t.Errorf("HS256: %v", err)
	}
}

func TestExchangeChecksEachGrant(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	app := App{ClientID: "cid", ClientSecret: "sec", ClientCredentials: true, JWTKey: &key.PublicKey,
		JWTAudience: "https://login.example", JWTMaxAhead: 3 * time.Minute}
	var o OAuth[string]
	o.AddRefresh("rt", "user")
	r := httptest.NewRequest(http.MethodPost, "/token", nil)
	form := func(kv ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = []string{kv[i+1]}
		}
		return m
	}
	jwt := func(c JWTClaims) string {
		a, err := SignJWT(key, c)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	good := JWTClaims{Iss: "cid", Sub: "u", Aud: "https://login.example", Exp: t0.Add(time.Minute).Unix()}
	far, wrongAud, wrongIss := good, good, good
	far.Exp = t0.Add(4 * time.Minute).Unix()
	wrongAud.Aud = "x"
	wrongIss.Iss = "x"
	for _, tc := range []struct {
		form map[string][]string
		want GrantFailure
	}{
		{form(), GrantMissing},
		{form("grant_type", "password"), GrantUnsupported},
		{form("grant_type", GrantRefreshToken, "client_id", "x"), GrantBadClient},
		{form("grant_type", GrantRefreshToken, "client_id", "cid"), GrantBadSecret},
		{form("grant_type", GrantRefreshToken, "client_id", "cid", "client_secret", "sec", "refresh_token", "no"), GrantBadRefresh},
		{form("grant_type", GrantRefreshToken, "client_id", "cid", "client_secret", "sec", "refresh_token", "rt"), GrantOK},
		{form("grant_type", GrantClientCredentials, "client_id", "cid", "client_secret", "x"), GrantBadSecret},
		{form("grant_type", GrantClientCredentials, "client_id", "cid", "client_secret", "sec"), GrantOK},
		{form("grant_type", GrantJWTBearer, "assertion", "a.b.c"), GrantBadAssertion},
		{form("grant_type", GrantJWTBearer, "assertion", jwt(wrongIss)), GrantBadIssuer},
		{form("grant_type", GrantJWTBearer, "assertion", jwt(wrongAud)), GrantBadAudience},
		{form("grant_type", GrantJWTBearer, "assertion", jwt(far)), GrantExpiredAssertion},
		{form("grant_type", GrantJWTBearer, "assertion", jwt(good)), GrantOK},
	} {
		g, got := o.Exchange(app, r, tc.form, t0)
		if got != tc.want {
			t.Errorf("%v: %v, want %v", tc.form, got, tc.want)
		}
		if got == GrantOK && g.Type == GrantRefreshToken && (g.From != "user" || g.Next != "rt") {
			t.Errorf("refresh grant %+v", g)
		}
		if got == GrantOK && g.Type == GrantJWTBearer && g.Claims.Sub != "u" {
			t.Errorf("jwt grant %+v", g)
		}
	}
	if o.Refreshes() != 1 {
		t.Errorf("refreshes %d", o.Refreshes())
	}
	app.ClientCredentials = false
	if _, got := o.Exchange(app, r, form("grant_type", GrantClientCredentials, "client_id", "cid", "client_secret", "sec"), t0); got != GrantUnsupported {
		t.Errorf("disabled client credentials: %v", got)
	}
}
