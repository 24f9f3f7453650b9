package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The decode hooks below run in this order before mapstructure's own
// conversions. Together they make one rule: YAML keeps its types, and text
// (from quoted YAML, ${NAME} or an environment override) is parsed by the
// type of the key it lands in. Their errors never quote the value.

// durationHook reads durations as Go does plus a "d" suffix for days
// ("2d", "1d12h"), like koanf's own hook; a bare number is refused (5
// would be 5 ns) except 0.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeFor[time.Duration]() {
		return data, nil
	}
	switch from.Kind() {
	case reflect.String:
		s := strings.TrimSpace(reflect.ValueOf(data).String())
		if s == "0" {
			return time.Duration(0), nil
		}
		d, err := time.ParseDuration(expandDays(s))
		if err != nil {
			return nil, errors.New("wrong type: want " + describeType(to))
		}
		return d, nil
	case reflect.Int, reflect.Int64, reflect.Uint64:
		if reflect.ValueOf(data).IsZero() {
			return time.Duration(0), nil
		}
		return nil, errors.New("a duration needs a unit, such as 30s, 5m or 2d")
	}
	return data, nil
}

var daysRE = regexp.MustCompile(`^(\d+)d`)

// expandDays turns a leading whole-day count into hours: "2d3h" → "48h3h".
func expandDays(s string) string {
	m := daysRE.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n > 100_000 {
		return s
	}
	return strconv.Itoa(n*24) + "h" + s[len(m[0]):]
}

// textToScalarHook parses text into a number or boolean target. Text
// reaches such targets from environment overrides and ${VAR} references
// (both are always text) and from quoted YAML. json.Number (a YAML float,
// see yamlParser) is left to mapstructure, which refuses 5.5 for an int.
func textToScalarHook(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || from == reflect.TypeFor[json.Number]() {
		return data, nil
	}
	s := strings.TrimSpace(reflect.ValueOf(data).String())
	bad := errors.New("wrong type: want " + describeType(to))
	switch to.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if to == reflect.TypeFor[time.Duration]() {
			return data, nil
		}
		n, err := strconv.ParseInt(s, 10, to.Bits())
		if err != nil {
			return nil, bad
		}
		return n, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, to.Bits())
		if err != nil {
			return nil, bad
		}
		return n, nil
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, to.Bits())
		if err != nil {
			return nil, bad
		}
		return f, nil
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, bad
		}
		return b, nil
	}
	return data, nil
}

// scalarToTextHook lets a number or boolean fill a text key (a segment id
// of 404, a field named 2024), the way YAML users expect.
func scalarToTextHook(from, to reflect.Type, data any) (any, error) {
	if to.Kind() != reflect.String {
		return data, nil
	}
	switch v := data.(type) {
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case bool:
		return strconv.FormatBool(v), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	}
	return data, nil
}

// textToListHook parses text that starts with "[" into a list for a list
// target, so an override can set one: RFMSYNC_RFM__RECENCY__CUTS="[30, 90]".
func textToListHook(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Slice {
		return data, nil
	}
	s := strings.TrimSpace(reflect.ValueOf(data).String())
	if !strings.HasPrefix(s, "[") {
		return data, nil
	}
	v, err := parseYAMLValue(s)
	if err != nil {
		return nil, fmt.Errorf("wrong type: want a list such as [30, 90, 180]")
	}
	return v, nil
}
