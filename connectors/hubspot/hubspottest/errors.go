package hubspottest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

// headerCorrelationID carries the same UUID as an error body's correlationId.
const headerCorrelationID = "X-HubSpot-Correlation-Id"

// jsonContentType is what HubSpot answers with (§0).
const jsonContentType = "application/json;charset=utf-8"

// apiError is HubSpot's generic error envelope (§7); 429 bodies add the
// rate-limit fields.
type apiError struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Category      string              `json:"category,omitempty"`
	SubCategory   string              `json:"subCategory,omitempty"`
	ErrorType     string              `json:"errorType,omitempty"`
	PolicyName    string              `json:"policyName,omitempty"`
	GroupName     string              `json:"groupName,omitempty"`
	RequestID     string              `json:"requestId,omitempty"`
	Errors        []errorDetail       `json:"errors,omitempty"`
	Context       map[string][]string `json:"context,omitempty"`
	Links         map[string]string   `json:"links,omitempty"`
}

// errorDetail is one entry of errors[].
type errorDetail struct {
	Message string              `json:"message"`
	Code    string              `json:"code,omitempty"`
	In      string              `json:"in,omitempty"`
	Context map[string][]string `json:"context,omitempty"`
}

// batchError is a per-item StandardError of a 207 response.
type batchError struct {
	Status      string              `json:"status"`
	Category    string              `json:"category"`
	SubCategory string              `json:"subCategory,omitempty"`
	Message     string              `json:"message"`
	Context     map[string][]string `json:"context,omitempty"`
}

// reqCtx is one request in flight.
type reqCtx struct {
	s    *Server
	w    *fakekit.StatusWriter
	r    *http.Request
	cid  string
	m    match
	body []byte
	tok  *token
}

// writeJSON answers with a JSON body, without HTML escaping as HubSpot does.
func (c *reqCtx) writeJSON(status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, `{"status":"error","message":"hubspottest: encode: %s","correlationId":%q}`, err, c.cid)
	}
	c.w.Header().Set("Content-Type", jsonContentType)
	c.w.WriteHeader(status)
	_, _ = c.w.Write(buf.Bytes())
}

// failWith answers with an error envelope carrying the correlation ID.
func (c *reqCtx) failWith(status int, e apiError) {
	if e.Status == "" {
		e.Status = "error"
	}
	e.CorrelationID = c.cid
	c.writeJSON(status, e)
}

// fail answers with a minimal error envelope.
func (c *reqCtx) fail(status int, category, msg string) {
	c.failWith(status, apiError{Message: msg, Category: category})
}

// validation answers 400 VALIDATION_ERROR, HubSpot's class for every bad
// request (bad filters, bad values, paging past 10k, oversized batches).
func (c *reqCtx) validation(format string, args ...any) {
	c.fail(http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf(format, args...))
}

// html answers with an HTML page, as proxies (Cloudflare) do; such answers
// carry no correlation ID.
func (c *reqCtx) html(status int, page string) {
	c.w.Header().Del(headerCorrelationID)
	c.w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	c.w.WriteHeader(status)
	_, _ = c.w.Write([]byte(page))
}

func htmlPage(code int, title string) string {
	return fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n",
		code, title, code, title)
}

// decodeJSON checks the Content-Type and decodes the body into v, answering
// the way HubSpot's JSON layer does on failure: 415 for a non-JSON media type
// and 400 "Invalid input JSON …" for a body that does not parse.
func (c *reqCtx) decodeJSON(v any) bool {
	ct := c.r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		c.fail(http.StatusUnsupportedMediaType, "", fmt.Sprintf("HTTP 415 Unsupported Media Type: content type %q is not supported, use application/json", ct))
		return false
	}
	if len(bytes.TrimSpace(c.body)) == 0 {
		c.validation("Invalid input JSON on line 1, column 1: No content to map due to end-of-input")
		return false
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		line, col := 1, 1
		var off int64 = -1
		switch e := err.(type) {
		case *json.SyntaxError:
			off = e.Offset
		case *json.UnmarshalTypeError:
			off = e.Offset
		}
		if off >= 0 {
			line, col = lineCol(c.body, off)
		}
		c.validation("Invalid input JSON on line %d, column %d: %s", line, col, strings.TrimPrefix(err.Error(), "json: "))
		return false
	}
	return true
}

// lineCol converts a byte offset into a 1-based line and column.
func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(b[:off], '\n')
	return line, col
}

// scalar decodes a JSON scalar the way Jackson coerces into a String field:
// strings as is, numbers and booleans as their literal; ok is false for null,
// absent, objects and arrays.
func scalar(raw json.RawMessage) (string, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return "", false
	}
	switch t[0] {
	case '"':
		var s string
		if json.Unmarshal(t, &s) != nil {
			return "", false
		}
		return s, true
	case '{', '[':
		return "", false
	default:
		return string(t), true
	}
}
