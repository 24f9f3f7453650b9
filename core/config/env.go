package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/v2"

	"github.com/rfmsync/rfmsync/core/outputs"
)

// lookupFunc reads one environment variable, as os.LookupEnv does.
type lookupFunc = func(name string) (string, bool)

// EnvPrefix starts every override variable.
const EnvPrefix = "RFMSYNC_"

// EnvName returns the override variable for a dotted key: the prefix, then
// the key upper-cased with each level separated by a double underscore,
// because keys themselves contain single underscores:
//
//	rfm.window_days          → RFMSYNC_RFM__WINDOW_DAYS
//	rfm.monetary.cuts        → RFMSYNC_RFM__MONETARY__CUTS
//	crm.hubspot.token_file   → RFMSYNC_CRM__HUBSPOT__TOKEN_FILE
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "__"))
}

// substitute replaces ${NAME} in every string value of m (lists included)
// with the variable's value; $${ writes a literal ${. A variable that is
// not set is an error naming the key and the variable, never a value.
func substitute(m map[string]any, path string, lookup lookupFunc, p *problems) {
	for k, v := range m {
		m[k] = substituteValue(v, joinKey(path, k), lookup, p)
	}
}

func substituteValue(v any, key string, lookup lookupFunc, p *problems) any {
	switch t := v.(type) {
	case string:
		s, err := expand(t, lookup)
		if err != "" {
			p.add(key, err)
			return nil
		}
		return s
	case map[string]any:
		substitute(t, key, lookup, p)
	case []any:
		for i := range t {
			t[i] = substituteValue(t[i], key+"["+strconv.Itoa(i)+"]", lookup, p)
		}
	}
	return v
}

// expand substitutes one string; the second result is the problem, if any.
func expand(s string, lookup lookupFunc) (string, string) {
	if !strings.Contains(s, "${") {
		return s, ""
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), ""
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i]) // "$${" → "${": drop one '$'
			b.WriteString("{")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", "unterminated ${ (write $${ for a literal ${)"
		}
		name := s[i+2 : i+end]
		if !validEnvName(name) {
			return "", "${" + name + "} is not a valid variable reference (write $${ for a literal ${)"
		}
		val, ok := lookup(name)
		if !ok {
			return "", "environment variable " + name + " is not set"
		}
		b.WriteString(val)
		s = s[i+end+1:]
	}
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// loadOverrides merges RFMSYNC_ variables over what ko holds. A lookup cannot
// list the environment, so the candidates are the names of every key the
// Config struct declares plus every key already present in a crm.<name>
// section (connector keys are only known to the connector). Values stay
// text; decoding parses them by the target type ("365", "5s", "true",
// "[30, 90, 180, 365]").
//
// When listed, names are all RFMSYNC_ variables set: a crm.<name> key among
// them is a candidate too (the connector's decoder rejects a wrong one), and
// one that names no key is a problem, with the key it probably meant.
func loadOverrides(ko *koanf.Koanf, lookup lookupFunc, names []string, listed bool, p *problems) error {
	keys := structKeys(reflect.TypeFor[Config](), "")
	for _, o := range outputs.Names() {
		keys = append(keys, "fields."+o)
	}
	known := len(keys)
	for _, k := range ko.Keys() {
		if strings.HasPrefix(k, "crm.") && k != "crm.type" || strings.HasPrefix(k, "fields.") {
			keys = append(keys, k)
		}
	}
	for _, n := range names {
		if k, ok := envKey(n); ok && strings.HasPrefix(k, "crm.") && strings.Count(k, ".") >= 2 {
			keys = append(keys, k)
		}
	}
	byName := make(map[string]string, len(keys))
	if listed {
		for _, n := range names {
			if !slicesContainsName(keys, n) {
				p.add("", fmt.Sprintf("environment variable %s names no config key%s", printableName(n), suggest(n, keys[:known])))
			}
		}
	}
	var found []string
	for _, k := range keys {
		name := EnvName(k)
		if _, dup := byName[name]; dup {
			continue
		}
		byName[name] = k
		if v, ok := lookup(name); ok {
			found = append(found, name+"="+v)
		}
	}
	if len(found) == 0 {
		return nil
	}
	sort.Strings(found)
	return ko.Load(env.Provider(".", env.Opt{
		Prefix:      EnvPrefix,
		EnvironFunc: func() []string { return found },
		TransformFunc: func(name, v string) (string, any) {
			return byName[name], v
		},
	}), nil)
}

// envKey is EnvName reversed: RFMSYNC_RFM__WINDOW_DAYS → rfm.window_days.
func envKey(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, EnvPrefix)
	if !ok || rest == "" {
		return "", false
	}
	return strings.ToLower(strings.ReplaceAll(rest, "__", ".")), true
}

// slicesContainsName reports whether some key's EnvName is name.
func slicesContainsName(keys []string, name string) bool {
	for _, k := range keys {
		if EnvName(k) == name {
			return true
		}
	}
	return false
}

// suggest names the override variable a mistyped one probably meant: the
// one equal to it once underscores and case are ignored.
func suggest(name string, keys []string) string {
	squash := func(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "_", "")) }
	for _, k := range keys {
		if squash(EnvName(k)) == squash(name) {
			return fmt.Sprintf(" (did you mean %s, for %s?)", EnvName(k), k)
		}
	}
	return " (see config.example.yaml; a double underscore separates levels)"
}

// structKeys lists the dotted leaf keys of a struct type by koanf tag: it
// descends into nested structs but not into lists, maps or the ",remain"
// catch-all.
func structKeys(t reflect.Type, path string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		key := joinKey(path, name)
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Duration]() && !isLeafStruct(f.Type) {
			out = append(out, structKeys(f.Type, key)...)
			continue
		}
		out = append(out, key)
	}
	return out
}

// isLeafStruct reports struct types that decode from one value (ScoreRange).
func isLeafStruct(t reflect.Type) bool {
	return t == reflect.TypeFor[ScoreRange]()
}

// printableName shows a variable name as it is, unless it holds bytes a
// terminal or a one-line message would garble; then it is quoted.
func printableName(n string) string {
	for _, r := range n {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return strconv.Quote(n)
		}
	}
	return n
}
