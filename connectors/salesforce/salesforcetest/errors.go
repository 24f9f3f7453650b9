package salesforcetest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

// apiError is one element of the REST error array (§7).
type apiError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields,omitempty"`
}

// reqCtx is one request in flight.
type reqCtx struct {
	s         *Server
	w         *fakekit.StatusWriter
	r         *http.Request
	body      []byte
	m         match
	loginHost bool
	sess      *fakekit.Session[session]
	// usage is the API usage admit counted, so handlers holding s.mu
	// never re-lock to set the header.
	usage *[2]int
}

// limitHeader sets Sforce-Limit-Info (§6.3) on every data response.
func (c *reqCtx) limitHeader() {
	if c.m.route == RouteToken || c.m.route == RouteVersions {
		return
	}
	var used, max int
	if c.usage != nil {
		used, max = c.usage[0], c.usage[1]
	} else {
		used, max = c.s.APIUsage()
	}
	if max < 0 {
		return
	}
	v := "api-usage=" + strconv.Itoa(used) + "/" + strconv.Itoa(max)
	if app := c.s.opts.PerAppLimit; app > 0 {
		// The segment's format is the documented example's; unverified.
		v += "; per-app-api-usage=" + strconv.Itoa(min(used, app)) + "/" + strconv.Itoa(app) + "(appName=rfmsync)"
	}
	c.w.Header().Set("Sforce-Limit-Info", v)
}

func (c *reqCtx) writeJSON(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("salesforcetest: encode response: %v", err))
	}
	c.send(status, "application/json;charset=UTF-8", b)
}

// send writes a response body, gzipped when the client accepts it (§0):
// a client that asks for gzip must be able to read it.
func (c *reqCtx) send(status int, contentType string, b []byte) {
	c.limitHeader()
	h := c.w.Header()
	h.Set("Content-Type", contentType)
	if len(b) > 0 && acceptsGzip(c.r.Header.Get("Accept-Encoding")) {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
		_, _ = zw.Write(b)
		_ = zw.Close()
		b = z.Bytes()
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
	}
	c.w.WriteHeader(status)
	_, _ = c.w.Write(b)
}

func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func (c *reqCtx) fail(status int, code, msg string, fields ...string) {
	c.writeJSON(status, []apiError{{Message: msg, ErrorCode: code, Fields: fields}})
}

func (c *reqCtx) failQuery(status int, e *queryError) {
	c.writeJSON(status, []apiError{{Message: e.msg, ErrorCode: e.code, Fields: e.fields}})
}

func (c *reqCtx) noContent() {
	c.limitHeader()
	c.w.WriteHeader(http.StatusNoContent)
}

// Fault is an injected response, served before auth and limits.
type Fault struct {
	// Status is the HTTP status.
	Status int
	// ErrorCode and Message override the JSON body's defaults for Status:
	// 400 QUERY_TIMEOUT, 401 INVALID_SESSION_ID, 403 REQUEST_LIMIT_EXCEEDED
	// "TotalRequests Limit exceeded.", 500 UNKNOWN_EXCEPTION, 503
	// SERVER_UNAVAILABLE (errorCode unverified, §7).
	ErrorCode string
	Message   string
	// HTML sends an HTML page, as during maintenance (§7); 502 and 504
	// always get one.
	HTML bool
	// Empty sends no body, as edge proxies do for 406/420/429 (always
	// empty for those).
	Empty bool
	// Body, when set, is sent verbatim with a JSON content type.
	Body string
}

// Faults for the usual cases.
var (
	FaultSessionExpired  = Fault{Status: http.StatusUnauthorized}
	FaultDailyLimit      = Fault{Status: http.StatusForbidden}
	FaultConcurrentLimit = Fault{Status: http.StatusForbidden, Message: "ConcurrentPerOrgLongTxn Limit exceeded."}
	FaultQueryTimeout    = Fault{Status: http.StatusBadRequest}
	FaultServerError     = Fault{Status: http.StatusInternalServerError}
	FaultUnavailable     = Fault{Status: http.StatusServiceUnavailable}
	FaultMaintenancePage = Fault{Status: http.StatusServiceUnavailable, HTML: true}
	FaultEdgeRateLimited = Fault{Status: http.StatusTooManyRequests}
	FaultInvalidLocator  = Fault{Status: http.StatusBadRequest, ErrorCode: "INVALID_QUERY_LOCATOR", Message: "invalid query locator"}
)

// InjectFault makes the next n requests of route (AnyRoute: any) answer f.
func (s *Server) InjectFault(route Route, n int, f Fault) { s.faults.Inject(route, n, f) }

// InjectFaultAt makes the route's call number call (1-based; AnyRoute: the
// overall count) answer f.
func (s *Server) InjectFaultAt(route Route, call int, f Fault) { s.faults.InjectAt(route, call, f) }

// ClearFaults drops pending faults, stalls, delays and hooks.
func (s *Server) ClearFaults() { s.faults.Clear() }

// Stall holds the next n requests of route until release (see fakekit).
func (s *Server) Stall(route Route, n int) (arrived <-chan struct{}, release func()) {
	return s.faults.Stall(route, n)
}

// OnRequest runs fn when a request of route arrives, with its 1-based
// count; fn may call the seeding API. nil removes it.
func (s *Server) OnRequest(route Route, fn func(n int)) { s.faults.OnRequest(route, fn) }

func (s *Server) writeFault(c *reqCtx, f Fault) {
	st := f.Status
	if f.Body != "" {
		c.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		c.w.WriteHeader(st)
		_, _ = c.w.Write([]byte(f.Body))
		return
	}
	if f.Empty || st == 406 || st == 420 || st == 429 {
		c.w.WriteHeader(st)
		return
	}
	if f.HTML || st == 502 || st == 504 {
		c.w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		c.w.WriteHeader(st)
		_, _ = fmt.Fprintf(c.w, "<html><head><title>%d</title></head><body><h1>%s</h1><p>Salesforce is down for maintenance.</p></body></html>", st, http.StatusText(st))
		return
	}
	code, msg := f.ErrorCode, f.Message
	def := map[int][2]string{
		400: {"QUERY_TIMEOUT", "Your query request was running for too long."},
		401: {"INVALID_SESSION_ID", "Session expired or invalid"},
		403: {"REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."},
		404: {"NOT_FOUND", "The requested resource does not exist"},
		500: {"UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you contact support: 1864-2203 (-101)"},
		503: {"SERVER_UNAVAILABLE", "Server temporarily unavailable; please try again later"},
	}[st]
	if code == "" {
		code = def[0]
		if code == "" {
			code = "UNKNOWN_EXCEPTION"
		}
	}
	if msg == "" {
		msg = def[1]
		if msg == "" {
			msg = http.StatusText(st)
		}
	}
	c.fail(st, code, msg)
}
