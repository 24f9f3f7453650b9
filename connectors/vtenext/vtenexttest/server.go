package vtenexttest

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

// DefaultStart is the fake clock's start when Options.Start is zero.
var DefaultStart = time.Date(2024, 6, 4, 10, 0, 0, 0, time.UTC)

// Defaults of Options.
const (
	DefaultUser       = "rfmsync"
	DefaultAccessKey  = "A1b2C3d4E5f6G7h8"
	DefaultDateFormat = "dd-mm-yyyy"
	DefaultTimezone   = "Europe/Rome"
	DefaultCFPrefix   = "k3p"
	// TokenLife is how long a challenge token lives (§2.1).
	TokenLife = 300 * time.Second
	// DefaultSessionIdle is PHP's session garbage-collection age (§2.3).
	DefaultSessionIdle = 1440 * time.Second
	// LockAfter failed logins lock a (user, IP) pair; BanAfter ban the IP.
	LockAfter = 5
	BanAfter  = 100
	// NoLimitRows is what a query without LIMIT silently stops at (§4.3).
	NoLimitRows = 1000
)

// Options configures a Server; the zero value is usable.
type Options struct {
	Start time.Time
	// Users maps user names to access keys; nil means DefaultUser with
	// DefaultAccessKey. A user with an empty key has none (ACCESSKEY_UNDEFINED).
	Users map[string]string
	// DateFormat is the API user's date format: dd-mm-yyyy (default),
	// mm-dd-yyyy or yyyy-mm-dd.
	DateFormat string
	// Timezone is the server's default time zone, in whose wall time
	// datetimes are stored and returned (default Europe/Rome).
	Timezone string
	// CFPrefix is the install's random custom-field prefix (default k3p);
	// "-" names custom fields cf_<n> as older installs do.
	CFPrefix string
	// SessionIdle is how long an unused session lives (default 1,440 s).
	SessionIdle time.Duration
}

// Route is one operation, for faults, hooks and call counts.
type Route = fakekit.Route

// AnyRoute matches every operation.
const AnyRoute = fakekit.AnyRoute

// Fault is an answer served instead of handling a request.
type Fault struct {
	// Status ≥ 500 answers that status with an HTML error page.
	Status int
	// Code and Message answer a handled error (HTTP 200, success:false).
	Code, Message string
	// Maintenance answers the maintenance-mode string error.
	Maintenance bool
	// ExpireSession drops every live session first, so the request meets
	// INVALID_SESSIONID.
	ExpireSession bool
	// Slow applies the write, then holds the answer until the client gives
	// up (a save slower than the client's timeout).
	Slow bool
}

// Server is the fake. Point a client at an httptest.Server wrapping it.
type Server struct {
	clock  *fakekit.Clock
	log    fakekit.CallLog
	faults fakekit.Faults[Fault]
	loc    *time.Location
	opts   Options

	mu          sync.Mutex
	modules     map[string]*module
	records     map[int]*record
	nextID      int
	nextFieldID int
	users       map[string]*user
	tokens      map[string]challenge // token → user and expiry
	sessions    map[string]*session
	failures    map[[2]string]int // (user, ip) → failed logins
	locked      map[[2]string]bool
	ipFailures  map[string]int
	maintenance bool
	denied      map[int]string // crmid → ACCESS_DENIED message on revise
	rejected    map[int]bool   // crmid → revise refused as MANDATORY_FIELDS_MISSING
	unreadable  map[int]bool   // crmid → dropped by the per-record check after LIMIT
	served      map[string]int
	logins      int
	seq         uint64
}

type user struct {
	name, key string
	active    bool
	crmid     int
}

type challenge struct {
	user    string
	expires time.Time
}

type session struct {
	user     string
	lastUsed time.Time
}

