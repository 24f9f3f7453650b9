package config

import (
	"encoding/json"
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// yamlParser is a koanf.Parser for YAML that differs from koanf's own in
// one way that matters for money: a float scalar keeps its source text as a
// json.Number instead of becoming a float64, so a cut of 500.10 reaches
// rfm.ParseAmount as "500.10" and is exact at any size. mapstructure decodes
// json.Number into ints and floats as usual. It also rejects a key given
// twice in one mapping, naming it, where YAML would silently keep the last.
type yamlParser struct{}

// maxDepth bounds nesting (and alias expansion), so a hostile file cannot
// exhaust the stack.
const maxDepth = 64

// maxValues bounds the values a document expands to, aliases counted at
// each use. A real config has a few hundred; an alias bomb (a few lines of
// anchors, each aliasing the one before nine times) expands to billions,
// which would take minutes and gigabytes before any other check ran.
const maxValues = 100_000

// budget counts the values expanded so far.
type budget struct{ left int }

// spend takes one value, failing once the budget is gone.
func (b *budget) spend(n *yaml.Node, path string) error {
	if b.left--; b.left < 0 {
		_ = path
		return &Error{Problem: fmt.Sprintf("line %d: the document expands to more than %d values "+
			"through YAML aliases (*name); an alias bomb is refused", n.Line, maxValues)}
	}
	return nil
}

// Unmarshal parses a YAML document whose top level is a mapping.
func (yamlParser) Unmarshal(b []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &Error{Problem: err.Error()}
	}
	v, err := nodeValue(&doc, "", 0, &budget{left: maxValues})
	if err != nil {
		return nil, err
	}
	switch m := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return m, nil
	}
	return nil, &Error{Problem: "the document must be a mapping of keys to values"}
}

// Marshal writes m as YAML.
func (yamlParser) Marshal(m map[string]any) ([]byte, error) { return yaml.Marshal(m) }

// parseYAMLValue parses one value, e.g. an environment override "[30, 90]".
func parseYAMLValue(s string) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		return nil, err
	}
	return nodeValue(&doc, "", 0, &budget{left: maxValues})
}

// nodeValue converts a node into the map/slice/scalar tree koanf holds.
func nodeValue(n *yaml.Node, path string, depth int, b *budget) (any, error) {
	if depth > maxDepth {
		return nil, &Error{Key: path, Problem: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	if err := b.spend(n, path); err != nil {
		return nil, err
	}
	switch n.Kind {
	case 0:
		return nil, nil
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0], path, depth+1, b)
	case yaml.AliasNode:
		return nodeValue(n.Alias, path, depth+1, b)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := nodeValue(c, path+"["+strconv.Itoa(i)+"]", depth+1, b)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		return mappingValue(n, path, depth, b)
	case yaml.ScalarNode:
		return scalarValue(n, path)
	}
	return nil, &Error{Key: path, Problem: fmt.Sprintf("line %d: unsupported YAML node", n.Line)}
}

// mappingValue converts a mapping; "<<" merge keys fill in keys the mapping
// does not set itself, as YAML's merge key type specifies.
func mappingValue(n *yaml.Node, path string, depth int, b *budget) (any, error) {
	out := make(map[string]any, len(n.Content)/2)
	lines := make(map[string]int, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, &Error{Key: path, Problem: fmt.Sprintf("line %d: a key must be plain text", k.Line)}
		}
		if k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		key := joinKey(path, k.Value)
		if line, dup := lines[k.Value]; dup {
			return nil, &Error{Key: key, Problem: fmt.Sprintf("given twice (lines %d and %d)", line, k.Line)}
		}
		lines[k.Value] = k.Line
		val, err := nodeValue(v, key, depth+1, b)
		if err != nil {
			return nil, err
		}
		out[k.Value] = val
	}
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			v, err := nodeValue(s, path, depth+1, b)
			if err != nil {
				return nil, err
			}
			mm, ok := v.(map[string]any)
			if !ok {
				return nil, &Error{Key: path, Problem: fmt.Sprintf("line %d: << must merge a mapping", s.Line)}
			}
			for k, val := range mm {
				if _, set := out[k]; !set {
					out[k] = val
				}
			}
		}
	}
	return out, nil
}

// scalarValue keeps float text (see yamlParser) and timestamps as text;
// everything else decodes the YAML way (int, bool, null, string).
func scalarValue(n *yaml.Node, path string) (any, error) {
	switch n.ShortTag() {
	case "!!float":
		if _, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return json.Number(n.Value), nil
		}
	case "!!timestamp", "!!str":
		return n.Value, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, &Error{Key: path, Problem: fmt.Sprintf("line %d: not a valid YAML value", n.Line)}
	}
	return v, nil
}

// joinKey appends a key to a dotted path.
func joinKey(path, key string) string {
	if path == "" || key == "" {
		return path + key
	}
	return path + "." + key
}
