// Package hubspottest is an in-process fake of the parts of the HubSpot CRM
// REST API that rfmsync calls, built from /work/shared/crm-apis/hubspot.md.
//
// It is the ground truth for the HubSpot connector's tests and for the core
// conformance suite, so it follows the contract to the letter and is never
// kinder than the real API: limits are enforced, error bodies have HubSpot's
// shapes, batch results come back unordered, search results lag writes when
// asked to, and timestamps drop their milliseconds when those are zero.
//
// A test starts one with New, seeds records through the Server's methods
// (Create, Update, Associate, …), points the client at URL and then asserts
// on the stored state (Get, Value) and on the request counters (Calls,
// WriteCalls, TokenRefreshes). Time is a controllable Clock: rate-limit
// windows, OAuth token expiry and search visibility lag all read it, so tests
// never sleep.
//
// Seeding methods are god mode: they bypass auth, limits and validation and
// panic on misuse (unknown object type or record), like regexp.MustCompile.
package hubspottest
