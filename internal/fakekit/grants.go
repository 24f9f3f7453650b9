package fakekit

import (
	"crypto/rsa"
	"net/http"
	"net/url"
	"time"
)

// OAuth grant types a fake's token endpoint may serve.
const (
	GrantRefreshToken      = "refresh_token"
	GrantClientCredentials = "client_credentials"
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// App is the connected app behind a token endpoint: what Exchange checks.
type App struct {
	ClientID     string
	ClientSecret string
	// RefreshWithoutSecret accepts refresh_token grants without the secret.
	RefreshWithoutSecret bool
	// Rotate turns on refresh-token rotation.
	Rotate bool
	// ClientCredentials enables the client_credentials grant.
	ClientCredentials bool
	// JWTKey verifies JWT-bearer assertions (nil: every assertion fails).
	JWTKey *rsa.PublicKey
	// JWTAudience is the required aud claim.
	JWTAudience string
	// JWTMaxAhead is how far in the future exp may lie.
	JWTMaxAhead time.Duration
}

// GrantFailure says why a token request was refused; each fake maps it to
// its CRM's error body.
type GrantFailure int

// Reasons of Exchange refusals, in the order they are checked.
const (
	GrantOK GrantFailure = iota
	GrantMissing
	GrantUnsupported
	GrantBadClient
	GrantBadSecret
	GrantBadRefresh
	GrantBadAssertion
	GrantBadIssuer
	GrantBadAudience
	GrantExpiredAssertion
)

// Grant is an accepted token request.
type Grant[V any] struct {
	Type string
	// From is the refresh token's value (refresh_token grant only).
	From V
	// Refresh is the redeemed refresh token; Next the one to use from now
	// on (a new one under rotation, else Refresh).
	Refresh, Next string
	// Claims are the assertion's claims (JWT grant only); the subject is
	// left to the fake (Claims.Prn wins over Sub where CRMs say so).
	Claims JWTClaims
}

// Exchange checks a token request against app: grant type, client, secret,
// then the grant's own credential. A refresh_token grant redeems the token
// (counted, rotated when app.Rotate). It issues nothing: the fake decides
// the session's value and mints the access token with Issue.
func (o *OAuth[V]) Exchange(app App, r *http.Request, form url.Values, now time.Time) (Grant[V], GrantFailure) {
	g := Grant[V]{Type: form.Get("grant_type")}
	switch g.Type {
	case "":
		return g, GrantMissing
	case GrantRefreshToken:
		if form.Get("client_id") != app.ClientID {
			return g, GrantBadClient
		}
		if !app.RefreshWithoutSecret && form.Get("client_secret") != app.ClientSecret {
			return g, GrantBadSecret
		}
		g.Refresh = form.Get("refresh_token")
		v, next, ok := o.Redeem(g.Refresh, app.Rotate)
		if !ok {
			return g, GrantBadRefresh
		}
		g.From, g.Next = v, next
		return g, GrantOK
	case GrantClientCredentials:
		if !app.ClientCredentials {
			return g, GrantUnsupported
		}
		id, secret := ClientCredentials(r, form)
		if id != app.ClientID {
			return g, GrantBadClient
		}
		if secret != app.ClientSecret {
			return g, GrantBadSecret
		}
		return g, GrantOK
	case GrantJWTBearer:
		c, err := VerifyJWT(form.Get("assertion"), app.JWTKey)
		if err != nil {
			return g, GrantBadAssertion
		}
		g.Claims = c
		switch {
		case c.Iss != app.ClientID:
			return g, GrantBadIssuer
		case c.Aud != app.JWTAudience:
			return g, GrantBadAudience
		case c.Exp <= now.Unix() || c.Exp > now.Add(app.JWTMaxAhead).Unix():
			return g, GrantExpiredAssertion
		}
		return g, GrantOK
	}
	return g, GrantUnsupported
}
