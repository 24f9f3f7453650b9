package fakekit

import (
	"crypto/rand"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Session is an access token a fake accepts, with the fake's own data V
// (scopes, user, limit key, …).
type Session[V any] struct {
	Value V
	// Expires is when the token stops working; zero means never (a session
	// that lives until revoked, as Salesforce's do from the client's view).
	Expires time.Time
	Revoked bool
	// Seq numbers sessions in issue order, so objects bound to a session
	// (query locators) can tell theirs from a later one.
	Seq uint64
}

// TokenCheck is the outcome of looking up a bearer token.
type TokenCheck int

// Outcomes of OAuth.Check.
const (
	TokenValid TokenCheck = iota
	TokenUnknown
	TokenRevoked
	TokenExpired
)

// refresh is a refresh token and whose grant it carries.
type refresh[V any] struct {
	value   V
	revoked bool
}

// OAuth is the credential state behind a fake's token endpoint: access
// tokens with expiry, refresh tokens (optionally rotated on use) and the
// counters tests assert on. The fake parses its own grants and writes its
// own response bodies.
type OAuth[V any] struct {
	mu        sync.Mutex
	access    map[string]*Session[V]
	refresh   map[string]*refresh[V]
	seq       uint64
	issued    int
	refreshes int
}

func (o *OAuth[V]) initLocked() {
	if o.access == nil {
		o.access = map[string]*Session[V]{}
		o.refresh = map[string]*refresh[V]{}
	}
}

// AddAccess accepts tok as an access token; a zero expires never expires.
// It is not counted as issued.
func (o *OAuth[V]) AddAccess(tok string, v V, expires time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.initLocked()
	o.seq++
	o.access[tok] = &Session[V]{Value: v, Expires: expires, Seq: o.seq}
}

// Issue accepts tok (the fake mints it in its CRM's shape) as a new access
// token and counts it as issued.
func (o *OAuth[V]) Issue(tok string, v V, expires time.Time) Session[V] {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.initLocked()
	o.seq++
	s := &Session[V]{Value: v, Expires: expires, Seq: o.seq}
	o.access[tok] = s
	o.issued++
	return *s
}

// Check looks tok up at now. The session is returned (a copy) whatever the
// outcome, so a fake can say when an expired token expired.
func (o *OAuth[V]) Check(tok string, now time.Time) (Session[V], TokenCheck) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.initLocked()
	s := o.access[tok]
	switch {
	case tok == "" || s == nil:
		return Session[V]{}, TokenUnknown
	case s.Revoked:
		return *s, TokenRevoked
	case !s.Expires.IsZero() && !now.Before(s.Expires):
		return *s, TokenExpired
	}
	return *s, TokenValid
}

// Revoke makes an access token stop working.
func (o *OAuth[V]) Revoke(tok string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.initLocked()
	if s := o.access[tok]; s != nil {
		s.Revoked = true
	}
}

// RevokeWhere revokes every live access token whose value matches, and
// returns how many it revoked (e.g. "end every session of this user").
func (o *OAuth[V]) RevokeWhere(match func(V) bool) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.initLocked()
	n := 0
	for _, s := range o.access {
		if !s.Revoked && match(s.Value) {
			s.Revoked = true
			n++
		}
	}
	return n
}

// ExpireWhere makes every matching access token that expires after now
// expire at now, as if its lifetime had passed; tokens without expiry get
// one too.
func (o *OAuth[V]) ExpireWhere(now time.Time, match func(V) bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.initLocked()
	for _, s := range o.access {
		if match(s.Value) && (s.Expires.IsZero() || s.Expires.After(now)) {
			s.Expires = now
		}
	}
}

// AddRefresh accepts rt as a refresh token carrying v.
func (o *OAuth[V]) AddRefresh(rt string, v V) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.initLocked()
	o.refresh[rt] = &refresh[V]{value: v}
}

// RevokeRefresh kills a refresh token.
func (o *OAuth[V]) RevokeRefresh(rt string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.initLocked()
	if r := o.refresh[rt]; r != nil {
		r.revoked = true
	}
}

// Redeem spends a refresh token: ok is false when it is unknown or revoked.
// With rotate, rt dies at once and a new one is returned in next; otherwise
// next is rt. A successful redemption counts as a refresh.
func (o *OAuth[V]) Redeem(rt string, rotate bool) (v V, next string, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.initLocked()
	r := o.refresh[rt]
	if rt == "" || r == nil || r.revoked {
		return v, "", false
	}
	o.refreshes++
	next = rt
	if rotate {
		r.revoked = true
		next = RandomToken(48)
		o.refresh[next] = &refresh[V]{value: r.value}
	}
	return r.value, next, true
}

// Issued counts access tokens minted by Issue.
func (o *OAuth[V]) Issued() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.issued
}

// Refreshes counts successful Redeem calls.
func (o *OAuth[V]) Refreshes() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refreshes
}

// TokenForm parses a token request: the form body when the content type is
// application/x-www-form-urlencoded (the query string is ignored, as token
// endpoints do), else empty values.
func TokenForm(r *http.Request, body []byte) url.Values {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return url.Values{}
	}
	// A malformed pair is dropped; the pairs parsed before it are kept.
	form, _ := url.ParseQuery(string(body))
	return form
}

// ClientCredentials returns the client id and secret of a token request:
// HTTP Basic auth when present, else the form's client_id/client_secret.
func ClientCredentials(r *http.Request, form url.Values) (id, secret string) {
	if u, p, ok := r.BasicAuth(); ok {
		u, _ = url.QueryUnescape(u)
		p, _ = url.QueryUnescape(p)
		return u, p
	}
	return form.Get("client_id"), form.Get("client_secret")
}

// RandomToken returns n random bytes in URL-safe base64.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
