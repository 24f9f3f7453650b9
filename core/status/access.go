package status

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// Access is who may see what. The zero value serves everything to anyone
// and hides CRM record ids.
type Access struct {
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every path but /healthz and /readyz (probes cannot send a secret
	// without writing it into a manifest, and those two say nothing else).
	Token string
	// ShowRecordIDs puts the reports' sample record ids on the page and in
	// /status.json; off by default because they identify CRM records.
	ShowRecordIDs bool
}

// SetAccess sets the token and the record-id policy.
func (b *Board) SetAccess(a Access) {
	b.mu.Lock()
	b.access = a
	b.mu.Unlock()
}

func (b *Board) authorized(r *http.Request) bool {
	b.mu.RLock()
	token := b.access.Token
	b.mu.RUnlock()
	if token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// protect answers 401 unless the request carries the token.
func (b *Board) protect(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !b.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rfmsync"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <status.token_file contents>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// redact returns r with the report's record ids removed unless allowed.
func (a Access) redact(r Run) Run {
	if a.ShowRecordIDs || r.Report == nil {
		return r
	}
	rep := *r.Report
	rep.SampleChanged, rep.SampleRejected, rep.SampleNotFound, rep.SampleRepaired = nil, nil, nil, nil
	rep.SampleSkipped = nil
	r.Report = &rep
	return r
}
