package hubspottest

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

// Route names a family of endpoints, for fault injection, hooks, stalls and
// call counters.
type Route = fakekit.Route

// Route families. AnyRoute matches every request when injecting faults.
const (
	AnyRoute          Route = fakekit.AnyRoute
	RouteSearch       Route = "search"       // POST …/{type}/search
	RouteList         Route = "list"         // GET …/{type}
	RouteRead         Route = "read"         // GET …/{type}/{id}, POST …/{type}/batch/read
	RouteAssociations Route = "associations" // v4 batch read and per-record GET
	RouteBatchUpdate  Route = "batch-update" // POST …/{type}/batch/update, PATCH …/{type}/{id}
	RouteToken        Route = "token"        // POST /oauth/{v1,v3,2026-03}/token
	RouteProperties   Route = "properties"   // properties and property groups
	RouteOther        Route = "other"        // anything else (404s)
)

// op is the concrete operation a request maps to.
type op int

const (
	opNone op = iota
	opList
	opGet
	opBatchRead
	opSearch
	opBatchUpdate
	opPatch
	opAssocBatchRead
	opAssocGet
	opPropList
	opPropCreate
	opPropGet
	opPropPatch
	opGroupList
	opGroupCreate
	opGroupGet
	opToken
)

// match is a parsed request path.
type match struct {
	op    op
	route Route
	// unsupported explains a real HubSpot endpoint this fake does not serve.
	unsupported string
	// base is the path prefix of the family, e.g. "/crm/v3/objects".
	base             string
	typeName, toName string
	meta, toMeta     *objectMeta
	id, name         string
}

var dateVersionRe = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)

// parseRoute maps both path families — /crm/v3|v4/… and the date-versioned
// /crm/{objects,properties,associations}/2026-03/… — to the same operations
// (§0).
func parseRoute(method, path string) match {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	m := match{route: RouteOther}
	if len(segs) == 3 && segs[0] == "oauth" && segs[2] == "token" &&
		(segs[1] == "v1" || segs[1] == "v3" || dateVersionRe.MatchString(segs[1])) {
		m.route, m.op = RouteToken, opToken
		if method != http.MethodPost {
			m.unsupported = "method " + method + " not allowed on the token endpoint"
		}
		return m
	}
	if len(segs) < 4 || segs[0] != "crm" {
		return m
	}
	family, version := segs[1], segs[2]
	if dateVersionRe.MatchString(version) {
		// /crm/objects/2026-03/… style: family then date.
	} else {
		family, version = segs[2], segs[1]
	}
	m.base = "/" + strings.Join(segs[:3], "/")
	rest := segs[3:]
	switch {
	case family == "objects" && (version == "v3" || dateVersionRe.MatchString(version)):
		m.objectRoute(method, rest)
	case family == "objects" && version == "v4":
		if len(rest) == 4 && rest[2] == "associations" {
			m.objectRoute(method, rest)
		}
	case family == "properties" && (version == "v3" || dateVersionRe.MatchString(version)):
		m.propertyRoute(method, rest)
	case family == "associations" && (version == "v4" || dateVersionRe.MatchString(version)):
		if len(rest) == 4 && rest[2] == "batch" && rest[3] == "read" {
			m.route, m.op = RouteAssociations, opAssocBatchRead
			m.setTypes(rest[0], rest[1])
			m.onlyMethod(method, http.MethodPost)
		}
	}
	return m
}

// objectRoute parses the part after …/objects/.
func (m *match) objectRoute(method string, rest []string) {
	m.setTypes(rest[0], "")
	switch {
	case len(rest) == 1:
		m.route, m.op = RouteList, opList
		if method == http.MethodPost {
			m.unsupported = "hubspottest does not implement record creation"
		} else {
			m.onlyMethod(method, http.MethodGet)
		}
	case len(rest) == 2 && rest[1] == "search":
		m.route, m.op = RouteSearch, opSearch
		m.onlyMethod(method, http.MethodPost)
	case len(rest) == 3 && rest[1] == "batch" && rest[2] == "read":
		m.route, m.op = RouteRead, opBatchRead
		m.onlyMethod(method, http.MethodPost)
	case len(rest) == 3 && rest[1] == "batch" && rest[2] == "update":
		m.route, m.op = RouteBatchUpdate, opBatchUpdate
		m.onlyMethod(method, http.MethodPost)
	case len(rest) == 3 && rest[1] == "batch":
		m.route, m.op = RouteOther, opBatchRead
		m.unsupported = "hubspottest does not implement batch/" + rest[2]
	case len(rest) == 2:
		m.id = rest[1]
		switch method {
		case http.MethodPatch:
			m.route, m.op = RouteBatchUpdate, opPatch
		default:
			m.route, m.op = RouteRead, opGet
			m.onlyMethod(method, http.MethodGet)
		}
	case len(rest) == 4 && rest[2] == "associations":
		m.id = rest[1]
		m.setTypes(rest[0], rest[3])
		m.route, m.op = RouteAssociations, opAssocGet
		m.onlyMethod(method, http.MethodGet)
	}
}

// propertyRoute parses the part after …/properties/.
func (m *match) propertyRoute(method string, rest []string) {
	m.setTypes(rest[0], "")
	m.route = RouteProperties
	switch {
	case len(rest) == 1:
		m.op = opPropList
		if method == http.MethodPost {
			m.op = opPropCreate
		} else {
			m.onlyMethod(method, http.MethodGet)
		}
	case len(rest) == 2 && rest[1] == "groups":
		m.op = opGroupList
		if method == http.MethodPost {
			m.op = opGroupCreate
		} else {
			m.onlyMethod(method, http.MethodGet)
		}
	case len(rest) == 3 && rest[1] == "groups":
		m.op, m.name = opGroupGet, rest[2]
		m.onlyMethod(method, http.MethodGet)
	case len(rest) == 2:
		m.op, m.name = opPropGet, rest[1]
		if method == http.MethodPatch {
			m.op = opPropPatch
		} else {
			m.onlyMethod(method, http.MethodGet)
		}
	}
}

func (m *match) setTypes(from, to string) {
	m.typeName, m.meta = from, lookupType(from)
	if to != "" {
		m.toName, m.toMeta = to, lookupType(to)
	}
}

func (m *match) onlyMethod(got, want string) {
	if got != want {
		m.unsupported = "method " + got + " not allowed here"
	}
}
