package vtenexttest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// client is a bare web-service client for the fake's own tests.
type client struct {
	t       *testing.T
	url     string
	session string
}

type envelope struct {
	Success bool            `json:"success"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

func newTest(t *testing.T, o Options) (*Server, *client) {
	t.Helper()
	s := New(o)
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	return s, &client{t: t, url: srv.URL + "/webservice.php"}
}

// call sends op on its registered channel (GET query or POST form).
func (c *client) call(method, op string, params map[string]string) (int, []byte) {
	c.t.Helper()
	v := url.Values{"operation": {op}}
	for k, p := range params {
		v.Set(k, p)
	}
	if c.session != "" && params["sessionName"] == "" {
		v.Set("sessionName", c.session)
	}
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = http.Get(c.url + "?" + v.Encode())
	} else {
		resp, err = http.Post(c.url, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	}
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// ok calls and decodes a success result into out.
func (c *client) ok(method, op string, params map[string]string, out any) {
	c.t.Helper()
	status, b := c.call(method, op, params)
	var e envelope
	if status != 200 || json.Unmarshal(b, &e) != nil || !e.Success {
		c.t.Fatalf("%s: status %d body %s", op, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(e.Result, out); err != nil {
			c.t.Fatalf("%s result: %v in %s", op, err, e.Result)
		}
	}
}

// fails calls and returns the handled error's code and message.
func (c *client) fails(method, op string, params map[string]string) (code, msg string) {
	c.t.Helper()
	status, b := c.call(method, op, params)
	var e envelope
	if status != 200 || json.Unmarshal(b, &e) != nil || e.Success {
		c.t.Fatalf("%s: want a handled error with HTTP 200, got %d %s", op, status, b)
	}
	var obj struct{ Code, Message string }
	if json.Unmarshal(e.Error, &obj) != nil {
		var s string
		_ = json.Unmarshal(e.Error, &s)
		return "", s
	}
	return obj.Code, obj.Message
}

func (c *client) challenge(user string) string {
	var r struct {
		Token      string `json:"token"`
		ServerTime int64  `json:"serverTime"`
		ExpireTime int64  `json:"expireTime"`
	}
	c.ok(http.MethodGet, "getchallenge", map[string]string{"username": user}, &r)
	if !regexp.MustCompile(`^[0-9a-f]{13}$`).MatchString(r.Token) || r.ExpireTime != r.ServerTime+300 {
		c.t.Fatalf("challenge %+v", r)
	}
	return r.Token
}

func (c *client) login() {
	c.t.Helper()
	tok := c.challenge(DefaultUser)
	var r struct {
		SessionName string `json:"sessionName"`
		UserID      string `json:"userId"`
		Version     string `json:"version"`
		Timezone    int    `json:"timezone"`
	}
	c.ok(http.MethodPost, "login", map[string]string{"username": DefaultUser, "accessKey": AccessKeyFor(tok, DefaultAccessKey)}, &r)
	if r.SessionName == "" || !strings.HasPrefix(r.UserID, "19x") || r.Version != "0.22" {
		c.t.Fatalf("login result %+v", r)
	}
	c.session = r.SessionName
}

func (c *client) query(q string) []map[string]string {
	c.t.Helper()
	var rows []map[string]string
	c.ok(http.MethodGet, "query", map[string]string{"query": q}, &rows)
	return rows
}

func TestLoginAndSessions(t *testing.T) {
	s, c := newTest(t, Options{})
	// Login sent as GET reads its parameters from the wrong channel: empty.
	tok := c.challenge(DefaultUser)
	if code, _ := c.fails(http.MethodGet, "login", map[string]string{"username": DefaultUser, "accessKey": AccessKeyFor(tok, DefaultAccessKey)}); code != "INVALID_AUTH_TOKEN" {
		t.Errorf("login as GET: %s", code)
	}
	if code, _ := c.fails(http.MethodGet, "describe", map[string]string{"elementType": Accounts}); code != "AUTHENTICATION_REQUIRED" {
		t.Errorf("no session: %s", code)
	}
	if code, _ := c.fails(http.MethodGet, "getchallenge", map[string]string{"username": DefaultUser, "sessionName": "nope"}); code != "INVALID_SESSIONID" {
		t.Errorf("getchallenge with an unknown session: %s", code)
	}
	c.login()
	c.ok(http.MethodGet, "listtypes", nil, nil)
	// A token is not consumed by login, and several live side by side.
	other := &client{t: t, url: c.url}
	other.login()
	if s.Sessions() != 2 || s.Logins() != 2 {
		t.Errorf("sessions %d logins %d", s.Sessions(), s.Logins())
	}
	s.Advance(DefaultSessionIdle - time.Second)
	c.ok(http.MethodGet, "listtypes", nil, nil) // used: stays alive
	s.Advance(2 * time.Second)
	c.ok(http.MethodGet, "listtypes", nil, nil)
	if code, _ := other.fails(http.MethodGet, "listtypes", nil); code != "INVALID_SESSIONID" {
		t.Errorf("idle session: %s", code)
	}
	// An expired challenge token no longer logs in.
	tok = c.challenge(DefaultUser)
	s.Advance(TokenLife)
	other.session = ""
	if code, _ := other.fails(http.MethodPost, "login", map[string]string{"username": DefaultUser, "accessKey": AccessKeyFor(tok, DefaultAccessKey)}); code != "INVALID_AUTH_TOKEN" {
		t.Errorf("expired token: %s", code)
	}
	var out map[string]string
	c.ok(http.MethodPost, "logout", nil, &out)
	if out["message"] != "successfull" {
		t.Errorf("logout %v", out)
	}
}

func TestLockOutAndBan(t *testing.T) {
	s, c := newTest(t, Options{Users: map[string]string{"rfmsync": "right", "other": "key2"}})
	bad := func(user string) string {
		tok := c.challenge(user)
		code, _ := c.fails(http.MethodPost, "login", map[string]string{"username": user, "accessKey": AccessKeyFor(tok, "wrong")})
		return code
	}
	for i := 0; i < LockAfter; i++ {
		if code := bad("rfmsync"); code != "INVALID_USER_CREDENTIALS" {
			t.Fatalf("failure %d: %s", i+1, code)
		}
	}
	tok := c.challenge("rfmsync")
	if code, _ := c.fails(http.MethodPost, "login", map[string]string{"username": "rfmsync", "accessKey": AccessKeyFor(tok, "right")}); code != "LOGIN_LOCKED" {
		t.Errorf("correct key after 5 failures: %s, want LOGIN_LOCKED", code)
	}
	s.Unlock("rfmsync")
	tok = c.challenge("rfmsync")
	c.ok(http.MethodPost, "login", map[string]string{"username": "rfmsync", "accessKey": AccessKeyFor(tok, "right")}, nil)
	n := LockAfter
	for n < BanAfter {
		bad(fmt.Sprintf("ghost%d", n)) // unknown users fail too, and count for the IP
		n++
	}
	tok = c.challenge("other")
	if code, _ := c.fails(http.MethodPost, "login", map[string]string{"username": "other", "accessKey": AccessKeyFor(tok, "key2")}); code != "IP_BANNED" {
		t.Errorf("after 100 failures: %s, want IP_BANNED", code)
	}
	s2, c2 := newTest(t, Options{Users: map[string]string{"off": "k", "nokey": ""}})
	s2.SetUserActive("off", false)
	tok = c2.challenge("off")
	if code, _ := c2.fails(http.MethodPost, "login", map[string]string{"username": "off", "accessKey": AccessKeyFor(tok, "k")}); code != "AUTHENTICATION_REQUIRED" {
		t.Errorf("inactive user: %s", code)
	}
	tok = c2.challenge("nokey")
	if code, _ := c2.fails(http.MethodPost, "login", map[string]string{"username": "nokey", "accessKey": AccessKeyFor(tok, "")}); code != "ACCESSKEY_UNDEFINED" {
		t.Errorf("user without key: %s", code)
	}
}

// seedBook makes an account with a custom field and two sales orders.
func seedBook(s *Server) (acc, so1, so2, cf string) {
	cf = s.AddField(Accounts, FieldSpec{Label: "RFM R score", Type: TypeDouble, Decimals: 3})
	acc = s.Create(Accounts, map[string]string{"accountname": "Rossi Srl"})
	so1 = s.Create(SalesOrder, map[string]string{"subject": "SO 1", "account_id": acc, "sostatus": "Delivered",
		"hdnGrandTotal": "1830", "conversion_rate": "1", "duedate": "2024-03-15", "invoicestatus": "Created"})
	so2 = s.Create(SalesOrder, map[string]string{"subject": "SO 2", "account_id": acc, "sostatus": "Approved",
		"hdnGrandTotal": "-12.5", "conversion_rate": "1.1", "invoicestatus": "Created"})
	return
}

func TestValueFormats(t *testing.T) {
	s, c := newTest(t, Options{Start: time.Date(2024, 7, 1, 10, 0, 0, 0, time.UTC)})
	acc, so1, so2, _ := seedBook(s)
	s.Create(Potentials, map[string]string{"potentialname": "P", "amount": "1500", "related_to": acc, "closingdate": "2024-02-29", "sales_stage": "Closed Won"})
	c.login()
	rows := c.query("SELECT subject, account_id, contact_id, hdnGrandTotal, conversion_rate, duedate, modifiedtime FROM SalesOrder ORDER BY id;")
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	r := rows[0]
	want := map[string]string{"id": so1, "account_id": acc, "contact_id": "", "hdnGrandTotal": "1830.000", "conversion_rate": "1.000",
		"duedate": "15-03-2024", "modifiedtime": "2024-07-01 12:00:00", "subject": "SO 1"}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %q, want %q", k, r[k], v)
		}
	}
	if rows[1]["hdnGrandTotal"] != "-12.500" || rows[1]["id"] != so2 {
		t.Errorf("credit row %v", rows[1])
	}
	p := c.query("SELECT amount, closingdate, eff_closingdate FROM Potentials;")
	if p[0]["amount"] != "1500.00" || p[0]["closingdate"] != "29-02-2024" || p[0]["eff_closingdate"] != "" {
		t.Errorf("potential %v", p[0])
	}
	// WHERE takes database formats, not the user's.
	if n := len(c.query("SELECT id FROM SalesOrder WHERE duedate = '2024-03-15';")); n != 1 {
		t.Errorf("date in DB format matched %d", n)
	}
	if n := len(c.query("SELECT id FROM SalesOrder WHERE duedate = '15-03-2024';")); n != 0 {
		t.Errorf("date in user format matched %d", n)
	}
	s2, c2 := newTest(t, Options{DateFormat: "mm-dd-yyyy"})
	seedBook(s2)
	c2.login()
	if r := c2.query("SELECT duedate FROM SalesOrder LIMIT 1;"); r[0]["duedate"] != "03-15-2024" {
		t.Errorf("mm-dd-yyyy: %v", r)
	}
}

func TestQueryGrammarAndErrors(t *testing.T) {
	s, c := newTest(t, Options{})
	acc, _, so2, _ := seedBook(s)
	c.login()
	for q, want := range map[string]string{
		"SELECT id FROM SalesOrder":                             "QUERY_SYNTAX_ERROR",
		"SELECT id FROM SalesOrder WHERE subject = '';":         "INTERNAL_SERVER_ERROR",
		"SELECT id FROM SalesOrder WHERE hdnGrandTotal > 1.5;":  "INTERNAL_SERVER_ERROR",
		`SELECT id FROM SalesOrder WHERE subject = "SO 1";`:     "INTERNAL_SERVER_ERROR",
		"SELECT id FROM SalesOrder WHERE account_id = '5';":     "INVALID_ID_ATTRIBUTE",
		"SELECT id FROM SalesOrder ORDER BY nothing;":           "DATABASE_QUERY_ERROR",
		"SELECT id FROM Nothing;":                               "ACCESS_DENIED",
		"SELECT id FROM SalesOrder WHERE (subject = 'x');":      "QUERY_SYNTAX_ERROR",
		"SELECT id FROM SalesOrder WHERE subject <> 'x';":       "INTERNAL_SERVER_ERROR",
		"SELECT id FROM SalesOrder WHERE modifiedtime IS NULL;": "QUERY_SYNTAX_ERROR",
	} {
		if code, msg := c.fails(http.MethodGet, "query", map[string]string{"query": q}); code != want {
			t.Errorf("%s: %s %s, want %s", q, code, msg, want)
		}
	}
	if _, msg := c.fails(http.MethodGet, "query", map[string]string{"query": "SELECT bogus FROM SalesOrder;"}); msg != "Permission to access '.bogus.' attribute denied." {
		t.Errorf("unknown select field: %q", msg)
	}
	if _, msg := c.fails(http.MethodGet, "query", map[string]string{"query": "SELECT id FROM SalesOrder WHERE bogus = 'x';"}); msg != "Permission to access bogus attribute denied." {
		t.Errorf("unknown where field: %q", msg)
	}
	// Query sent as POST has an empty query parameter.
	if code, _ := c.fails(http.MethodPost, "query", map[string]string{"query": "SELECT id FROM SalesOrder;"}); code != "ACCESS_DENIED" {
		t.Errorf("query on the wrong channel: %s", code)
	}
	if rows := c.query("select count(*) from SalesOrder;"); rows[0]["count"] != "2" {
		t.Errorf("count %v", rows)
	}
	// AND binds tighter than OR: the keyset form.
	mt := s.Raw(so2, "modifiedtime")
	rows := c.query("SELECT id FROM SalesOrder WHERE modifiedtime > '" + mt + "' OR modifiedtime = '" + mt + "' AND id > '15x1' ORDER BY modifiedtime, id LIMIT 0, 1;")
	if len(rows) != 1 || rows[0]["id"] == so2 {
		t.Errorf("keyset first row %v", rows)
	}
	if rows := c.query("SELECT subject FROM SalesOrder WHERE account_id = '" + acc + "' AND subject LIKE 'so%' ORDER BY id DESC LIMIT 1;"); len(rows) != 1 || rows[0]["subject"] != "SO 2" {
		t.Errorf("like/desc %v", rows)
	}
	if rows := c.query("SELECT id FROM SalesOrder WHERE id IN ('" + so2 + "', '15x99999');"); len(rows) != 1 {
		t.Errorf("in %v", rows)
	}
}

func TestSilentThousandRowCap(t *testing.T) {
	s, c := newTest(t, Options{})
	acc := s.Create(Accounts, map[string]string{"accountname": "A"})
	for i := 0; i < NoLimitRows+50; i++ {
		s.Create(SalesOrder, map[string]string{"subject": "x", "account_id": acc, "sostatus": "Created", "invoicestatus": "Created"})
	}
	c.login()
	if n := len(c.query("SELECT id FROM SalesOrder;")); n != NoLimitRows {
		t.Errorf("without LIMIT: %d rows, want the silent cap %d", n, NoLimitRows)
	}
	if n := len(c.query("SELECT id FROM SalesOrder LIMIT 1040;")); n != 1040 {
		t.Errorf("LIMIT 1040: %d rows (no page cap with LIMIT)", n)
	}
	if n := len(c.query("SELECT id FROM SalesOrder LIMIT 1000, 500;")); n != 50 {
		t.Errorf("LIMIT 1000, 500: %d", n)
	}
}

func TestReviseDeleteRestore(t *testing.T) {
	s, c := newTest(t, Options{})
	acc, so1, _, cf := seedBook(s)
	c.login()
	before := s.Raw(acc, "modifiedtime")
	s.Advance(90 * time.Second)
	var rec map[string]string
	el := fmt.Sprintf(`{"id":%q,%q:"4.33","cf_nope_1":"x","createdtime":"2000-01-01 00:00:00"}`, acc, cf)
	c.ok(http.MethodPost, "revise", map[string]string{"element": el}, &rec)
	if rec[cf] != "4.330" || rec["modifiedtime"] == before || rec["modifiedtime"] != s.Wall(s.Now()) {
		t.Errorf("revise result %v", rec)
	}
	if _, there := rec["cf_nope_1"]; there {
		t.Error("an unknown field came back")
	}
	if s.Raw(acc, "createdtime") == "2000-01-01 00:00:00" {
		t.Error("createdtime was written")
	}
	// Commas are deleted from Number fields.
	c.ok(http.MethodPost, "revise", map[string]string{"element": fmt.Sprintf(`{"id":%q,%q:"1,5"}`, acc, cf)}, &rec)
	if rec[cf] != "15.000" {
		t.Errorf("1,5 stored as %q", rec[cf])
	}
	if code, _ := c.fails(http.MethodPost, "revise", map[string]string{"element": fmt.Sprintf(`{"id":%q,"accountname":""}`, acc)}); code != "MANDATORY_FIELDS_MISSING" {
		t.Errorf("empty mandatory: %s", code)
	}
	if code, _ := c.fails(http.MethodPost, "revise", map[string]string{"element": fmt.Sprintf(`{"id":%q,"account_id":"4x1"}`, so1)}); code != "REFERENCE_INVALID" {
		t.Errorf("bad reference: %s", code)
	}
	if code, msg := c.fails(http.MethodPost, "revise", map[string]string{"element": `{"id":`}); code != "ACCESS_DENIED" || !strings.HasSuffix(msg, "for id") {
		t.Errorf("malformed element: %s %s", code, msg)
	}
	if code, _ := c.fails(http.MethodGet, "retrieve", map[string]string{"id": "4x" + strings.Split(acc, "x")[1]}); code != "INVALID_ID_ATTRIBUTE" {
		t.Errorf("wrong prefix: %s", code)
	}
	s.Delete(so1)
	if rows := c.query("SELECT id FROM SalesOrder;"); len(rows) != 1 {
		t.Errorf("deleted record returned by query: %v", rows)
	}
	if code, msg := c.fails(http.MethodGet, "retrieve", map[string]string{"id": so1}); code != "ACCESS_DENIED" || msg != "Permission to perform the operation is denied" {
		t.Errorf("retrieve deleted: %s %s", code, msg)
	}
	s.Delete(acc)
	if code, _ := c.fails(http.MethodPost, "revise", map[string]string{"element": fmt.Sprintf(`{"id":%q,%q:"1"}`, acc, cf)}); code != "ACCESS_DENIED" {
		t.Errorf("revise deleted: %s", code)
	}
	s.Advance(20 * time.Minute)
	s.Restore(so1)
	rows := c.query("SELECT account_id, modifiedtime FROM SalesOrder WHERE id = '" + so1 + "';")
	if len(rows) != 1 || rows[0]["modifiedtime"] != s.Wall(s.Now()) || rows[0]["account_id"] != "" {
		t.Errorf("restored order (its account is deleted: reference reads empty): %v", rows)
	}
	// A hidden field is absent from describe and silently ignored by revise.
	s.Restore(acc)
	s.HideField(Accounts, cf)
	rec = nil
	c.ok(http.MethodPost, "revise", map[string]string{"element": fmt.Sprintf(`{"id":%q,%q:"9"}`, acc, cf)}, &rec)
	if _, there := rec[cf]; there || s.Raw(acc, cf) != "15" {
		t.Errorf("hidden field written: %v / %q", rec, s.Raw(acc, cf))
	}
}

func TestDescribe(t *testing.T) {
	s, c := newTest(t, Options{CFPrefix: "-"})
	cf := s.AddField(Contacts, FieldSpec{Label: "RFM segment", Type: TypePicklist, Values: []string{"champions", "lost"}})
	if !regexp.MustCompile(`^cf_\d+$`).MatchString(cf) {
		t.Errorf("plain custom field name %q", cf)
	}
	c.login()
	var d struct {
		Name     string `json:"name"`
		IDPrefix string `json:"idPrefix"`
		Fields   []struct {
			Name string         `json:"name"`
			Type map[string]any `json:"type"`
		} `json:"fields"`
	}
	c.ok(http.MethodGet, "describe", map[string]string{"elementType": Contacts}, &d)
	if d.IDPrefix != "4" || d.Fields[len(d.Fields)-1].Name != "id" {
		t.Errorf("describe %+v", d)
	}
	found := false
	for _, f := range d.Fields {
		if f.Name == cf && f.Type["name"] == TypePicklist {
			found = true
		}
	}
	if !found {
		t.Errorf("custom field %s not described", cf)
	}
	c.ok(http.MethodGet, "describe", map[string]string{"elementType": Potentials}, &d)
	for _, f := range d.Fields {
		if f.Name == "closingdate" && f.Type["format"] != DefaultDateFormat {
			t.Errorf("date format %v", f.Type)
		}
	}
	var lt struct {
		Types       []string                  `json:"types"`
		Information map[string]map[string]any `json:"information"`
	}
	c.ok(http.MethodGet, "listtypes", nil, &lt)
	if len(lt.Types) < 7 || lt.Information[Accounts]["isEntity"] != true || lt.Information[Currency]["isEntity"] != false || lt.Information[Accounts]["label"] != "Aziende" {
		t.Errorf("listtypes %+v", lt)
	}
	if code, msg := c.fails(http.MethodGet, "describe", map[string]string{"elementType": "Nope"}); code != "ACCESS_DENIED" || !strings.HasSuffix(msg, "for name") {
		t.Errorf("unknown module %s %s", code, msg)
	}
}

func TestTransportFaults(t *testing.T) {
	s, c := newTest(t, Options{})
	acc, _, _, cf := seedBook(s)
	c.login()
	for _, op := range []string{"nosuchop", "sync"} {
		status, b := c.call(http.MethodGet, op, nil)
		if status != 500 || json.Valid(b) {
			t.Errorf("%s: %d %s, want a non-JSON 500", op, status, b)
		}
	}
	s.SetMaintenance(true)
	if _, msg := c.fails(http.MethodGet, "listtypes", nil); msg != "The system is in maintenance mode" {
		t.Errorf("maintenance: %q", msg)
	}
	s.SetMaintenance(false)
	s.Inject("query", 1, Fault{Status: 503})
	if status, b := c.call(http.MethodGet, "query", map[string]string{"query": "SELECT id FROM Accounts;"}); status != 503 || json.Valid(b) {
		t.Errorf("5xx fault: %d", status)
	}
	s.Inject("query", 1, Fault{Code: "DATABASE_QUERY_ERROR", Message: "Database error while performing requested operation"})
	if code, _ := c.fails(http.MethodGet, "query", map[string]string{"query": "SELECT id FROM Accounts;"}); code != "DATABASE_QUERY_ERROR" {
		t.Errorf("db fault: %s", code)
	}
	s.Inject(AnyRoute, 1, Fault{ExpireSession: true})
	if code, _ := c.fails(http.MethodGet, "listtypes", nil); code != "INVALID_SESSIONID" {
		t.Errorf("session fault: %s", code)
	}
	c.session = ""
	c.login()
	// A slow write lands though its answer never comes.
	s.Inject("revise", 1, Fault{Slow: true})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	form := url.Values{"operation": {"revise"}, "sessionName": {c.session}, "element": {fmt.Sprintf(`{"id":%q,%q:"2"}`, acc, cf)}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Error("slow write answered")
	}
	if s.Raw(acc, cf) != "2" || s.Served("slow") != 1 {
		t.Errorf("slow write not applied: %q", s.Raw(acc, cf))
	}
	if s.Served("5xx") != 1 || s.Served("DATABASE_QUERY_ERROR") != 1 || s.Served("session") != 1 {
		t.Errorf("served counts wrong")
	}
}

func TestDSTWallTimes(t *testing.T) {
	// 2024-10-27 in Rome: 03:00 CEST falls back to 02:00 CET at 01:00 UTC.
	s, _ := newTest(t, Options{Start: time.Date(2024, 10, 27, 0, 30, 0, 0, time.UTC)})
	first := s.Wall(s.Now())
	s.Advance(time.Hour)
	second := s.Wall(s.Now())
	if first != "2024-10-27 02:30:00" || second != "2024-10-27 02:30:00" {
		t.Errorf("repeated hour: %s then %s", first, second)
	}
}

func TestFullUpdateAndShortPages(t *testing.T) {
	s, c := newTest(t, Options{})
	acc, so1, so2, _ := seedBook(s)
	c.login()
	// update blanks what it is not given and wants every mandatory field.
	if code, _ := c.fails(http.MethodPost, "update", map[string]string{"element": fmt.Sprintf(`{"id":%q,"email1":"a@b.it"}`, acc)}); code != "MANDATORY_FIELDS_MISSING" {
		t.Errorf("update without accountname: %s", code)
	}
	var rec map[string]string
	c.ok(http.MethodPost, "update", map[string]string{"element": fmt.Sprintf(`{"id":%q,"accountname":"Bianchi","assigned_user_id":"19x1"}`, acc)}, &rec)
	if rec["accountname"] != "Bianchi" || rec["email1"] != "" {
		t.Errorf("full update %v", rec)
	}
	// A row dropped after LIMIT makes a short page that is not the last.
	s.Unreadable(so1)
	if rows := c.query("SELECT id FROM SalesOrder ORDER BY id LIMIT 0, 1;"); len(rows) != 0 {
		t.Errorf("page with the unreadable row: %v", rows)
	}
	if rows := c.query("SELECT id FROM SalesOrder ORDER BY id LIMIT 1, 1;"); len(rows) != 1 || rows[0]["id"] != so2 {
		t.Errorf("next page: %v", rows)
	}
}
