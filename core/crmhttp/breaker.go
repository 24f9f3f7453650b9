package crmhttp

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// Breaker remembers a refused login so later runs do not try again with
// the same credentials: vtenext locks the user after five failed logins
// (and e-mails them), and a dead refresh token or a revoked app never
// heals by retrying. Core supplies it and persists it (the lead keeps it in
// state); keys are Fingerprints of the configured credentials, so a breaker
// tripped for old credentials lets the new ones log in at once.
type Breaker interface {
	// Tripped returns the reason logins with credentials fingerprint were
	// refused earlier, if they were and the breaker was not reset since.
	Tripped(fingerprint string) (reason string, tripped bool, err error)
	// Trip records that a login with fingerprint was refused. reason is
	// already redacted and says what the admin should do.
	Trip(fingerprint, reason string) error
}

// Fingerprint is a one-way digest of credential parts, safe to store and
// compare: it changes when any part changes and reveals none of them.
func Fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// MemoryBreaker is a Breaker kept in memory, for tests and for callers that
// persist nothing. It holds one fingerprint, as a persisted breaker would:
// tripping for new credentials forgets the old ones.
type MemoryBreaker struct {
	mu          sync.Mutex
	fingerprint string
	reason      string
}

// Tripped implements Breaker.
func (m *MemoryBreaker) Tripped(fp string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fingerprint == "" || m.fingerprint != fp {
		return "", false, nil
	}
	return m.reason, true, nil
}

// Trip implements Breaker.
func (m *MemoryBreaker) Trip(fp, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fingerprint, m.reason = fp, reason
	return nil
}
