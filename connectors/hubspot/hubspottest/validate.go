package hubspottest

import (
	"fmt"
	"net/mail"
	"strings"
)

// maxStringLength is HubSpot's limit for string property values (§5.2).
const maxStringLength = 65536

// valueError is one invalid property value, reported by a whole-batch 400.
type valueError struct {
	name, value, code, message string
}

// validateWrite checks one written value against its definition and returns
// the value as HubSpot stores it. An empty string always clears (§5.3).
// Codes follow what HubSpot sends (INVALID_INTEGER for any bad number,
// observed for an "amount" write).
func validateWrite(t *table, name, raw string, existing value) (value, *valueError) {
	def := t.props[name]
	bad := func(code, format string, args ...any) (value, *valueError) {
		return value{}, &valueError{name: name, value: raw, code: code, message: fmt.Sprintf(format, args...)}
	}
	if def == nil || def.Archived {
		return bad("PROPERTY_DOESNT_EXIST", "Property %q does not exist", name)
	}
	if def.ReadOnlyValue || def.Calculated || name == t.meta.modified {
		return bad("READ_ONLY_VALUE", "%q is a read only property; its value cannot be set.", name)
	}
	if raw == "" {
		return value{}, nil
	}
	switch def.Type {
	case "number":
		if !isNumber(raw) {
			return bad("INVALID_INTEGER", "%s was not a valid number.", raw)
		}
	case "bool":
		l := strings.ToLower(raw)
		if l != "true" && l != "false" {
			return bad("INVALID_BOOLEAN", "%s was not a valid boolean.", raw)
		}
		return value{s: l}, nil
	case "datetime":
		tm, ok := parseTimeInput(raw)
		if !ok {
			return bad("INVALID_DATE", "%s was not a valid date or datetime.", raw)
		}
		return value{s: formatTime(tm)}, nil
	case "date":
		tm, ok := parseDateInput(raw)
		if !ok {
			return bad("INVALID_DATE", "%s is not a valid date: use YYYY-MM-DD or epoch milliseconds at midnight UTC.", raw)
		}
		return value{s: tm.Format("2006-01-02")}, nil
	case "enumeration":
		return validateOptions(def, raw, existing, bad)
	case "string":
		if len(raw) > maxStringLength {
			return bad("INVALID_STRING_LENGTH", "value of %s is %d characters long; the maximum is %d.", name, len(raw), maxStringLength)
		}
		if name == "email" && t.meta.plural == Contacts {
			if _, err := mail.ParseAddress(raw); err != nil || !strings.Contains(raw, "@") {
				return bad("INVALID_EMAIL", "Email address %s is invalid", raw)
			}
		}
	}
	return value{s: raw}, nil
}

// validateOptions checks enumeration values: case-sensitive option values;
// multi-select checkboxes take "a;b" and a leading ";" appends to the stored
// selection (§5.2).
func validateOptions(def *Property, raw string, existing value,
	bad func(code, format string, args ...any) (value, *valueError)) (value, *valueError) {
	valid := make(map[string]bool, len(def.Options))
	for _, o := range def.Options {
		valid[o.Value] = true
	}
	if def.Type == "enumeration" && def.FieldType == "booleancheckbox" && len(def.Options) == 0 {
		valid["true"], valid["false"] = true, true
	}
	parts := []string{raw}
	appendTo := ""
	if def.FieldType == "checkbox" {
		if strings.HasPrefix(raw, ";") {
			appendTo = existing.s
			raw = strings.TrimPrefix(raw, ";")
		}
		parts = strings.Split(raw, ";")
	}
	for _, p := range parts {
		if !valid[p] {
			return bad("INVALID_OPTION", "%s was not one of the allowed options: [%s]", p, optionList(def))
		}
	}
	if appendTo != "" {
		return value{s: appendTo + ";" + raw}, nil
	}
	return value{s: raw}, nil
}

// optionList prints options roughly the way HubSpot's message embeds them.
func optionList(def *Property) string {
	var b strings.Builder
	for i, o := range def.Options {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "label: %q\nvalue: %q\ndisplay_order: %d\nhidden: %t\n", o.Label, o.Value, o.DisplayOrder, o.Hidden)
	}
	return b.String()
}
