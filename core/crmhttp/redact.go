package crmhttp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Redacted replaces every secret value the helpers below remove.
const Redacted = "REDACTED"

// secretKeys are parameter and field names whose values are credentials in
// the CRMs rfmsync talks to: OAuth tokens and client secrets, vtenext's
// sessionName and accessKey, JWT assertions and passwords. Matched without case.
var secretKeys = []string{
	"access_token", "refresh_token", "id_token", "client_secret", "password",
	"sessionName", "accessKey", "assertion", "client_assertion",
}

// secretHeaders are request headers that carry credentials.
var secretHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}

var (
	// keyValueRe finds key=value, key: value and "key":"value" pairs of secret keys.
	// An optional backslash before quotes covers JSON embedded in JSON strings.
	keyValueRe = regexp.MustCompile(`(?i)(\\?"?\b(?:` + strings.Join(quoteAll(secretKeys), "|") +
		`)\\?"?\s*[:=]\s*\\?"?)([^"\\&\s,;})\]]+)`)
	// schemeRe finds credentials after an auth scheme, as in an echoed Authorization header.
	schemeRe = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/=!]+`)
)

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = regexp.QuoteMeta(s)
	}
	return out
}

// RedactString removes credential values from free text: secret key/value
// pairs in query, form or JSON syntax, tokens after "Bearer"/"Basic", and
// any value registered with RegisterSecret wherever it appears, so a CRM
// that quotes a bare token back in a message cannot leak it.
// Used on every CRM message and error text the client passes on or logs.
func RedactString(s string) string {
	s = keyValueRe.ReplaceAllString(s, "${1}"+Redacted)
	s = schemeRe.ReplaceAllString(s, "${1}${2}"+Redacted)
	known.RLock()
	defer known.RUnlock()
	for v := range known.values {
		s = strings.ReplaceAll(s, v, Redacted)
	}
	return s
}

// minSecretLen keeps short values (which could be ordinary words) out of
// the registry; real tokens and secrets are far longer.
const minSecretLen = 8

var known = struct {
	sync.RWMutex
	values map[string]struct{}
}{values: map[string]struct{}{}}

// RegisterSecret makes RedactString remove v wherever it appears. Connectors
// register their tokens, client secrets and passwords when they are built,
// and the OAuth client registers every token it receives.
func RegisterSecret(v string) {
	if len(v) < minSecretLen {
		return
	}
	known.Lock()
	known.values[v] = struct{}{}
	known.Unlock()
}

// IsSecretKey reports whether a parameter, field or header name carries a credential.
func IsSecretKey(name string) bool {
	for _, k := range secretKeys {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	for _, h := range secretHeaders {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// RedactURL renders u with secret query values and any userinfo password
// replaced, for logs and error messages.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if _, has := c.User.Password(); has {
		c.User = url.UserPassword(c.User.Username(), Redacted)
	}
	if c.RawQuery != "" {
		q := c.Query()
		for k := range q {
			if IsSecretKey(k) {
				q[k] = []string{Redacted}
			}
		}
		c.RawQuery = q.Encode()
	}
	return c.String()
}

// RedactHeader returns a copy of h with credential headers replaced.
func RedactHeader(h http.Header) http.Header {
	c := h.Clone()
	for k := range c {
		if IsSecretKey(k) {
			c[k] = []string{Redacted}
		}
	}
	return c
}

// NewRedactingHandler wraps h so every record's message and attributes pass
// through the redaction helpers before they are written: string values go
// through RedactString, errors and Stringers are rendered then redacted,
// URLs and headers are redacted structurally, and attributes named like a
// secret (access_token, password, …) lose their value entirely.
func NewRedactingHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(redactingHandler); ok {
		return h
	}
	return redactingHandler{h}
}

type redactingHandler struct{ next slog.Handler }

func (r redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return r.next.Enabled(ctx, l)
}

func (r redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, RedactString(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.next.Handle(ctx, out)
}

func (r redactingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactingHandler{r.next.WithAttrs(red)}
}

func (r redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{r.next.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	if IsSecretKey(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, RedactString(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, ga := range g {
			red[i] = redactAttr(ga)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case *url.URL:
			return slog.String(a.Key, RedactURL(x))
		case http.Header:
			return slog.Any(a.Key, RedactHeader(x))
		case error:
			return slog.String(a.Key, RedactString(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, RedactString(x.String()))
		default:
			return slog.String(a.Key, RedactString(fmt.Sprint(x)))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
