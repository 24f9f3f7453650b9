package vtenexttest

import (
	"crypto/md5"
	crand "crypto/rand"
	"encoding/hex"
	"strconv"
	"time"
)

// AddUser adds a web-service user (god mode); key "" means the user has no
// access key.
func (s *Server) AddUser(name, key string, active bool) {
	id := s.Create(Users, map[string]string{"user_name": name, "status": map[bool]string{true: "Active", false: "Inactive"}[active]})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[name] = &user{name: name, key: key, active: active, crmid: crmidOf(id)}
}

// SetUserActive activates or deactivates a user.
func (s *Server) SetUserActive(name string, active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[name].active = active
}

// Locked reports whether a user is locked for an IP.
func (s *Server) Locked(name, ip string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.locked[[2]string{name, ip}]
}

// FailedLogins counts a (user, IP) pair's failed logins.
func (s *Server) FailedLogins(name, ip string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures[[2]string{name, ip}]
}

// Unlock is the administrator's (or the e-mail link's) unlock of a user.
func (s *Server) Unlock(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.locked {
		if k[0] == name {
			delete(s.locked, k)
			delete(s.failures, k)
		}
	}
}

// getChallenge hands out a token for any username, known or not (§2.1).
func (s *Server) getChallenge(username string, now time.Time) map[string]any {
	b := make([]byte, 7)
	_, _ = crand.Read(b)
	tok := hex.EncodeToString(b)[:13]
	s.tokens[tok] = challenge{user: username, expires: now.Add(TokenLife)}
	return map[string]any{"token": tok, "serverTime": now.Unix(), "expireTime": now.Add(TokenLife).Unix()}
}

// AccessKeyFor computes what a client sends as accessKey for a token.
func AccessKeyFor(token, key string) string {
	sum := md5.Sum([]byte(token + key))
	return hex.EncodeToString(sum[:])
}

// login checks the md5 against every live token of the user (tokens are
// not consumed) and applies the lock-out rules of §2.5.
func (s *Server) login(username, accessKey, ip string, now time.Time) (any, *wsError) {
	pair := [2]string{username, ip}
	if s.ipFailures[ip] >= BanAfter {
		return nil, errf("IP_BANNED", "Ip banned because too many unsuccessfully logins")
	}
	if s.locked[pair] {
		return nil, errf("LOGIN_LOCKED", "Login failed because too many unsuccessfully logins")
	}
	fail := func(e *wsError) (any, *wsError) {
		s.failures[pair]++
		s.ipFailures[ip]++
		if s.failures[pair] >= LockAfter {
			s.locked[pair] = true
		}
		return nil, e
	}
	var live []string
	for tok, c := range s.tokens {
		if !now.Before(c.expires) {
			delete(s.tokens, tok)
			continue
		}
		if c.user == username {
			live = append(live, tok)
		}
	}
	u, known := s.users[username]
	if len(live) == 0 || !known {
		return fail(errf("INVALID_AUTH_TOKEN", "Specified token is invalid or expired"))
	}
	if u.key == "" {
		return fail(errf("ACCESSKEY_UNDEFINED", "Access key for the user is undefined"))
	}
	ok := false
	for _, tok := range live {
		if AccessKeyFor(tok, u.key) == accessKey {
			ok = true
		}
	}
	if !ok {
		return fail(errf("INVALID_USER_CREDENTIALS", "Invalid username or password"))
	}
	if !u.active {
		return fail(errf("AUTHENTICATION_REQUIRED", "Given user is inactive"))
	}
	delete(s.failures, pair)
	b := make([]byte, 10)
	_, _ = crand.Read(b)
	name := hex.EncodeToString(b)
	s.sessions[name] = &session{user: username, lastUsed: now}
	s.logins++
	return map[string]any{"sessionName": name, "userId": "19x" + strconv.Itoa(u.crmid),
		"version": "0.22", "vteVersion": "20.04.3", "timezone": 0}, nil
}
