package hubspot

import (
	"context"
	"github.com/rfmsync/rfmsync/core/outputs"
	"slices"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/crmerr"
)

var testSpecs = []connector.FieldSpec{
	{Field: outputs.Named("rfm_r"), Label: "RFM R score", Kind: connector.FieldNumber, Description: "R"},
	{Field: outputs.Named("rfm_code"), Label: "RFM code", Kind: connector.FieldText},
	{Field: outputs.Named("rfm_last_purchase_at"), Label: "RFM last purchase", Kind: connector.FieldDateTime},
	{Field: outputs.Named("rfm_segment"), Label: "RFM segment", Kind: connector.FieldEnum, Options: []connector.FieldOption{
		{Value: "champions", Label: "Champions"}, {Value: "at_risk", Label: "At Risk"}, {Value: "lost", Label: "Lost"}}},
}

func actionsOf(as []connector.FieldAction) map[string]connector.FieldActionKind {
	out := map[string]connector.FieldActionKind{}
	for _, a := range as {
		out[a.Name] = a.Action
	}
	return out
}

func TestEnsureFieldsCreatesThenIsIdempotent(t *testing.T) {
	s := newFake(t, hubspottest.Options{})
	c := connect(t, s, nil)
	ctx := context.Background()

	dry, err := c.EnsureFields(ctx, testSpecs, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Property(hubspottest.Contacts, "rfm_r"); ok || len(dry) != 4 || actionsOf(dry)["rfm_segment"] != ActionCreate ||
		!strings.Contains(dry[0].Detail, "property group rfm") {
		t.Fatalf("dry run %+v created something or reported wrong", dry)
	}
	if _, ok := s.Group(hubspottest.Contacts, "rfm"); ok {
		t.Fatal("dry run created the group")
	}

	got, err := c.EnsureFields(ctx, testSpecs, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got {
		if a.Action != ActionCreate {
			t.Errorf("first run: %+v", a)
		}
	}
	want := map[string][2]string{"rfm_r": {"number", "number"}, "rfm_code": {"string", "text"},
		"rfm_last_purchase_at": {"datetime", "date"}, "rfm_segment": {"enumeration", "select"}}
	for name, tf := range want {
		p, ok := s.Property(hubspottest.Contacts, name)
		if !ok || p.Type != tf[0] || p.FieldType != tf[1] || p.GroupName != "rfm" {
			t.Errorf("%s: %+v, want %s/%s in group rfm", name, p, tf[0], tf[1])
		}
	}
	seg, _ := s.Property(hubspottest.Contacts, "rfm_segment")
	if len(seg.Options) != 3 || seg.Options[1].Value != "at_risk" || seg.Options[1].Label != "At Risk" {
		t.Errorf("segment options %+v", seg.Options)
	}

	calls := s.Calls(hubspottest.RouteProperties)
	again, err := c.EnsureFields(ctx, testSpecs, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range again {
		if a.Action != ActionExists {
			t.Errorf("second run: %+v, want exists", a)
		}
	}
	if n := s.Calls(hubspottest.RouteProperties) - calls; n != 2 {
		t.Errorf("second run made %d calls, want 2 reads and no writes", n)
	}
}

func TestEnsureFieldsWrongTypeAndMissingOptions(t *testing.T) {
	s := newFake(t, hubspottest.Options{})
	s.DefineGroup(hubspottest.Contacts, hubspottest.PropertyGroup{Name: "rfm", Label: "RFM"})
	s.DefineProperty(hubspottest.Contacts, hubspottest.Property{Name: "rfm_r", Label: "R", Type: "string", FieldType: "text", GroupName: "rfm"})
	s.DefineProperty(hubspottest.Contacts, hubspottest.Property{Name: "rfm_segment", Label: "Segment", Type: "enumeration", FieldType: "select", GroupName: "rfm",
		Options: []hubspottest.Option{{Label: "Our Champions", Value: "champions", DisplayOrder: 4}, {Label: "Legacy", Value: "legacy", DisplayOrder: 9}}})
	c := connect(t, s, nil)

	dry, err := c.EnsureFields(context.Background(), testSpecs, false)
	if err != nil {
		t.Fatal(err)
	}
	if a := actionsOf(dry); a["rfm_segment"] != ActionAddOptions || a["rfm_r"] != ActionWrongType {
		t.Fatalf("dry run %+v", dry)
	}
	if p, _ := s.Property(hubspottest.Contacts, "rfm_segment"); len(p.Options) != 2 {
		t.Fatal("dry run patched options")
	}

	got, err := c.EnsureFields(context.Background(), testSpecs, true)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]connector.FieldAction{}
	for _, a := range got {
		byName[a.Name] = a
	}
	if a := byName["rfm_r"]; a.Action != ActionWrongType || !strings.Contains(a.Detail, "string/text") || !strings.Contains(a.Detail, "number/number") {
		t.Errorf("rfm_r: %+v", a)
	}
	if p, _ := s.Property(hubspottest.Contacts, "rfm_r"); p.Type != "string" {
		t.Errorf("a wrong-typed field was changed: %+v", p)
	}
	if a := byName["rfm_segment"]; a.Action != ActionAddOptions || a.Detail != "at_risk, lost" {
		t.Errorf("rfm_segment: %+v", a)
	}
	p, _ := s.Property(hubspottest.Contacts, "rfm_segment")
	values := make([]string, len(p.Options))
	for i, o := range p.Options {
		values[i] = o.Value
	}
	if !slices.Equal(values, []string{"champions", "legacy", "at_risk", "lost"}) || p.Options[0].Label != "Our Champions" || p.Options[2].DisplayOrder != 10 {
		t.Errorf("options after the patch: %+v (existing ones and their labels must stay)", p.Options)
	}
	if a := actionsOf(got); a["rfm_code"] != ActionCreate || a["rfm_last_purchase_at"] != ActionCreate {
		t.Errorf("missing fields not created: %+v", got)
	}
}

func TestEnsureFieldsOnCompaniesWithoutSchemaScope(t *testing.T) {
	s := newFake(t, hubspottest.Options{})
	s.AddToken("pat-na1-readonly", "crm.schemas.companies.read", "crm.objects.companies.read")
	c := connect(t, s, map[string]any{"token": "pat-na1-readonly", "object": "companies"})
	_, err := c.EnsureFields(context.Background(), testSpecs[:1], true)
	if crmerr.ClassOf(err) != crmerr.Auth || !strings.Contains(err.Error(), "crm.schemas.companies.write") {
		t.Errorf("error %v, want auth naming the schema write scope", err)
	}
}

func TestEnsureFieldsRefusesReadOnlyFields(t *testing.T) {
	// A property of the right type that HubSpot computes (fieldType
	// calculation_equation) or marks modificationMetadata.readOnlyValue
	// refuses every write with READ_ONLY_VALUE (§5.2, §5.3). Reporting it as
	// "exists" would send the admin from the write error ("run fields
	// ensure") back to a fields ensure that says all is well.
	s := newFake(t, hubspottest.Options{})
	s.DefineGroup(hubspottest.Contacts, hubspottest.PropertyGroup{Name: "rfm", Label: "RFM"})
	s.DefineProperty(hubspottest.Contacts, hubspottest.Property{Name: "rfm_r", Label: "R", Type: "number",
		FieldType: "calculation_equation", GroupName: "rfm", Calculated: true})
	s.DefineProperty(hubspottest.Contacts, hubspottest.Property{Name: "rfm_code", Label: "Code", Type: "string",
		FieldType: "text", GroupName: "rfm", ReadOnlyValue: true})
	c := connect(t, s, nil)

	got, err := c.EnsureFields(context.Background(), testSpecs, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range got {
		if (a.Name == "rfm_r" || a.Name == "rfm_code") && (a.Action != ActionWrongType || !strings.Contains(a.Detail, "read-only")) {
			t.Errorf("%s: %+v, want %q naming it read-only", a.Name, a, ActionWrongType)
		}
	}
	if p, _ := s.Property(hubspottest.Contacts, "rfm_r"); p.FieldType != "calculation_equation" {
		t.Errorf("a read-only field was changed: %+v", p)
	}
}
