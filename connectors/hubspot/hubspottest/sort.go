package hubspottest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// csort is the one applied sort rule.
type csort struct {
	prop string
	desc bool
	kind propKind
	virt virt
}

// parseSort accepts the documented object form and the bare-string forms
// some clients send ("prop", "-prop"). A stringified object — the SDK bug of
// §2.1 — is rejected rather than silently ignored.
func parseSort(t *table, raw json.RawMessage) (*csort, string) {
	var name string
	desc := false
	if str, ok := scalar(raw); ok && bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`"`)) {
		if strings.HasPrefix(strings.TrimSpace(str), "{") {
			return nil, "Invalid input JSON: sorts must be objects {propertyName, direction}, got the string " + strconv.Quote(str)
		}
		name = str
		if rest, ok := strings.CutPrefix(name, "-"); ok {
			name, desc = rest, true
		}
	} else {
		var obj struct {
			PropertyName string `json:"propertyName"`
			Direction    string `json:"direction"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, "Invalid input JSON: cannot read sort: " + err.Error()
		}
		if obj.PropertyName == "" {
			return nil, "Invalid input JSON: Cannot build Sort, some of required attributes are not set [propertyName]"
		}
		name = obj.PropertyName
		switch obj.Direction {
		case "", "ASCENDING":
		case "DESCENDING":
			desc = true
		default:
			return nil, "Invalid input JSON: Cannot deserialize value of type `Direction` from String " + strconv.Quote(obj.Direction) + ": not one of the values accepted for Enum class: [ASCENDING, DESCENDING]"
		}
	}
	if name == "" {
		return nil, "Invalid input JSON: empty sort property"
	}
	kind, vt := kindOf(t, name)
	return &csort{prop: name, desc: desc, kind: kind, virt: vt}, ""
}

// sortKey is a precomputed sort value.
type sortKey struct {
	n   float64
	s   string
	set bool
}

// sortHits orders matches by the sort rule, or by creation (oldest first)
// without one (§2.1). Records without the property sort last in either
// direction (the search index's default); ties fall back to ascending ID.
func sortHits(t *table, srt *csort, hits []hit) {
	if srt == nil {
		slices.SortStableFunc(hits, func(a, b hit) int {
			return cmp.Or(a.e.createdAt.Compare(b.e.createdAt), cmp.Compare(a.e.id, b.e.id))
		})
		return
	}
	if srt.virt == virtID {
		// Hits were collected in ascending ID order.
		if srt.desc {
			slices.Reverse(hits)
		}
		return
	}
	keys := make(map[*entry]sortKey, len(hits))
	for _, h := range hits {
		var k sortKey
		if srt.kind.numeric() {
			k.n, k.set = numValue(t, srt.kind, srt.virt, srt.prop, h.e, h.v)
		} else {
			k.s, k.set = strValue(t, srt.prop, h.e, h.v)
			if srt.kind != kindEnum {
				k.s = strings.ToLower(k.s)
			}
		}
		keys[h.e] = k
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		ka, kb := keys[a.e], keys[b.e]
		if ka.set != kb.set {
			if ka.set {
				return -1
			}
			return 1
		}
		c := 0
		if ka.set {
			if srt.kind.numeric() {
				c = cmp.Compare(ka.n, kb.n)
			} else {
				c = cmp.Compare(ka.s, kb.s)
			}
			if srt.desc {
				c = -c
			}
		}
		return cmp.Or(c, cmp.Compare(a.e.id, b.e.id))
	})
}
