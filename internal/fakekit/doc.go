// Package fakekit is the shared machinery of rfmsync's in-process CRM fakes
// (hubspottest, salesforcetest, …): a controllable clock, a call log, a
// fault queue with stalls, delays and hooks, a rolling rate window and the
// OAuth token state (access tokens with expiry, refresh tokens with optional
// rotation, client-credentials and JWT-bearer checks).
//
// It knows no CRM: each fake keeps its own wire shapes (error bodies, token
// responses, headers) and composes these parts. Only fakes import it; they
// in turn are imported by tests and by the demo, never by a production path.
//
// Every type here is safe for concurrent use and never sleeps on the fake
// clock: tests drive time with Clock.Set and Clock.Advance.
package fakekit
