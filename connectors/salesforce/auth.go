package salesforce

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// tokenPath is the OAuth token endpoint on the login or My Domain host (§1).
const tokenPath = "/services/oauth2/token"

// grants maps the auth key to crmhttp's grants.
var grants = map[string]crmhttp.Grant{
	AuthRefreshToken:      crmhttp.GrantRefreshToken,
	AuthClientCredentials: crmhttp.GrantClientCredentials,
	AuthJWT:               crmhttp.GrantJWTBearer,
}

// newAuth returns the session credential for the configured grant through
// x/oauth2 (crmhttp.NewOAuth). Salesforce sends no expires_in (§1.4), so a
// token lives until a 401 INVALID_SESSION_ID, which renews it once. The
// token response's instance_url is the base URL of every data call. With
// the state file's store and breaker (env), a rotated refresh token is
// saved before it is used and a refused grant is not presented again until
// the configured credentials change.
func newAuth(o *Options, now func() time.Time, transport http.RoundTripper, log *slog.Logger, env connector.Env) (*crmhttp.TokenAuth, error) {
	return crmhttp.NewOAuth(crmhttp.OAuthConfig{
		Grant:        grants[o.Auth],
		TokenURL:     strings.TrimRight(o.LoginURL, "/") + tokenPath,
		ClientID:     o.ClientID,
		ClientSecret: o.clientSecret,
		RefreshToken: o.refreshToken,
		Subject:      o.Username,
		Audience:     o.audience(),
		PrivateKey:   o.privateKey,
		BaseURLField: "instance_url",
		Transport:    transport,
		Now:          now,
		Logger:       log,
		Store:        env.Tokens,
		Breaker:      env.Breaker,
		OnRotate: func(string) {
			if env.Tokens == nil {
				log.Warn("Salesforce rotated the refresh token and no state file keeps it; this run uses it, but update " +
					o.key("refresh_token") + " before the next start")
			}
		},
	})
}

// userID is the integration user's id, the last segment of the token
// response's identity URL (…/id/00D…/005…), for permission set grants.
func userID(ctx context.Context, a *crmhttp.TokenAuth) string {
	tok, err := a.Token(ctx)
	if err != nil {
		return ""
	}
	id, _ := tok.Extra("id").(string)
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		return id[i+1:]
	}
	return ""
}
