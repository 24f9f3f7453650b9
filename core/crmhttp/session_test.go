package crmhttp

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// sessionServer is a vtenext-shaped web service: getchallenge, login with
// md5(token + accessKey), then calls with sessionName in the query; every
// answer is HTTP 200 with success true or false. expire drops every
// session; failedLogins counts refused logins (five lock the user).
type sessionServer struct {
	accessKey string

	mu           sync.Mutex
	sessions     map[string]bool
	n            int
	logins       int
	failedLogins int
	calls        []string
}

func (s *sessionServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.ParseForm()
	op := r.Form.Get("operation")
	s.calls = append(s.calls, op)
	fail := func(code string) { fmt.Fprintf(w, `{"success":false,"error":{"code":%q,"message":"x"}}`, code) }
	switch op {
	case "getchallenge":
		io.WriteString(w, `{"success":true,"result":{"token":"6675c0a2b3d4e","serverTime":1,"expireTime":301}}`)
	case "login":
		s.logins++
		sum := md5.Sum([]byte("6675c0a2b3d4e" + s.accessKey))
		if r.PostForm.Get("accessKey") != hex.EncodeToString(sum[:]) {
			s.failedLogins++
			fail("INVALID_USER_CREDENTIALS")
			return
		}
		s.n++
		name := fmt.Sprintf("sess%016d", s.n)
		s.sessions[name] = true
		fmt.Fprintf(w, `{"success":true,"result":{"sessionName":%q,"userId":"19x7"}}`, name)
	default:
		if !s.sessions[r.URL.Query().Get("sessionName")] {
			fail("INVALID_SESSIONID")
			return
		}
		io.WriteString(w, `{"success":true,"result":[]}`)
	}
}

func (s *sessionServer) expire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions = map[string]bool{}
}

// vteClassifier is what a vtenext connector would write: errors in 200
// bodies, INVALID_SESSIONID asks for one re-login, refused logins are Auth.
func vteClassifier(a Attempt) Verdict {
	if a.Err != nil || a.Status != 200 {
		return DefaultClassifier(a)
	}
	switch {
	case bytes.Contains(a.Body, []byte(`"INVALID_SESSIONID"`)):
		return Verdict{Class: crmerr.Auth, Code: "INVALID_SESSIONID", Reauth: a.Op != "login"}
	case bytes.Contains(a.Body, []byte(`"INVALID_USER_CREDENTIALS"`)):
		return Verdict{Class: crmerr.Auth, Code: "INVALID_USER_CREDENTIALS",
			Message: "vtenext refused the access key; check it (five failures lock the user)"}
	}
	return Verdict{}
}

// newSessionClient wires a client whose Auth logs in through the client itself.
func newSessionClient(t *testing.T, srv *sessionServer, key string, breaker Breaker, clock *fakeClock) *Client {
	t.Helper()
	ts := serve(t, srv.ServeHTTP)
	var c *Client
	login := func(ctx context.Context) (Session, error) {
		resp, err := c.Do(ctx, &Request{Method: "GET", Path: "/webservice.php?operation=getchallenge&username=rfm", NoAuth: true, Op: "login"})
		if err != nil {
			return Session{}, err
		}
		challenge := string(resp.Body[strings.Index(string(resp.Body), `"token":"`)+9:][:13])
		sum := md5.Sum([]byte(challenge + key))
		form := "operation=login&username=rfm&accessKey=" + hex.EncodeToString(sum[:])
		resp, err = c.Do(ctx, &Request{Method: "POST", Path: "/webservice.php", Body: []byte(form), NoAuth: true, Op: "login",
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}})
		if err != nil {
			return Session{}, err
		}
		i := strings.Index(string(resp.Body), `"sessionName":"`) + 15
		return Session{Token: string(resp.Body[i : i+20])}, nil
	}
	auth, err := NewSessionAuth(SessionConfig{Login: login, QueryParam: "sessionName", Breaker: breaker,
		Fingerprint: Fingerprint("rfm", key), IdleTimeout: 20 * time.Minute, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	c = newTestClient(t, ts, clock, func(o *Options) { o.Auth, o.Classifier = auth, vteClassifier })
	return c
}

func query(c *Client) error {
	_, err := c.Do(context.Background(), &Request{Method: "GET", Path: "/webservice.php?operation=query&query=x", Op: "query"})
	return err
}

// One login serves every call; a dropped session logs in once more and the
// call is replayed; an idle session is renewed before use.
func TestSessionLoginReloginOnceAndIdle(t *testing.T) {
	srv := &sessionServer{accessKey: "k3yk3yk3yk3yk3yk", sessions: map[string]bool{}}
	clock := newFakeClock()
	c := newSessionClient(t, srv, "k3yk3yk3yk3yk3yk", &MemoryBreaker{}, clock)
	for range 3 {
		if err := query(c); err != nil {
			t.Fatal(err)
		}
	}
	srv.expire()
	if err := query(c); err != nil {
		t.Fatalf("after the session expired: %v", err)
	}
	if srv.logins != 2 || c.Stats().Snapshot().Replays != 1 {
		t.Errorf("logins %d, replays %d; want 2 and 1", srv.logins, c.Stats().Snapshot().Replays)
	}
	clock.Advance(21 * time.Minute)
	if err := query(c); err != nil || srv.logins != 3 {
		t.Errorf("after 21 idle minutes: %v, logins %d; want a fresh login first", err, srv.logins)
	}
	if got := c.Stats().Snapshot().ByOp; got["login"] != 6 || got["query"] != 6 {
		t.Errorf("ByOp = %v; want 3 logins of 2 calls, 6 queries (one rejected)", got)
	}
}

// A refused login is not retried, and later runs with the same key do not
// log in at all (vtenext locks the user after five): the user's failure
// count stays at one. A changed key logs in again.
func TestSessionRefusedLoginTripsTheBreaker(t *testing.T) {
	srv := &sessionServer{accessKey: "right-key-000001", sessions: map[string]bool{}}
	breaker := &MemoryBreaker{}
	for run := range 6 {
		c := newSessionClient(t, srv, "wrong-key-000001", breaker, newFakeClock())
		err := query(c)
		want := crmerr.LoginBlocked
		if run == 0 {
			want = crmerr.Auth
		}
		if crmerr.ClassOf(err) != want {
			t.Fatalf("run %d: err = %v, want %v", run, err, want)
		}
		if strings.Contains(err.Error(), "wrong-key-000001") {
			t.Errorf("error leaks the key: %v", err)
		}
	}
	if srv.failedLogins != 1 {
		t.Errorf("failed logins %d, want 1", srv.failedLogins)
	}
	if err := query(newSessionClient(t, srv, "right-key-000001", breaker, newFakeClock())); err != nil {
		t.Errorf("new key: %v", err)
	}
}
