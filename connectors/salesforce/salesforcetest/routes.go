package salesforcetest

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

// Route names a family of endpoints, for faults, hooks, stalls and counts.
type Route = fakekit.Route

// Call is one logged request.
type Call = fakekit.Call

// Route families.
const (
	AnyRoute         Route = fakekit.AnyRoute
	RouteToken       Route = "token"       // POST /services/oauth2/token (both hosts)
	RouteVersions    Route = "versions"    // GET /services/data/
	RouteQuery       Route = "query"       // query, queryAll and their nextRecordsUrl
	RouteLimits      Route = "limits"      // GET …/limits
	RouteDescribe    Route = "describe"    // GET …/sobjects and …/sobjects/X/describe
	RouteSObject     Route = "sobject"     // POST …/sobjects/X, GET/PATCH …/sobjects/X/id
	RouteCollection  Route = "collections" // PATCH …/composite/sobjects
	RouteTooling     Route = "tooling"     // …/tooling/query and …/tooling/sobjects/CustomField
	RouteBulkQuery   Route = "bulk-query"  // …/jobs/query…
	RouteBulkIngest  Route = "bulk-ingest" // …/jobs/ingest…
	RouteReplication Route = "replication" // GET …/sobjects/X/deleted and …/updated
	RouteOther       Route = "other"
)

type op int

const (
	opNone op = iota
	opVersions
	opQuery
	opQueryAll
	opQueryMore
	opLimits
	opSObjects
	opDescribe
	opCreate
	opRecord
	opCollections
	opToolingQuery
	opToolingCreate
	opBulkQueryCreate
	opBulkQueryList
	opBulkQueryJob
	opBulkQueryResults
	opBulkIngestCreate
	opBulkIngestJob
	opBulkIngestBatches
	opBulkIngestResults
	opReplication
)

type match struct {
	op          op
	route       Route
	version     float64
	versionText string
	unsupported string
	typeName    string // sObject type in the path
	id          string // record id, job id or locator
	leaf        string // results kind of an ingest job
}

var versionRe = regexp.MustCompile(`^v(\d{1,3})\.(\d)$`)

func parseRoute(method, p string) match {
	m := match{route: RouteOther}
	trimmed := strings.Trim(p, "/")
	if trimmed == "services/oauth2/token" {
		m.route = RouteToken
		if method != http.MethodPost {
			m.unsupported = "HTTP Method '" + method + "' not allowed. Allowed are POST"
		}
		return m
	}
	segs := strings.Split(trimmed, "/")
	if len(segs) < 2 || segs[0] != "services" || segs[1] != "data" {
		return m
	}
	if len(segs) == 2 {
		m.route, m.op = RouteVersions, opVersions
		return m
	}
	v := versionRe.FindStringSubmatch(segs[2])
	if v == nil {
		return m
	}
	m.versionText = v[1] + "." + v[2]
	m.version, _ = strconv.ParseFloat(m.versionText, 64)
	rest := segs[3:]
	allow := func(methods ...string) {
		for _, mm := range methods {
			if mm == method {
				return
			}
		}
		m.unsupported = "HTTP Method '" + method + "' not allowed. Allowed are " + strings.Join(methods, ",")
	}
	switch {
	case len(rest) == 1 && rest[0] == "query":
		m.route, m.op = RouteQuery, opQuery
		allow(http.MethodGet)
	case len(rest) == 1 && rest[0] == "queryAll":
		m.route, m.op = RouteQuery, opQueryAll
		allow(http.MethodGet)
	case len(rest) == 2 && rest[0] == "query":
		m.route, m.op, m.id = RouteQuery, opQueryMore, rest[1]
		allow(http.MethodGet)
	case len(rest) == 1 && rest[0] == "limits":
		m.route, m.op = RouteLimits, opLimits
		allow(http.MethodGet)
	case len(rest) == 1 && rest[0] == "sobjects":
		m.route, m.op = RouteDescribe, opSObjects
		allow(http.MethodGet)
	case len(rest) == 3 && rest[0] == "sobjects" && rest[2] == "describe":
		m.route, m.op, m.typeName = RouteDescribe, opDescribe, rest[1]
		allow(http.MethodGet)
	case len(rest) == 2 && rest[0] == "sobjects":
		m.route, m.op, m.typeName = RouteSObject, opCreate, rest[1]
		allow(http.MethodPost)
	case len(rest) == 3 && rest[0] == "sobjects" && (rest[2] == "deleted" || rest[2] == "updated"):
		m.route, m.op, m.typeName, m.leaf = RouteReplication, opReplication, rest[1], rest[2]
		allow(http.MethodGet)
	case len(rest) == 3 && rest[0] == "sobjects":
		m.route, m.op, m.typeName, m.id = RouteSObject, opRecord, rest[1], rest[2]
		allow(http.MethodGet, http.MethodPatch)
	case len(rest) == 2 && rest[0] == "composite" && rest[1] == "sobjects":
		// Only the update form is served; create/delete through Collections
		// are real but unused by rfmsync.
		m.route, m.op = RouteCollection, opCollections
		allow(http.MethodPatch)
	case len(rest) == 2 && rest[0] == "tooling" && rest[1] == "query":
		m.route, m.op = RouteTooling, opToolingQuery
		allow(http.MethodGet)
	case len(rest) == 3 && rest[0] == "tooling" && rest[1] == "sobjects" && rest[2] == "CustomField":
		m.route, m.op = RouteTooling, opToolingCreate
		allow(http.MethodPost)
	case len(rest) >= 2 && rest[0] == "jobs" && rest[1] == "query":
		m.route = RouteBulkQuery
		switch len(rest) {
		case 2:
			m.op = opBulkQueryList
			if method == http.MethodPost {
				m.op = opBulkQueryCreate
			} else {
				allow(http.MethodGet, http.MethodPost)
			}
		case 3:
			m.op, m.id = opBulkQueryJob, rest[2]
			allow(http.MethodGet, http.MethodPatch, http.MethodDelete)
		case 4:
			if rest[3] == "results" {
				m.op, m.id = opBulkQueryResults, rest[2]
				allow(http.MethodGet)
			}
		}
	case len(rest) >= 2 && rest[0] == "jobs" && rest[1] == "ingest":
		m.route = RouteBulkIngest
		switch len(rest) {
		case 2:
			m.op = opBulkIngestCreate
			allow(http.MethodPost)
		case 3:
			m.op, m.id = opBulkIngestJob, rest[2]
			allow(http.MethodGet, http.MethodPatch, http.MethodDelete)
		case 4:
			m.id = rest[2]
			switch rest[3] {
			case "batches":
				m.op = opBulkIngestBatches
				allow(http.MethodPut)
			case "successfulResults", "failedResults", "unprocessedrecords":
				m.op, m.leaf = opBulkIngestResults, rest[3]
				allow(http.MethodGet)
			}
		}
	}
	return m
}
