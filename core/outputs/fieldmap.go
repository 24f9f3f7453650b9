package outputs

import (
	"maps"
	"slices"
)

// FieldName is the CRM field one output is written to: one name for every
// customer type, or a name per type, because some CRMs (vtenext) name the
// same custom field differently on Accounts and on Contacts.
type FieldName struct {
	// Default is used for a customer type ByType does not name.
	Default string
	// ByType maps a customer type (e.g. "Accounts") to its field name.
	ByType map[string]string
}

// Named is a FieldName with one name for every type.
func Named(name string) FieldName { return FieldName{Default: name} }

// For returns the field name for a customer type; "" means not written.
func (f FieldName) For(typ string) string {
	if n, ok := f.ByType[typ]; ok {
		return n
	}
	return f.Default
}

// Names returns every distinct field name f uses, sorted.
func (f FieldName) Names() []string {
	set := map[string]bool{}
	if f.Default != "" {
		set[f.Default] = true
	}
	for _, n := range f.ByType {
		if n != "" {
			set[n] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// IsZero reports a FieldName that names no field.
func (f FieldName) IsZero() bool { return len(f.Names()) == 0 }

// FieldMap maps output names to the CRM fields they are written to.
type FieldMap map[string]FieldName

// Single builds a FieldMap with one name per output for every type.
func Single(m map[string]string) FieldMap {
	out := make(FieldMap, len(m))
	for o, n := range m {
		if n != "" {
			out[o] = Named(n)
		}
	}
	return out
}

// ForType returns output → field name for one customer type, leaving out
// outputs that type does not write.
func (m FieldMap) ForType(typ string) map[string]string {
	out := make(map[string]string, len(m))
	for o, f := range m {
		if n := f.For(typ); n != "" {
			out[o] = n
		}
	}
	return out
}

// KindsForType returns field name → kind for one customer type.
func (m FieldMap) KindsForType(typ string) map[string]Kind {
	out := make(map[string]Kind, len(m))
	for o, f := range m {
		if n := f.For(typ); n != "" {
			out[n] = KindOf(o)
		}
	}
	return out
}

// Outputs returns the mapped output names in All's order.
func (m FieldMap) Outputs() []string {
	var out []string
	for _, o := range all {
		if f, ok := m[o.Name]; ok && !f.IsZero() {
			out = append(out, o.Name)
		}
	}
	return out
}
