package hubspottest

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// propertyJSON is the wire form of a Property.
type propertyJSON struct {
	UpdatedAt            string       `json:"updatedAt"`
	CreatedAt            string       `json:"createdAt"`
	Name                 string       `json:"name"`
	Label                string       `json:"label"`
	Type                 string       `json:"type"`
	FieldType            string       `json:"fieldType"`
	Description          string       `json:"description"`
	GroupName            string       `json:"groupName"`
	Options              []optionJSON `json:"options"`
	DisplayOrder         int          `json:"displayOrder"`
	Calculated           bool         `json:"calculated"`
	ExternalOptions      bool         `json:"externalOptions"`
	HasUniqueValue       bool         `json:"hasUniqueValue"`
	Hidden               bool         `json:"hidden"`
	HubspotDefined       bool         `json:"hubspotDefined"`
	ModificationMetadata modMetaJSON  `json:"modificationMetadata"`
	FormField            bool         `json:"formField"`
	DataSensitivity      string       `json:"dataSensitivity"`
	Archived             bool         `json:"archived"`
}

type optionJSON struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Description  string `json:"description,omitempty"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

type modMetaJSON struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
	ReadOnlyOptions    bool `json:"readOnlyOptions"`
}

type groupJSON struct {
	Name         string `json:"name"`
	Label        string `json:"label"`
	DisplayOrder int    `json:"displayOrder"`
	Archived     bool   `json:"archived"`
}

func (p *Property) wire() propertyJSON {
	opts := make([]optionJSON, 0, len(p.Options))
	for _, o := range p.Options {
		opts = append(opts, optionJSON(o))
	}
	return propertyJSON{
		UpdatedAt: formatTime(p.UpdatedAt), CreatedAt: formatTime(p.CreatedAt),
		Name: p.Name, Label: p.Label, Type: p.Type, FieldType: p.FieldType,
		Description: p.Description, GroupName: p.GroupName, Options: opts,
		DisplayOrder: p.DisplayOrder, Calculated: p.Calculated, HasUniqueValue: p.HasUniqueValue,
		Hidden: p.Hidden, HubspotDefined: p.HubspotDefined, FormField: p.FormField,
		ModificationMetadata: modMetaJSON{Archivable: !p.HubspotDefined,
			ReadOnlyDefinition: p.ReadOnlyDefinition, ReadOnlyValue: p.ReadOnlyValue || p.Calculated},
		DataSensitivity: "non_sensitive", Archived: p.Archived,
	}
}

func (g *PropertyGroup) wire() groupJSON {
	return groupJSON{Name: g.Name, Label: g.Label, DisplayOrder: g.DisplayOrder, Archived: g.Archived}
}

// propertyIn is the body of POST and PATCH on properties; pointers tell
// absent fields from zero values.
type propertyIn struct {
	Name           *string     `json:"name"`
	Label          *string     `json:"label"`
	Type           *string     `json:"type"`
	FieldType      *string     `json:"fieldType"`
	GroupName      *string     `json:"groupName"`
	Description    *string     `json:"description"`
	DisplayOrder   *int        `json:"displayOrder"`
	Hidden         *bool       `json:"hidden"`
	FormField      *bool       `json:"formField"`
	HasUniqueValue *bool       `json:"hasUniqueValue"`
	Options        *[]optionIn `json:"options"`
}

type optionIn struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	Description  string `json:"description"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

