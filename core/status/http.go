package status

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Handler serves the dashboard (/), JSON (/status.json), metrics
// (/metrics), liveness (/healthz) and readiness (/readyz). With a token
// set (SetAccess) every path but /healthz and /readyz needs it.
func (b *Board) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rd := b.Readiness()
		if !rd.Ready {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %s\n", strings.Join(rd.Reasons, "; "))
			return
		}
		w.Write([]byte("ready\n"))
	})
	mux.Handle("GET /metrics", b.protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.Metrics().Handler().ServeHTTP(w, r)
	})))
	mux.Handle("GET /status.json", b.protect(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(b.snapshot())
	})))
	mux.Handle("GET /{$}", b.protect(http.HandlerFunc(b.servePage)))
	mux.Handle("GET /customer", b.protect(http.HandlerFunc(b.serveCustomer)))
	return mux
}
