package crmhttp

import (
	"context"
	"errors"
	"testing"

	"github.com/rfmsync/rfmsync/core/crmerr"
)

// A login that fails with a plain error (a truncated getchallenge body, a
// JSON decode error) is an outage: it must not trip the breaker, which
// would block every later login until the config changes.
func TestUnclassifiedLoginErrorDoesNotTripTheBreaker(t *testing.T) {
	br := &MemoryBreaker{}
	a, err := NewSessionAuth(SessionConfig{
		Login: func(context.Context) (Session, error) {
			return Session{}, errors.New("decode getchallenge: unexpected EOF")
		},
		Breaker:     br,
		Fingerprint: "fp",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Token(context.Background()); crmerr.ClassOf(err) != crmerr.Transient {
		t.Fatalf("login outage = %v (class %v), want a transient error", err, crmerr.ClassOf(err))
	}
	if reason, tripped, _ := br.Tripped("fp"); tripped {
		t.Fatalf("a login that failed without a classified refusal tripped the breaker (%q)", reason)
	}
}
