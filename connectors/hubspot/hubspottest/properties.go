package hubspottest

import (
	"regexp"
	"slices"
	"time"
)

// Property is a property definition (§5.2).
type Property struct {
	Name               string
	Label              string
	Type               string // string, number, bool, enumeration, date, datetime
	FieldType          string
	GroupName          string
	Description        string
	DisplayOrder       int
	Hidden             bool
	FormField          bool
	HasUniqueValue     bool
	Options            []Option
	HubspotDefined     bool
	Calculated         bool
	ReadOnlyValue      bool
	ReadOnlyDefinition bool
	Archived           bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Option is one enumeration option.
type Option struct {
	Label        string
	Value        string
	Description  string
	DisplayOrder int
	Hidden       bool
}

// PropertyGroup is a property group (§5.1).
type PropertyGroup struct {
	Name         string
	Label        string
	DisplayOrder int
	Archived     bool
}

// fieldTypes lists the valid fieldType values per type (§5.2).
var fieldTypes = map[string][]string{
	"string":      {"text", "textarea", "html", "phonenumber", "file", "calculation_equation"},
	"number":      {"number", "calculation_equation"},
	"bool":        {"booleancheckbox", "calculation_equation"},
	"enumeration": {"select", "radio", "checkbox", "booleancheckbox", "calculation_equation"},
	"date":        {"date"},
	"datetime":    {"date"},
}

// maxUniqueProperties is HubSpot's cap on hasUniqueValue properties per
// object (§5.2).
const maxUniqueProperties = 10

var internalNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// DefineProperty stores a property definition directly (god mode), e.g. to
// model a property an admin created earlier with other options.
func (s *Server) DefineProperty(t ObjectType, p Property) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.tables[mustType(t).plural]
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.clock.Now()
		p.UpdatedAt = p.CreatedAt
	}
	p.Options = slices.Clone(p.Options)
	tb.props[p.Name] = &p
	tb.gen++
}

// DefineGroup stores a property group directly (god mode).
func (s *Server) DefineGroup(t ObjectType, g PropertyGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tables[mustType(t).plural].groups[g.Name] = &g
}

// Property returns a copy of a property definition.
func (s *Server) Property(t ObjectType, name string) (Property, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.tables[mustType(t).plural].props[name]
	if p == nil {
		return Property{}, false
	}
	out := *p
	out.Options = slices.Clone(p.Options)
	return out, true
}

// Group reports whether a property group exists.
func (s *Server) Group(t ObjectType, name string) (PropertyGroup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.tables[mustType(t).plural].groups[name]
	if g == nil {
		return PropertyGroup{}, false
	}
	return *g, true
}
