package hubspottest

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// wireObject is SimplePublicObject(WithAssociations) on the wire.
type wireObject struct {
	ID                    string                      `json:"id"`
	Properties            map[string]*string          `json:"properties"`
	PropertiesWithHistory map[string][]historyJSON    `json:"propertiesWithHistory,omitempty"`
	CreatedAt             string                      `json:"createdAt"`
	UpdatedAt             string                      `json:"updatedAt"`
	Archived              bool                        `json:"archived"`
	ArchivedAt            string                      `json:"archivedAt,omitempty"`
	Associations          map[string]*inlineAssocJSON `json:"associations,omitempty"`
}

// historyJSON is one entry of propertiesWithHistory; the fake keeps only the
// current value.
type historyJSON struct {
	Value      *string `json:"value"`
	Timestamp  string  `json:"timestamp"`
	SourceType string  `json:"sourceType"`
}

type pagingJSON struct {
	Next pagingNextJSON `json:"next"`
}

type pagingNextJSON struct {
	After string `json:"after"`
	Link  string `json:"link,omitempty"`
}

// wire renders a version of a record with the given property names.
func (t *table) wire(e *entry, v *version, names []string) wireObject {
	o := wireObject{
		ID:         strconv.FormatInt(e.id, 10),
		Properties: outProps(t, e, v, names),
		CreatedAt:  formatTime(e.createdAt),
		UpdatedAt:  formatTime(v.updatedAt),
		Archived:   v.archived,
	}
	if v.archived {
		o.ArchivedAt = formatTime(v.archivedAt)
	}
	return o
}

// withHistory adds propertiesWithHistory for the given names.
func (t *table) withHistory(o *wireObject, e *entry, v *version, names []string) {
	if len(names) == 0 {
		return
	}
	o.PropertiesWithHistory = map[string][]historyJSON{}
	for n, val := range outProps(t, e, v, names) {
		if val == nil {
			o.PropertiesWithHistory[n] = []historyJSON{}
			continue
		}
		o.PropertiesWithHistory[n] = []historyJSON{{Value: val, Timestamp: formatTime(v.updatedAt), SourceType: "API"}}
	}
}

// batchResponse is BatchResponse(WithErrors) on the wire.
type batchResponse[T any] struct {
	Status      string       `json:"status"`
	Results     []T          `json:"results"`
	NumErrors   int          `json:"numErrors,omitempty"`
	Errors      []batchError `json:"errors,omitempty"`
	StartedAt   string       `json:"startedAt"`
	CompletedAt string       `json:"completedAt"`
}

// writeBatch answers 200, or 207 when some inputs failed.
func writeBatch[T any](c *reqCtx, results []T, errs []batchError, started, done time.Time) {
	if results == nil {
		results = []T{}
	}
	resp := batchResponse[T]{Status: "COMPLETE", Results: results, NumErrors: len(errs), Errors: errs,
		StartedAt: formatTime(started), CompletedAt: formatTime(done)}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusMultiStatus
	}
	c.writeJSON(status, resp)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// unordered permutes items with the server's seeded source, never leaving
// them in input order, so clients must map batch results by ID (§2.4);
// s.mu is held.
func unordered[T any](s *Server, items []T) {
	n := len(items)
	if n < 2 {
		return
	}
	perm := s.rnd.Perm(n)
	identity := true
	for i, p := range perm {
		if p != i {
			identity = false
			break
		}
	}
	if identity {
		slices.Reverse(perm)
	}
	out := make([]T, n)
	for i, p := range perm {
		out[i] = items[p]
	}
	copy(items, out)
}
