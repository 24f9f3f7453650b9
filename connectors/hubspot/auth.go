package hubspot

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// newAuth returns the credential for the options: a static bearer for a
// private app or service key, else an OAuth refresh-token grant that
// refreshes ahead of expires_in (30 min today), once more on an
// EXPIRED_AUTHENTICATION 401, and fails with AuthRefreshDead on HubSpot's
// BAD_REFRESH_TOKEN.
//
// With the state file's store and breaker (env), a rotated refresh token
// survives a restart and a dead one is not presented again by later runs
// until the configured credentials change.
func newAuth(o *Options, p paths, now func() time.Time, transport http.RoundTripper, log *slog.Logger, env connector.Env) (crmhttp.Auth, error) {
	if o.OAuth == nil {
		return crmhttp.NewStaticBearer(o.token), nil
	}
	tokenURL := o.OAuth.TokenURL
	if tokenURL == "" {
		tokenURL = strings.TrimRight(o.BaseURL, "/") + p.token
	}
	return crmhttp.NewOAuthRefresh(crmhttp.OAuthConfig{
		TokenURL:      tokenURL,
		ClientID:      o.OAuth.ClientID,
		ClientSecret:  o.clientSecret,
		RefreshToken:  o.refreshToken,
		IsDeadRefresh: isDeadRefresh,
		Transport:     transport,
		Now:           now,
		Logger:        log,
		Store:         env.Tokens,
		Breaker:       env.Breaker,
		OnRotate: func(string) {
			// HubSpot usually keeps the refresh token; if it ever hands out a
			// new one, it is kept in the state file when one is open.
			if env.Tokens == nil {
				log.Warn("HubSpot issued a new OAuth refresh token; this run uses it, but update " +
					o.key("oauth.refresh_token") + " before the next start if the old one stops working")
			}
		},
	})
}
