package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/rfmsync/rfmsync/core/connector"
)

// decodeConnector checks crm: every section is a mapping named after a
// registered connector, and the selected one goes through its Decoder and
// Validate, which name their own keys. No network call happens here.
func (c *Config) decodeConnector(p *problems) {
	names := connector.Names()
	registered := "no connectors are registered in this build"
	if len(names) > 0 {
		registered = "registered: " + strings.Join(names, ", ")
	}
	for _, name := range sortedKeys(c.CRM.Sections) {
		key := "crm." + name
		if _, ok := connector.Lookup(name); !ok {
			p.add(key, fmt.Sprintf("unknown key: not a registered connector (%s)", registered))
			continue
		}
		if v := c.CRM.Sections[name]; v != nil {
			if _, ok := v.(map[string]any); !ok {
				p.add(key, "wrong type: want a mapping of keys to values")
			}
		}
	}
	if c.CRM.Type == "" {
		return
	}
	reg, ok := connector.Lookup(c.CRM.Type)
	if !ok {
		p.add("crm.type", fmt.Sprintf("unknown CRM %q (%s)", c.CRM.Type, registered))
		return
	}
	prefix := "crm." + c.CRM.Type
	section, _ := c.CRM.Sections[c.CRM.Type].(map[string]any)
	if section == nil {
		section = map[string]any{}
	}
	opts, err := reg.Decode(section, prefix)
	if err != nil {
		addConnectorErr(prefix, err, p)
		return
	}
	if err := opts.Validate(); err != nil {
		addConnectorErr(prefix, err, p)
		return
	}
	if v, ok := opts.(connector.FieldNameValidator); ok {
		fm := c.FieldMap()
		for _, o := range fm.Outputs() {
			f := fm[o]
			if f.Default != "" {
				if err := v.ValidateFieldName(f.Default); err != nil {
					p.add("fields."+o, err.Error())
				}
			}
			for typ, name := range f.ByType {
				if err := v.ValidateFieldName(name); err != nil {
					p.add("fields."+o+"."+typ, err.Error())
				}
			}
		}
	}
	c.CRM.options = opts
}

// addConnectorErr records a connector's error. *Error and Errors pass as
// they are; a plain error whose text starts with "<prefix>…: " is split at
// the key it names, so every line keeps the "config: <key>: <problem>" form.
func addConnectorErr(prefix string, err error, p *problems) {
	var es Errors
	var ce *Error
	switch {
	case errors.As(err, &es):
		p.list = append(p.list, es...)
		return
	case errors.As(err, &ce):
		p.list = append(p.list, ce)
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			addConnectorErr(prefix, e, p)
		}
		return
	}
	msg := err.Error()
	if strings.HasPrefix(msg, prefix) {
		if key, problem, ok := strings.Cut(msg, ": "); ok && !strings.ContainsAny(key, " \t") {
			p.add(key, problem)
			return
		}
	}
	p.add(prefix, msg)
}

// ReadSecret returns a connector's secret: value itself, or the contents
// of file when a *_file key names one (a mounted Docker or Kubernetes
// secret). One trailing newline is trimmed, as editors and `echo` add it.
// Giving both is an error, as is an empty file. Errors never contain the
// secret; the caller adds the key.
func ReadSecret(value, file string) (string, error) {
	if file == "" {
		return value, nil
	}
	if value != "" {
		return "", errors.New("set the value or its _file, not both")
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	defer f.Close()
	// Bounded, so a path such as /dev/zero or a log file cannot hang or
	// exhaust the loader.
	b, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	if len(b) > maxSecretBytes {
		return "", fmt.Errorf("secret file %s is larger than %d bytes: not a secret", file, maxSecretBytes)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if s == "" {
		return "", fmt.Errorf("secret file %s is empty", file)
	}
	return s, nil
}

// maxSecretBytes bounds a secret file: tokens and keys are a few KB.
const maxSecretBytes = 64 << 10

// secretSuffixes end the names of keys that hold secrets or point at them.
var secretSuffixes = []string{"token", "secret", "password", "passphrase",
	"accesskey", "access_key", "api_key", "apikey", "private_key", "_file"}

// IsSecretKey reports whether a key name (the last part of a dotted key)
// holds a secret or a path to one. Fingerprints leave such keys out, so
// rotating a token does not look like a change of what is pulled.
func IsSecretKey(name string) bool {
	n := strings.ToLower(name)
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// withoutSecrets copies v, dropping every map key IsSecretKey matches.
func withoutSecrets(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			if !IsSecretKey(k) {
				out[k] = withoutSecrets(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = withoutSecrets(val)
		}
		return out
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func joinSorted(m map[string]any) string {
	return "[" + strings.Join(sortedKeys(m), ", ") + "]"
}