// New returns a fake vtenext with the standard modules, one API user, the
// base currency (Euro, 23x1) and a second one (US Dollar, 23x2, rate 1.100).
func New(o Options) *Server {
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	if o.DateFormat == "" {
		o.DateFormat = DefaultDateFormat
	}
	if o.Timezone == "" {
		o.Timezone = DefaultTimezone
	}
	if o.CFPrefix == "" {
		o.CFPrefix = DefaultCFPrefix
	}
	if o.SessionIdle == 0 {
		o.SessionIdle = DefaultSessionIdle
	}
	if o.Users == nil {
		o.Users = map[string]string{DefaultUser: DefaultAccessKey}
	}
	if _, ok := dateLayouts[o.DateFormat]; !ok {
		panic("vtenexttest: unknown date format " + o.DateFormat)
	}
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil {
		panic("vtenexttest: " + err.Error())
	}
	s := &Server{clock: fakekit.NewClock(o.Start, false), loc: loc, opts: o, modules: schema(),
		records: map[int]*record{}, nextID: 1, nextFieldID: 1000, users: map[string]*user{},
		tokens: map[string]challenge{}, sessions: map[string]*session{}, failures: map[[2]string]int{},
		locked: map[[2]string]bool{}, ipFailures: map[string]int{}, denied: map[int]string{},
		rejected: map[int]bool{}, unreadable: map[int]bool{}, served: map[string]int{}}
	for name, key := range o.Users {
		s.AddUser(name, key, true)
	}
	s.Create(Currency, map[string]string{"currency_name": "Euro", "currency_code": "EUR", "currency_symbol": "€", "conversion_rate": "1", "currency_status": "Active"})
	s.Create(Currency, map[string]string{"currency_name": "USA, Dollars", "currency_code": "USD", "currency_symbol": "$", "conversion_rate": "1.1", "currency_status": "Active"})
	return s
}

// Clock access.
func (s *Server) Now() time.Time          { return s.clock.Now() }
func (s *Server) Advance(d time.Duration) { s.clock.Advance(d) }
func (s *Server) Set(t time.Time)         { s.clock.Set(t) }

// Location is the server's time zone.
func (s *Server) Location() *time.Location { return s.loc }

// Calls returns the request log (operation as Route; login bodies left out).
func (s *Server) Calls() []fakekit.Call { return s.log.Calls() }

// Count returns how many requests of an operation arrived (AnyRoute: all).
func (s *Server) Count(op Route) int { return s.log.Count(op) }

// ResetCalls clears the request log.
func (s *Server) ResetCalls() { s.log.Reset() }

// Logins counts successful logins.
func (s *Server) Logins() int { s.mu.Lock(); defer s.mu.Unlock(); return s.logins }

// Inject makes the next n requests of op (AnyRoute: any) answer f.
func (s *Server) Inject(op Route, n int, f Fault) { s.faults.Inject(op, n, f) }

// Served counts the faults actually served, by kind: "5xx", "maintenance",
// "session", "slow" or the error code.
func (s *Server) Served(kind string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.served[kind] }

// OnRequest runs fn when a request of op arrives (see fakekit.Faults).
func (s *Server) OnRequest(op Route, fn func(n int)) { s.faults.OnRequest(op, fn) }

// SetMaintenance switches maintenance mode.
func (s *Server) SetMaintenance(on bool) { s.mu.Lock(); s.maintenance = on; s.mu.Unlock() }

// ExpireSessions drops every session, as PHP's garbage collector does.
func (s *Server) ExpireSessions() { s.mu.Lock(); s.sessions = map[string]*session{}; s.mu.Unlock() }

// Sessions counts live sessions.
func (s *Server) Sessions() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.sessions) }

// Close releases held requests.
func (s *Server) Close() { s.faults.ReleaseAll() }

// opKind is an operation's registered type: the channel its parameters
// are read from.
var opKind = map[string]string{
	"getchallenge": http.MethodGet, "login": http.MethodPost, "logout": http.MethodPost,
	"listtypes": http.MethodGet, "describe": http.MethodGet, "describe_all": http.MethodGet,
	"query": http.MethodGet, "retrieve": http.MethodGet, "revise": http.MethodPost,
	"update": http.MethodPost, "create": http.MethodPost, "delete": http.MethodPost, "sync": http.MethodGet,
}

// wsError is a handled web-service error.
type wsError struct{ Code, Message string }

func (e *wsError) Error() string { return e.Code + ": " + e.Message }

func errf(code, msg string) *wsError { return &wsError{Code: code, Message: msg} }

