package config

import "strings"

// Error is one configuration problem, tied to the dotted key it is about
// (e.g. "rfm.recency.cuts", "rfm.segments.rules[3]"). Key is empty for
// problems with the file as a whole (unreadable, not YAML). Problem never
// quotes the value of a secret.
type Error struct {
	Key     string
	Problem string
}

// Error renders the one-line form "config: <key>: <problem>".
func (e *Error) Error() string {
	if e.Key == "" {
		return "config: " + e.Problem
	}
	return "config: " + e.Key + ": " + e.Problem
}

// Errors is every problem found in one load, in the order they were found.
// Load collects them all so a user fixes a file in one round, not one error
// per run. Each line of Error() is one *Error.
type Errors []*Error

// Error renders one line per problem.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem, so errors.As(err, &*config.Error) finds the first.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// problems accumulates errors while a config is checked.
type problems struct {
	list Errors
}

// add records a problem at key.
func (p *problems) add(key, problem string) {
	p.list = append(p.list, &Error{Key: key, Problem: problem})
}

// dropUnder forgets the problems found at key or below it.
func (p *problems) dropUnder(key string) {
	kept := p.list[:0]
	for _, e := range p.list {
		if e.Key != key && !strings.HasPrefix(e.Key, key+".") {
			kept = append(kept, e)
		}
	}
	p.list = kept
}

// err returns the collected problems, or nil.
func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	return p.list
}
