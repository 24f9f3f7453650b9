package connector

import (
	"fmt"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"log/slog"
	"net/http"
	"sort"
	"sync"
)

// Decoder decodes a connector's own config section (crm.<name>) into its
// option struct, rejecting unknown keys; prefix is the key path for messages.
type Decoder func(section map[string]any, prefix string) (Options, error)

// Options is a connector's decoded and validated configuration.
type Options interface {
	// Validate checks the options before any network call; errors name the key.
	Validate() error
	// New builds the connector. env carries what core decides for it.
	New(env Env) (Connector, error)
}

// PullShaper is implemented by options that can say which of their keys
// change the facts a pull holds (objects, sources, won rules, amount and
// date fields, attribution, currency policy). Core fingerprints only that,
// so tuning a limit, a page size or an API version never forces a full
// re-pull. Options without it are fingerprinted whole, secrets left out.
type PullShaper interface {
	// PullShape returns plain data (structs, maps, slices, strings,
	// numbers) that changes exactly when what is pulled changes.
	PullShape() any
}

// FieldNameValidator is an optional extra of Options: it checks a CRM field
// name against the CRM's naming rules offline, so a config names a field the
// CRM would refuse before any call, as an error at its key.
type FieldNameValidator interface {
	ValidateFieldName(name string) error
}

// Env is what core hands a connector it builds.
type Env struct {
	// Logger receives the connector's structured logs; never secrets.
	Logger *slog.Logger
	// Fields are the fields rfmsync writes, with their kinds and options:
	// what a connector needs to type values, read them back canonically
	// and create picklists.
	Fields []FieldSpec
	// WrapTransport, when set, wraps the connector's base HTTP transport so
	// core can observe every attempt (metrics, debug logs); kind names a
	// request's call kind as CallCounter names it.
	WrapTransport func(base http.RoundTripper, kind func(*http.Request) string) http.RoundTripper
	// Tokens keeps a rotated refresh token across restarts (the state
	// file); nil when the command has no state open.
	Tokens crmhttp.TokenStore
	// Breaker remembers a refused login across runs (the state file), so
	// no later run logs in again with the same credentials; nil when the
	// command has no state open.
	Breaker crmhttp.Breaker
}

// Registration is one connector's entry in the registry.
type Registration struct {
	Name   string
	Decode Decoder
}

var (
	mu       sync.RWMutex
	registry = map[string]Registration{}
)

// Register adds a connector; call it from the connector package's init.
func Register(r Registration) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[r.Name]; dup {
		panic(fmt.Sprintf("connector %q registered twice", r.Name))
	}
	registry[r.Name] = r
}

// Lookup returns a registered connector.
func Lookup(name string) (Registration, bool) {
	mu.RLock()
	defer mu.RUnlock()
	r, ok := registry[name]
	return r, ok
}

// Names lists the registered connectors, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
