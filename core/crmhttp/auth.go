package crmhttp

import (
	"context"
	"net/http"
)

// Auth puts credentials on requests. The client calls Authorize on a clone
// of every attempt just before it is sent (after pacing waits, so a token is
// checked for expiry as late as possible), and Invalidate when a Verdict
// says the credential was rejected (Verdict.Reauth).
//
// Bearer tokens (StaticBearer, TokenAuth, NewOAuthRefresh) and login-session
// APIs (vtenext: getchallenge + login → sessionName, sent as a query
// parameter; TokenAuth with QueryParam) both fit this shape.
type Auth interface {
	// Authorize adds credentials to req, obtaining or refreshing them first
	// if needed. An error should be a *crmerr.Error (AuthRefreshDead, Auth,
	// Transient …) so the client knows whether to retry.
	Authorize(ctx context.Context, req *http.Request) error
	// Invalidate is told that the credential on rejected (a request this Auth
	// authorised) was refused. It returns true if a fresh credential can be
	// obtained, in which case the client replays the request once; a second
	// rejection is final. Rejections of an already replaced credential must
	// not cause a second refresh.
	Invalidate(rejected *http.Request) bool
}

// StatsBinder is implemented by an Auth that makes HTTP calls of its own
// (token refreshes): New hands it the client's Stats so those calls are counted.
type StatsBinder interface {
	BindStats(*Stats)
}

// StaticBearer sends a fixed token as "Authorization: Bearer <token>":
// HubSpot private-app tokens and service keys. A rejected static token
// cannot be renewed, so a 401 is final at once.
type StaticBearer string

// NewStaticBearer returns the token as an Auth and registers it, so no
// message that quotes it can leak it (see RegisterSecret).
func NewStaticBearer(token string) StaticBearer {
	RegisterSecret(token)
	return StaticBearer(token)
}

// Authorize sets the Authorization header.
func (s StaticBearer) Authorize(_ context.Context, req *http.Request) error {
	req.Header.Set("Authorization", "Bearer "+string(s))
	return nil
}

// Invalidate returns false: there is nothing to refresh.
func (StaticBearer) Invalidate(*http.Request) bool { return false }

// String hides the token from %v and logs.
func (StaticBearer) String() string { return "StaticBearer(" + Redacted + ")" }

// GoString hides the token from %#v.
func (s StaticBearer) GoString() string { return s.String() }
