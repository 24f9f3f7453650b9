// Package salesforcetest is an in-process fake of the parts of the
// Salesforce REST, Bulk API 2.0 and Tooling APIs that rfmsync calls, built
// from /work/shared/crm-apis/salesforce.md and never kinder than it.
//
// Two hosts are served, as in production: LoginURL is the login host
// (login.salesforce.com: the token endpoint only, where client_credentials
// is refused) and URL is the org's My Domain / instance host (token endpoint
// and every data API). Token responses carry instance_url = URL, so a client
// that hard-codes the login host for data calls gets 404s.
//
// What is enforced: sessions that expire and die with rotation, query
// locators bound to their session and to an idle TTL, SOQL literal rules
// (unquoted datetimes, no datetime against a date field), FLS (a field made
// through the Tooling API is invisible until a permission set grants it),
// the 200-record Collections cap, the rolling 24 h API allocation with
// Sforce-Limit-Info on every response, JSON-array error bodies, and
// SystemModstamp at whole seconds so bulk loads tie.
//
// A test starts one with New, seeds an org (SeedOrg, or Create/Update/Delete/
// Merge/CommitLate), points a client at LoginURL and asserts on the stored
// records (Get, Value), on Writes and on the request log (Log, Calls). Time
// is the kit's fake Clock: session expiry, locator TTL, late commits and the
// daily window read it, so tests never sleep.
//
// Faults on demand: InjectFault / InjectFaultAt (per route, per call
// index: FaultSessionExpired, FaultDailyLimit, FaultConcurrentLimit,
// FaultQueryTimeout, FaultServerError, FaultUnavailable,
// FaultMaintenancePage, FaultEdgeRateLimited, FaultInvalidLocator),
// ExpireSessions, LockRow (UNABLE_TO_LOCK_ROW per record), SetValidation,
// SetStamp (SystemModstamp ties across a page boundary), CommitLate (rows
// visible after a delay), FailNextBulkJob, UseAPI (start near the daily
// limit), Stall and OnRequest (change data while a page is served).
//
// Seeding methods are god mode: they bypass auth, limits, FLS and
// validation and panic on misuse.
//
// Not served (unused by rfmsync): Composite and Composite Batch, record
// creation and deletion through the API (seed them instead), nested child
// subqueries, aggregate functions other than COUNT(), OFFSET, GROUP BY.
package salesforcetest
