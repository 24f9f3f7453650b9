package config

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
)

// DecodeSection decodes a raw section (e.g. a connector's crm.<name> map)
// into out, a pointer to a struct with koanf tags, the way Load decodes the
// rest of the file: unknown keys are errors, text from environment
// overrides is parsed by the target type, durations read "5s" or "2d".
// Errors are Errors whose keys start with prefix. Connectors should use it
// so that every section of the file behaves alike.
func DecodeSection(section map[string]any, prefix string, out any) error {
	var p problems
	decodeInto(section, out, prefix, &p)
	return p.err()
}

// decodeInto runs the strict decoder and turns its errors into problems.
func decodeInto(in any, out any, prefix string, p *problems) {
	d, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		TagName:     "koanf",
		ErrorUnused: true,
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			fieldNameHook, durationHook, textToScalarHook, scalarToTextHook, textToListHook),
		Result: out,
	})
	if err != nil {
		p.add(prefix, err.Error()) // a programming error: out is not a pointer
		return
	}
	root := reflect.TypeOf(out).Elem()
	for _, e := range decodeErrors(d.Decode(in)) {
		de, ok := e.(*mapstructure.DecodeError)
		if !ok {
			p.add(prefix, e.Error())
			continue
		}
		name := mapKeyRE.ReplaceAllString(de.Name(), ".$1")
		if name == root.String() { // mapstructure names the root by its Go type
			name = ""
		}
		key := joinKey(prefix, name)
		if unused, ok := strings.CutPrefix(de.Unwrap().Error(), "has invalid keys: "); ok {
			known := knownKeys(root, name)
			for _, k := range strings.Split(unused, ", ") {
				p.add(joinKey(key, k), "unknown key (known here: "+strings.Join(known, ", ")+")")
			}
			continue
		}
		p.add(key, describeDecodeError(de.Unwrap()))
	}
}

// decodeErrors flattens mapstructure's joined error tree into its leaves:
// *mapstructure.DecodeError where it names a key, else the error itself.
func decodeErrors(err error) []error {
	if err == nil {
		return nil
	}
	if de, ok := err.(*mapstructure.DecodeError); ok && !hasNested(de.Unwrap()) {
		return []error{de}
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		var out []error
		for _, e := range u.Unwrap() {
			out = append(out, decodeErrors(e)...)
		}
		return out
	case interface{ Unwrap() error }:
		if hasNested(u.Unwrap()) {
			return decodeErrors(u.Unwrap())
		}
	}
	return []error{err}
}

func hasNested(err error) bool {
	var de *mapstructure.DecodeError
	return errors.As(err, &de)
}

// describeDecodeError words a type error without quoting the value, which
// may be a secret.
func describeDecodeError(err error) string {
	var ut *mapstructure.UnconvertibleTypeError
	if errors.As(err, &ut) {
		return "wrong type: want " + describeType(ut.Expected.Type()) + ", got " + describeValue(ut.Value)
	}
	var pe *mapstructure.ParseError
	if errors.As(err, &pe) {
		return "wrong type: want " + describeType(pe.Expected.Type())
	}
	if strings.HasPrefix(err.Error(), "source data must be an array or slice") {
		return "wrong type: want a list"
	}
	if strings.HasPrefix(err.Error(), "expected a map") || strings.HasPrefix(err.Error(), "expected a map or struct") {
		return "wrong type: want a mapping of keys to values"
	}
	return err.Error()
}

func describeType(t reflect.Type) string {
	if t == reflect.TypeFor[time.Duration]() {
		return "a duration such as 30s, 5m or 2d"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping of keys to values"
	}
	return t.String()
}

func describeValue(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "text"
	case json.Number, int, int64, uint64, float64:
		return "a number"
	case bool:
		return "true or false"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return reflect.TypeOf(v).String()
}

// mapKeyRE finds mapstructure's "fields[r]" map-key notation, which the
// file spells fields.r; list indexes ("rules[2]") are kept.
var mapKeyRE = regexp.MustCompile(`\[([^\]0-9][^\]]*)\]`)

var indexRE = regexp.MustCompile(`\[[^\]]*\]`)

// knownKeys lists the koanf keys of the struct that path (a mapstructure
// name like "rfm.segments.rules[2]") decodes into.
func knownKeys(root reflect.Type, path string) []string {
	t := root
	if path != "" {
		for _, part := range strings.Split(indexRE.ReplaceAllString(path, "[]"), ".") {
			name, _, _ := strings.Cut(part, "[")
			t = fieldType(t, name)
			for range strings.Count(part, "[]") {
				if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Map) {
					t = t.Elem()
				}
			}
			if t == nil {
				return nil
			}
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("koanf"), ",")
		if t.Field(i).IsExported() && name != "" && name != "-" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func fieldType(t reflect.Type, name string) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("koanf"), ","); tag == name {
			return t.Field(i).Type
		}
	}
	return nil
}
