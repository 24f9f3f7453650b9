// Package hostile wraps any CRM fake in a hostile server: truncated and
// null bodies, wrong JSON types, oversized pages, stalls, connection resets
// and odd Retry-After values, injected into chosen requests. A connector's
// test (or the conformance suite) runs a sync through it and checks that
// nothing hangs, crashes, pauses later runs or commits a spoilt answer.
//
//	srv := httptest.NewServer(hostile.Wrap(fake, hostile.Scenario{
//		Name: "null page", Match: hostile.PathSuffix("/search"), Times: 1, Spoil: hostile.NullJSON(),
//	}))
//
// It knows no CRM: scenarios match requests by method and path, and the
// JSON spoilers work on any body.
package hostile

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// Spoil answers a request instead of the fake, or by rewriting the fake's
// answer (next is the wrapped fake).
type Spoil func(w http.ResponseWriter, r *http.Request, next http.Handler)

// Scenario spoils some requests.
type Scenario struct {
	Name string
	// Match selects the requests it applies to; nil matches every one.
	Match func(*http.Request) bool
	// After lets this many matching requests through untouched first.
	After int
	// Times is how many matching requests it spoils; 0 means all of them.
	Times int
	Spoil Spoil
}

// Handler is the hostile wrapper. It is safe for concurrent use.
type Handler struct {
	next      http.Handler
	scenarios []*state
	release   chan struct{}
	once      sync.Once
}

type state struct {
	Scenario
	mu      sync.Mutex
	seen    int
	spoiled int
}

// take reports whether r is to be spoiled by s, and counts it.
func (s *state) take(r *http.Request) bool {
	if s.Match != nil && !s.Match(r) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen++
	if s.seen <= s.After || (s.Times > 0 && s.spoiled >= s.Times) {
		return false
	}
	s.spoiled++
	return true
}

// Wrap returns next behind the scenarios; the first that takes a request
// spoils it, and requests no scenario takes reach next unchanged.
func Wrap(next http.Handler, scenarios ...Scenario) *Handler {
	h := &Handler{next: next, release: make(chan struct{})}
	for _, s := range scenarios {
		h.scenarios = append(h.scenarios, &state{Scenario: s})
	}
	return h
}

// Middleware is Wrap as a func(http.Handler) http.Handler.
func Middleware(scenarios ...Scenario) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler { return Wrap(next, scenarios...) }
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, s := range h.scenarios {
		if s.take(r) {
			s.Spoil(w, r.WithContext(withRelease(r, h.release)), h.next)
			return
		}
	}
	h.next.ServeHTTP(w, r)
}

// Spoiled is how many requests the scenario named name spoiled.
func (h *Handler) Spoiled(name string) int {
	n := 0
	for _, s := range h.scenarios {
		if s.Name == name {
			s.mu.Lock()
			n += s.spoiled
			s.mu.Unlock()
		}
	}
	return n
}

// Release ends every stall in progress and makes later ones return at
// once; call it before closing the server.
func (h *Handler) Release() { h.once.Do(func() { close(h.release) }) }

// Matchers.

// PathSuffix matches requests whose path ends in suffix.
func PathSuffix(suffix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, suffix) }
}

// PathContains matches requests whose path contains part.
func PathContains(part string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.Contains(r.URL.Path, part) }
}

// Method matches requests of method m and, if given, match.
func Method(m string, match func(*http.Request) bool) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == m && (match == nil || match(r)) }
}

// Spoilers.

// Status answers status with body and the given headers, never reaching the fake.
func Status(status int, body string, header ...string) Spoil {
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

// RetryAfter answers status (429 or 503) with Retry-After: value and an
// empty body.
func RetryAfter(status int, value string) Spoil { return Status(status, "", "Retry-After", value) }

// OddRetryAfters are Retry-After values a hostile server sends: a far
// HTTP date, seconds beyond any sane wait, a day, negative, and garbage.
var OddRetryAfters = []string{"Fri, 01 Jan 2163 00:00:00 GMT", "4000000000", "86400", "-60", "soon", "1e9"}

// Truncated sends the fake's headers, a Content-Length of the whole body
// and only the first half of it, then drops the connection.
func Truncated() Spoil {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := record(next, r)
		body := rec.Body.Bytes()
		copyHeader(w.Header(), rec.Header())
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		abort(w, false)
	}
}

// Body answers the fake's status and headers with body instead of its own.
func Body(body string) Spoil {
	return Rewrite(func(int, []byte) []byte { return []byte(body) })
}

// NullJSON answers 200-class responses with the JSON literal null.
func NullJSON() Spoil { return Body("null") }

// EmptyBody answers with an empty body.
func EmptyBody() Spoil { return Body("") }

// Rewrite passes the request to the fake and rewrites its body with f.
func Rewrite(f func(status int, body []byte) []byte) Spoil {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := record(next, r)
		body := f(rec.Code, rec.Body.Bytes())
		copyHeader(w.Header(), rec.Header())
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body)
	}
}

