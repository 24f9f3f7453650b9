package config

import (
	"github.com/rfmsync/rfmsync/core/outputs"

	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

const examplePath = "../../config.example.yaml"

func TestExampleLoads(t *testing.T) {
	c, err := Load(examplePath, lookupOf(map[string]string{"HUBSPOT_TOKEN": "pat-example"}))
	if err != nil {
		t.Fatalf("example does not load: %v", err)
	}
	d := Default()
	// The example writes out the defaults it documents; they must be true.
	if c.Schedule != d.Schedule || c.State != d.State || c.Listen != d.Listen || !reflect.DeepEqual(c.RFM, d.RFM) {
		t.Errorf("example values differ from the defaults it claims:\n%+v\n%+v", c.RFM, d.RFM)
	}
	if fm := c.FieldMap(); !fm[outputs.RecencyDays].IsZero() || fm[outputs.LastPurchaseAt].IsZero() {
		t.Errorf("example must map last_purchase_at, not recency_days: %+v", c.Fields)
	}
	if o := c.Connector().(*stubOptions); o.Token != "pat-example" || o.Object != "contacts" || !reflect.DeepEqual(o.Sources, []string{"deals"}) {
		t.Errorf("hubspot section = %+v", o)
	}
	if _, err := Load(examplePath, nil); err == nil || !strings.Contains(err.Error(), "HUBSPOT_TOKEN is not set") {
		t.Errorf("without HUBSPOT_TOKEN: %v", err)
	}
}

// commentedKey matches a commented-out YAML line ("  # cuts: [30, 90]",
// "    #   - id: champions"); prose comments start with a capital or no key.
var commentedKey = regexp.MustCompile(`^(\s*)# (\s*(?:- )?[a-z_]+:(?:\s.*)?)$`)

// TestExampleIsComplete checks that every key of Config appears in the
// example, as a value or as a commented-out line, so the documentation
// cannot fall behind the struct.
func TestExampleIsComplete(t *testing.T) {
	b, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if m := commentedKey.FindStringSubmatch(l); m != nil {
			lines[i] = m[1] + m[2]
		}
	}
	doc, err := yamlParser{}.Unmarshal([]byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatalf("uncommented example is not YAML: %v", err)
	}
	have := map[string]bool{}
	docKeys(doc, "", have)
	want := allKeys(reflect.TypeFor[Config](), "")
	if len(want) < 40 {
		t.Fatalf("only %d struct keys found; the walker is broken", len(want))
	}
	for _, k := range want {
		if !have[k] {
			t.Errorf("config.example.yaml does not document %s", k)
		}
	}
}

// allKeys lists every koanf key of t, descending into lists of structs as "[]".
func allKeys(t reflect.Type, path string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("koanf"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		key := joinKey(path, name)
		out = append(out, key)
		ft := f.Type
		if ft.Kind() == reflect.Slice {
			ft = ft.Elem()
			key += "[]"
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Duration]() && !isLeafStruct(ft) {
			out = append(out, allKeys(ft, key)...)
		}
	}
	sort.Strings(out)
	return out
}

func docKeys(v any, path string, out map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			key := joinKey(path, k)
			out[key] = true
			docKeys(val, key, out)
		}
	case []any:
		for _, val := range t {
			docKeys(val, path+"[]", out)
		}
	}
}