// handlePropList serves GET …/properties/{type} (no paging, §5.2).
func (s *Server) handlePropList(c *reqCtx) {
	archived := c.r.URL.Query().Get("archived") == "true"
	s.mu.Lock()
	tb := s.tables[c.m.meta.plural]
	out := make([]propertyJSON, 0, len(tb.props))
	for _, p := range tb.props {
		if p.Archived == archived {
			out = append(out, p.wire())
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	c.writeJSON(http.StatusOK, map[string]any{"results": out})
}

// handlePropGet serves GET …/properties/{type}/{name}.
func (s *Server) handlePropGet(c *reqCtx) {
	archived := c.r.URL.Query().Get("archived") == "true"
	s.mu.Lock()
	p := s.tables[c.m.meta.plural].props[c.m.name]
	var out propertyJSON
	found := p != nil && p.Archived == archived
	if found {
		out = p.wire()
	}
	s.mu.Unlock()
	if !found {
		c.propertyNotFound()
		return
	}
	c.writeJSON(http.StatusOK, out)
}

// propertyNotFound answers 404 for an unknown property name.
func (c *reqCtx) propertyNotFound() {
	c.failWith(http.StatusNotFound, apiError{Category: "OBJECT_NOT_FOUND",
		Message: fmt.Sprintf("Unable to find property named %q for object type %s", c.m.name, c.m.meta.typeID)})
}

// handlePropCreate serves POST …/properties/{type}: 201 with Location, 409
// OBJECT_ALREADY_EXISTS for a taken name, 400 for an invalid definition.
func (s *Server) handlePropCreate(c *reqCtx) {
	var in propertyIn
	if !c.decodeJSON(&in) {
		return
	}
	var missing []string
	for _, f := range []struct {
		name string
		v    *string
	}{{"name", in.Name}, {"label", in.Label}, {"type", in.Type}, {"fieldType", in.FieldType}, {"groupName", in.GroupName}} {
		if f.v == nil || *f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		c.validation("Invalid input JSON: Cannot build PropertyCreate, some of required attributes are not set [%s]", strings.Join(missing, ", "))
		return
	}
	now := s.clock.Now()
	p := &Property{Name: *in.Name, CreatedAt: now, UpdatedAt: now, DisplayOrder: -1}
	p.apply(&in)
	if msg := p.validate(); msg != "" {
		c.validation("%s", msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.tables[c.m.meta.plural]
	if _, exists := tb.props[p.Name]; exists {
		c.failWith(http.StatusConflict, apiError{Category: "OBJECT_ALREADY_EXISTS",
			Message: fmt.Sprintf("Property named '%s' already exists.", p.Name),
			Context: map[string][]string{"name": {p.Name}}})
		return
	}
	if msg := tb.checkGroupAndUnique(p, ""); msg != "" {
		c.validation("%s", msg)
		return
	}
	tb.props[p.Name] = p
	tb.gen++
	c.w.Header().Set("Location", fmt.Sprintf("%s%s/%s/%s", s.URL(), c.m.base, c.m.typeName, p.Name))
	c.writeJSON(http.StatusCreated, p.wire())
}

// handlePropPatch serves PATCH …/properties/{type}/{name}; options in the
// body replace the whole list.
func (s *Server) handlePropPatch(c *reqCtx) {
	var in propertyIn
	if !c.decodeJSON(&in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.tables[c.m.meta.plural]
	old := tb.props[c.m.name]
	if old == nil || old.Archived {
		c.propertyNotFound()
		return
	}
	if old.ReadOnlyDefinition {
		c.validation("Property %s is a HubSpot-defined property with a read-only definition", old.Name)
		return
	}
	if in.Name != nil && *in.Name != old.Name {
		c.validation("Property names cannot be changed")
		return
	}
	p := *old
	p.Options = slices.Clone(old.Options)
	p.apply(&in)
	p.UpdatedAt = s.clock.Now()
	if msg := p.validate(); msg != "" {
		c.validation("%s", msg)
		return
	}
	if msg := tb.checkGroupAndUnique(&p, old.Name); msg != "" {
		c.validation("%s", msg)
		return
	}
	tb.props[p.Name] = &p
	tb.gen++
	c.writeJSON(http.StatusOK, p.wire())
}

// apply copies the present fields of in; options replace the whole list as
// PATCH does in HubSpot.
func (p *Property) apply(in *propertyIn) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.Label, in.Label)
	set(&p.Type, in.Type)
	set(&p.FieldType, in.FieldType)
	set(&p.GroupName, in.GroupName)
	set(&p.Description, in.Description)
	if in.DisplayOrder != nil {
		p.DisplayOrder = *in.DisplayOrder
	}
	if in.Hidden != nil {
		p.Hidden = *in.Hidden
	}
	if in.FormField != nil {
		p.FormField = *in.FormField
	}
	if in.HasUniqueValue != nil {
		p.HasUniqueValue = *in.HasUniqueValue
	}
	if in.Options != nil {
		p.Options = p.Options[:0:0]
		for _, o := range *in.Options {
			p.Options = append(p.Options, Option(o))
		}
	}
}

// validate checks a definition the way HubSpot does on create/update.
func (p *Property) validate() string {
	if !internalNameRe.MatchString(p.Name) {
		return fmt.Sprintf("Property name %q is invalid: it must start with a lower-case letter and contain only lower-case letters, digits and underscores", p.Name)
	}
	allowed, ok := fieldTypes[p.Type]
	if !ok {
		return fmt.Sprintf("Invalid property type %q; valid types are string, number, bool, enumeration, date, datetime", p.Type)
	}
	if !slices.Contains(allowed, p.FieldType) {
		return fmt.Sprintf("Invalid fieldType %q for property type %q; valid fieldTypes are %v", p.FieldType, p.Type, allowed)
	}
	if p.Type == "enumeration" {
		if len(p.Options) == 0 {
			return fmt.Sprintf("Enumeration property %s requires at least one option", p.Name)
		}
		seen := map[string]bool{}
		for _, o := range p.Options {
			if o.Label == "" || o.Value == "" {
				return fmt.Sprintf("Options of property %s must each have a label and a value", p.Name)
			}
			if seen[o.Value] {
				return fmt.Sprintf("Duplicate option value %q in property %s", o.Value, p.Name)
			}
			seen[o.Value] = true
		}
	} else {
		p.Options = nil
	}
	return ""
}

// checkGroupAndUnique checks references to the rest of the schema.
func (t *table) checkGroupAndUnique(p *Property, replacing string) string {
	if g := t.groups[p.GroupName]; g == nil || g.Archived {
		return fmt.Sprintf("Property group %q does not exist", p.GroupName)
	}
	if p.HasUniqueValue {
		n := 0
		for _, q := range t.props {
			if q.HasUniqueValue && q.Name != replacing && !q.Archived {
				n++
			}
		}
		if n >= maxUniqueProperties {
			return fmt.Sprintf("Cannot create more than %d unique value properties per object", maxUniqueProperties)
		}
	}
	return ""
}

// handleGroupList serves GET …/properties/{type}/groups.
func (s *Server) handleGroupList(c *reqCtx) {
	s.mu.Lock()
	tb := s.tables[c.m.meta.plural]
	out := make([]groupJSON, 0, len(tb.groups))
	for _, g := range tb.groups {
		if !g.Archived {
			out = append(out, g.wire())
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	c.writeJSON(http.StatusOK, map[string]any{"results": out})
}

// handleGroupGet serves GET …/properties/{type}/groups/{name}.
func (s *Server) handleGroupGet(c *reqCtx) {
	s.mu.Lock()
	g := s.tables[c.m.meta.plural].groups[c.m.name]
	var out groupJSON
	if g != nil {
		out = g.wire()
	}
	s.mu.Unlock()
	if g == nil {
		c.failWith(http.StatusNotFound, apiError{Category: "OBJECT_NOT_FOUND",
			Message: fmt.Sprintf("Unable to find property group named %q for object type %s", c.m.name, c.m.meta.typeID)})
		return
	}
	c.writeJSON(http.StatusOK, out)
}

// handleGroupCreate serves POST …/properties/{type}/groups: 201 with
// Location, 409 OBJECT_ALREADY_EXISTS for a taken name (§5.1).
func (s *Server) handleGroupCreate(c *reqCtx) {
	var in struct {
		Name         string `json:"name"`
		Label        string `json:"label"`
		DisplayOrder *int   `json:"displayOrder"`
	}
	if !c.decodeJSON(&in) {
		return
	}
	var missing []string
	if in.Name == "" {
		missing = append(missing, "name")
	}
	if in.Label == "" {
		missing = append(missing, "label")
	}
	if len(missing) > 0 {
		c.validation("Invalid input JSON: Cannot build PropertyGroupCreate, some of required attributes are not set [%s]", strings.Join(missing, ", "))
		return
	}
	if !internalNameRe.MatchString(in.Name) {
		c.validation("Property group name %q is invalid: it must start with a lower-case letter and contain only lower-case letters, digits and underscores", in.Name)
		return
	}
	g := &PropertyGroup{Name: in.Name, Label: in.Label, DisplayOrder: -1}
	if in.DisplayOrder != nil {
		g.DisplayOrder = *in.DisplayOrder
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.tables[c.m.meta.plural]
	if _, exists := tb.groups[g.Name]; exists {
		c.failWith(http.StatusConflict, apiError{Category: "OBJECT_ALREADY_EXISTS",
			Message: fmt.Sprintf("A property group named '%s' already exists.", g.Name),
			Context: map[string][]string{"name": {g.Name}}})
		return
	}
	tb.groups[g.Name] = g
	c.w.Header().Set("Location", fmt.Sprintf("%s%s/%s/groups/%s", s.URL(), c.m.base, c.m.typeName, g.Name))
	c.writeJSON(http.StatusCreated, g.wire())
}
