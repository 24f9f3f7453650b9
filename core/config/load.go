package config

import (
	"errors"
	"strings"

	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
)

// Load reads the YAML file at path and returns the validated config.
//
// environ looks variables up (pass os.LookupEnv); nil means an empty
// environment. In order, Load:
//
//  1. parses the file (a key given twice is an error);
//  2. replaces ${NAME} in string values with the variable; a variable that
//     is not set is an error naming the key and the variable ($${ is a
//     literal ${);
//  3. applies overrides named by EnvName, e.g. RFMSYNC_RFM__WINDOW_DAYS=365
//     sets rfm.window_days: a double underscore separates levels because
//     keys contain single underscores. Overrides exist for every key of
//     Config and for keys already present in a crm.<name> section;
//  4. decodes strictly (an unknown key is an error naming it);
//  5. validates everything, including the selected connector's section
//     through its registered Decoder, which reads *_file secrets with
//     ReadSecret.
//
// Every problem found is returned at once as Errors, one line each.
func Load(path string, environ func(string) (string, bool)) (*Config, error) {
	return load(file.Provider(path), path, environ, false)
}

// LoadOffline is Load for the offline commands (score): the crm section is
// ignored, so its secrets need not be set, and the result has no connector.
func LoadOffline(path string, environ func(string) (string, bool)) (*Config, error) {
	return load(file.Provider(path), path, environ, true)
}

// LoadBytes is Load for a document in memory (tests, embedded defaults).
func LoadBytes(yaml []byte, environ func(string) (string, bool)) (*Config, error) {
	return load(rawbytes.Provider(yaml), "", environ, false)
}

// LoadEnv is Load with the environment as os.Environ lists it. Because the
// list can be read whole, two things a lookup cannot do are done too: a
// RFMSYNC_ variable that names no key (RFMSYNC_RFM__WINDOWDAYS) is an error,
// and crm.<type> keys absent from the file can be set, the connector
// checking their names.
func LoadEnv(path string, environ []string) (*Config, error) {
	return loadListed(file.Provider(path), path, environ, false)
}

// LoadOfflineEnv is LoadOffline with the environment as a list (LoadEnv).
func LoadOfflineEnv(path string, environ []string) (*Config, error) {
	return loadListed(file.Provider(path), path, environ, true)
}

// LoadBytesEnv is LoadBytes with the environment as a list (LoadEnv).
func LoadBytesEnv(yaml []byte, environ []string) (*Config, error) {
	return loadListed(rawbytes.Provider(yaml), "", environ, false)
}

func loadListed(src koanf.Provider, name string, environ []string, offline bool) (*Config, error) {
	vars := make(map[string]string, len(environ))
	var names []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
		if strings.HasPrefix(k, EnvPrefix) {
			names = append(names, k)
		}
	}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	return loadNamed(src, name, lookup, offline, names, true)
}

func load(src koanf.Provider, name string, environ func(string) (string, bool), offline bool) (*Config, error) {
	return loadNamed(src, name, environ, offline, nil, false)
}

// loadNamed loads; when listed, names are every RFMSYNC_ variable set.
func loadNamed(src koanf.Provider, name string, environ func(string) (string, bool), offline bool, names []string, listed bool) (*Config, error) {
	if environ == nil {
		environ = func(string) (string, bool) { return "", false }
	}
	var p problems
	ko := koanf.New(".")
	if err := ko.Load(src, substitutingParser{lookup: environ, p: &p}); err != nil {
		var ce *Error
		if !errors.As(err, &ce) {
			ce = &Error{Problem: err.Error()}
		}
		if ce.Key == "" && name != "" {
			ce = &Error{Problem: name + ": " + ce.Problem}
		}
		return nil, Errors{ce}
	}
	empty := len(ko.Keys()) == 0
	if err := loadOverrides(ko, environ, names, listed, &p); err != nil {
		p.add("", "environment overrides: "+err.Error())
	}
	if offline {
		ko.Delete("crm")
		p.dropUnder("crm")
	}
	c := defaults()
	c.compiled.empty = empty
	decodeInto(ko.Raw(), &c, "", &p)
	c.validate(ko.Exists, &p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return &c, nil
}

// substitutingParser parses YAML and expands ${NAME} references in it,
// collecting problems instead of stopping at the first, so one run reports
// every missing variable. A value whose reference failed is dropped, which
// keeps the default and avoids a second, misleading type error.
type substitutingParser struct {
	yamlParser
	lookup func(string) (string, bool)
	p      *problems
}

// Unmarshal parses b and substitutes variables.
func (s substitutingParser) Unmarshal(b []byte) (map[string]any, error) {
	m, err := s.yamlParser.Unmarshal(b)
	if err != nil {
		return nil, err
	}
	substitute(m, "", s.lookup, s.p)
	return m, nil
}