// RewriteJSON rewrites a JSON body of the fake with f; other bodies pass.
func RewriteJSON(f func(v any) any) Spoil {
	return Rewrite(func(_ int, body []byte) []byte {
		var v any
		if json.Unmarshal(body, &v) != nil {
			return body
		}
		out, err := json.Marshal(f(v))
		if err != nil {
			return body
		}
		return out
	})
}

// SetField sets key to value wherever it appears in the JSON body (value
// nil makes it null: "results": null).
func SetField(key string, value any) Spoil {
	return RewriteJSON(func(v any) any { return walk(v, func(k string, x any) (any, bool) { return value, k == key }) })
}

// DropField removes key wherever it appears in the JSON body.
func DropField(key string) Spoil {
	return RewriteJSON(func(v any) any { return drop(v, key) })
}

// WrongTypes swaps the type of every scalar in the JSON body: strings
// become numbers, numbers strings, booleans strings, and arrays objects.
func WrongTypes() Spoil {
	return RewriteJSON(func(v any) any { return swap(v) })
}

// HugePage repeats the elements of every array in the JSON body factor
// times: a page far larger than the limit the client asked for.
func HugePage(factor int) Spoil {
	return RewriteJSON(func(v any) any { return repeat(v, factor) })
}

// CursorBack lets the first pass responses through, remembering the first
// value of key (a paging cursor such as "after" or "nextRecordsUrl"), and
// answers every later one with that value: the cursor goes back to a page
// already read (A→B→A), which a client must detect rather than loop on.
func CursorBack(key string, pass int) Spoil {
	var mu sync.Mutex
	seen, first := 0, any(nil)
	return RewriteJSON(func(v any) any {
		mu.Lock()
		defer mu.Unlock()
		seen++
		return walk(v, func(k string, x any) (any, bool) {
			if k != key {
				return nil, false
			}
			if first == nil {
				first = x
			}
			if seen <= pass {
				return x, true
			}
			return first, true
		})
	})
}

// Stall sends the fake's status and headers (and a first byte of the body
// if withByte), then nothing until the client gives up or Release.
func Stall(withByte bool) Spoil {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := record(next, r)
		copyHeader(w.Header(), rec.Header())
		w.Header().Set("Content-Length", strconv.Itoa(rec.Body.Len()))
		w.WriteHeader(rec.Code)
		if withByte && rec.Body.Len() > 0 {
			w.Write(rec.Body.Bytes()[:1])
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		waitOut(r)
	}
}

// StallHeaders sends nothing at all until the client gives up or Release.
func StallHeaders() Spoil {
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) { waitOut(r) }
}

// Reset drops the connection without an answer, with a TCP RST.
func Reset() Spoil {
	return func(w http.ResponseWriter, r *http.Request, _ http.Handler) { abort(w, true) }
}

// Helpers.

type releaseKey struct{}

func withRelease(r *http.Request, ch chan struct{}) context.Context {
	return context.WithValue(r.Context(), releaseKey{}, ch)
}

func waitOut(r *http.Request) {
	ch, _ := r.Context().Value(releaseKey{}).(chan struct{})
	select {
	case <-r.Context().Done():
	case <-ch:
	}
}

// record runs the fake and captures its answer.
func record(next http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return rec
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if k == "Content-Length" {
			continue
		}
		dst[k] = append([]string(nil), vs...)
	}
}

// abort closes the connection under w; rst makes it a reset, not a FIN.
func abort(w http.ResponseWriter, rst bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok && rst {
		tc.SetLinger(0)
	}
	conn.Close()
}

func walk(v any, f func(k string, x any) (any, bool)) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if nv, ok := f(k, x); ok {
				t[k] = nv
			} else {
				t[k] = walk(x, f)
			}
		}
	case []any:
		for i := range t {
			t[i] = walk(t[i], f)
		}
	}
	return v
}

func drop(v any, key string) any {
	switch t := v.(type) {
	case map[string]any:
		delete(t, key)
		for k := range t {
			t[k] = drop(t[k], key)
		}
	case []any:
		for i := range t {
			t[i] = drop(t[i], key)
		}
	}
	return v
}

func swap(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k := range t {
			t[k] = swap(t[k])
		}
		return t
	case []any:
		m := map[string]any{}
		for i, x := range t {
			m[strconv.Itoa(i)] = swap(x)
		}
		return m
	case string:
		if n, err := strconv.ParseFloat(t, 64); err == nil {
			return n + 0.5
		}
		return len(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	return v
}

func repeat(v any, factor int) any {
	switch t := v.(type) {
	case map[string]any:
		for k := range t {
			t[k] = repeat(t[k], factor)
		}
		return t
	case []any:
		out := make([]any, 0, len(t)*factor)
		for range factor {
			out = append(out, t...)
		}
		return out
	}
	return v
}
