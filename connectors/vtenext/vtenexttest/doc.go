// Package vtenexttest is an in-process fake of the vtenext web-service API
// (webservice.php) as rfmsync uses it, built from
// /work/shared/crm-apis/vtenext.md and never kinder than it: handled errors
// arrive with HTTP 200 and success:false, parameters sent on the wrong
// channel are silently empty, getchallenge/login use md5(token+accessKey),
// five failed logins lock the user and a hundred ban the IP, sessions die
// when left idle, VTQL has its quirks (mandatory ';', no parentheses, the
// silent 1,000-row cap without LIMIT, lexer errors as INTERNAL_SERVER_ERROR,
// WHERE on database-format dates), every value comes back as a string with
// its column scale, dates in the API user's format and datetimes in the
// server's wall time, revise silently ignores unknown or invisible fields
// and bumps modifiedtime, deleted records vanish from query and restored
// ones come back with a fresh modifiedtime.
//
// Seeding methods (Create, Update, Delete, Restore, AddField, …) are god
// mode: they bypass sessions and validation and panic on misuse. Time is a
// fakekit.Clock, so token lifetimes and idle expiry are driven by Advance.
package vtenexttest
