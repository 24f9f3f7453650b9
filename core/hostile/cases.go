package hostile

import (
	"fmt"
	"net/http"
)

// Case is a scenario with what a client must make of it.
type Case struct {
	Scenario
	// Heals is true when the spoil hits once and a retry inside the same
	// call heals it: the run must end as if nothing happened. Otherwise
	// every matching request is spoilt: the run must fail with a
	// classified error, commit nothing it read from a spoilt answer, and
	// leave no pause behind, so the next run against a healthy server
	// ends where an unspoilt run would.
	Heals bool
}

// Cases is the standard hostile suite for the requests match selects (a
// data read such as a list or search page; nil: every request): truncated,
// null, empty and mistyped bodies, pages ten times too large, a paging
// cursor ("after") that goes back, stalls before and after the headers,
// resets, and 429/503 answers with every odd Retry-After of OddRetryAfters.
func Cases(match func(*http.Request) bool) []Case {
	once := func(name string, s Spoil) Case {
		return Case{Scenario: Scenario{Name: name, Match: match, Times: 1, Spoil: s}, Heals: true}
	}
	always := func(name string, s Spoil) Case {
		return Case{Scenario: Scenario{Name: name, Match: match, Spoil: s}}
	}
	cs := []Case{
		once("truncated body", Truncated()),
		once("connection reset", Reset()),
		once("stall after headers", Stall(true)),
		once("stall before headers", StallHeaders()),
		once("503 html", Status(503, "<html><body>Service Unavailable</body></html>")),
		always("null body", NullJSON()),
		always("empty body", EmptyBody()),
		always("wrong JSON types", WrongTypes()),
		always("page ten times too large", HugePage(10)),
		always("always truncated", Truncated()),
		always("cursor goes back", CursorBack("after", 1)),
	}
	for _, ra := range OddRetryAfters {
		for _, status := range []int{429, 503} {
			cs = append(cs, once(fmt.Sprintf("%d Retry-After %s", status, ra), RetryAfter(status, ra)))
		}
	}
	return cs
}