// ServeHTTP serves /webservice.php.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/webservice.php") {
		http.NotFound(w, r)
		return
	}
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	form := url.Values{}
	if r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, _ = url.ParseQuery(string(body))
	}
	q := r.URL.Query()
	op := strings.ToLower(first(q.Get("operation"), form.Get("operation")))
	kept := body
	if op == "login" {
		kept = nil
	}
	sw := &fakekit.StatusWriter{ResponseWriter: w}
	n, total, idx := s.log.Start(fakekit.Call{Route: Route(op), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: kept, At: s.clock.Now()})
	defer func() { s.log.End(idx, sw.Status) }()
	s.faults.RunHooks(Route(op), n, total)
	kind, known := opKind[op]
	if !known || op == "sync" {
		// The operation lookup runs before the error handler is armed, and
		// sync dies on a missing argument: a PHP fatal, no JSON (§1.2, §4.7).
		htmlPage(sw, http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	maint := s.maintenance
	s.mu.Unlock()
	if maint {
		writeJSON(sw, map[string]any{"success": false, "error": "The system is in maintenance mode"})
		return
	}
	f, faulty := s.faults.Take(Route(op), n, total)
	if faulty && s.serveFault(sw, f) {
		return
	}
	params := q
	if kind == http.MethodPost {
		params = form
	}
	get := func(name string) string {
		v := params.Get(name)
		if v == "0" {
			return ""
		}
		return v
	}
	sessionName := first(q.Get("sessionName"), form.Get("sessionName"))
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	result, werr := s.handle(r.Context(), op, get, sessionName, ip, faulty && f.Slow)
	if werr != nil {
		writeJSON(sw, map[string]any{"success": false, "error": map[string]string{"message": werr.Message, "code": werr.Code}})
		return
	}
	if faulty && f.Slow {
		s.count("slow")
		<-r.Context().Done() // the save landed; the answer never does
		return
	}
	writeJSON(sw, map[string]any{"success": true, "result": result})
}

// serveFault answers a fault; false means handle the request after it
// (a session expiry or a slow write).
func (s *Server) serveFault(w http.ResponseWriter, f Fault) bool {
	switch {
	case f.ExpireSession:
		s.count("session")
		s.ExpireSessions()
		return false
	case f.Slow:
		return false
	case f.Maintenance:
		s.count("maintenance")
		writeJSON(w, map[string]any{"success": false, "error": "The system is in maintenance mode"})
	case f.Status >= 500:
		s.count("5xx")
		htmlPage(w, f.Status)
	default:
		s.count(f.Code)
		writeJSON(w, map[string]any{"success": false, "error": map[string]string{"message": f.Message, "code": f.Code}})
	}
	return true
}

func (s *Server) count(kind string) { s.mu.Lock(); s.served[kind]++; s.mu.Unlock() }

// handle runs one operation after the transport checks.
func (s *Server) handle(ctx context.Context, op string, get func(string) string, sessionName, ip string, slow bool) (any, *wsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if sessionName != "" {
		if !s.liveSession(sessionName, now) {
			return nil, errf("INVALID_SESSIONID", "Session Identifier provided is Invalid")
		}
	} else if op != "getchallenge" && op != "login" {
		return nil, errf("AUTHENTICATION_REQUIRED", "Authencation required")
	}
	switch op {
	case "getchallenge":
		return s.getChallenge(get("username"), now), nil
	case "login":
		return s.login(get("username"), get("accessKey"), ip, now)
	case "logout":
		delete(s.sessions, sessionName)
		return map[string]string{"message": "successfull"}, nil
	case "listtypes":
		return s.listTypes(), nil
	case "describe", "describe_all":
		return s.describe(get("elementType"), op == "describe_all")
	case "query":
		return s.query(get("query"))
	case "retrieve":
		return s.retrieve(get("id"))
	case "revise":
		return s.revise(get("element"), now)
	case "update":
		return s.update(get("element"), now)
	}
	// create and delete are registered but not needed by rfmsync.
	return nil, errf("OPERATION_NOT_SUPPORTED", "Operation "+op+" is not supported by this fake")
}

func (s *Server) liveSession(name string, now time.Time) bool {
	se, ok := s.sessions[name]
	if !ok {
		return false
	}
	if now.Sub(se.lastUsed) > s.opts.SessionIdle {
		delete(s.sessions, name)
		return false
	}
	se.lastUsed = now
	return true
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

func htmlPage(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "<html><head><title>"+http.StatusText(status)+"</title></head><body><h1>"+
		http.StatusText(status)+"</h1><p>PHP Fatal error: Uncaught Exception</p></body></html>")
}
