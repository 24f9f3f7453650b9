package salesforce

import (
	"context"
	"strings"
	"testing"

	sf "github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
	"github.com/rfmsync/rfmsync/core/connector"
)

func actions(acts []connector.FieldAction) map[string][]connector.FieldActionKind {
	out := map[string][]connector.FieldActionKind{}
	for _, a := range acts {
		out[a.Name] = append(out[a.Name], a.Action)
	}
	return out
}

// TestEnsureCreatesAndGrants: a dry run creates nothing; apply creates every
// field through the Tooling API and grants them through the permission
// set, after which they are visible and editable; a second run finds them.
func TestEnsureCreatesAndGrants(t *testing.T) {
	s := newFake(t, sf.Options{})
	c := connect(t, s, map[string]any{"permission_set": "RFM_Sync"})
	acts, err := c.EnsureFields(context.Background(), specs(rfmFields()), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.CustomFields()) != 0 || actions(acts)["RFM_R__c"][0] != connector.ActionCreate {
		t.Fatalf("dry run: %v, fields %v", acts, s.CustomFields())
	}
	if _, err := c.EnsureFields(context.Background(), specs(rfmFields()), true); err != nil {
		t.Fatal(err)
	}
	for _, name := range rfmFields() {
		if read, edit := s.FieldVisible(sf.Account, name); !read || !edit {
			t.Errorf("%s: read %t edit %t", name, read, edit)
		}
	}
	acts, err = c.EnsureFields(context.Background(), specs(rfmFields()), true)
	if err != nil {
		t.Fatal(err)
	}
	for name, kinds := range actions(acts) {
		if len(kinds) != 1 || kinds[0] != connector.ActionExists {
			t.Errorf("%s: %v on the second run", name, kinds)
		}
	}
}

// TestEnsureReportsWrongTypeAndGrants: a field of another type is reported,
// never changed; without permission_set the admin reads what to grant.
func TestEnsureReportsWrongTypeAndGrants(t *testing.T) {
	s := newFake(t, sf.Options{})
	s.SeedField(sf.Account, sf.FieldSpec{Name: "RFM_R__c", Label: "RFM R", Type: "Text", Length: 10})
	s.SeedField(sf.Account, sf.FieldSpec{Name: "RFM_F__c", Label: "RFM F", Type: "Number", Precision: 18, Hidden: true})
	c := connect(t, s, nil)
	acts, err := c.EnsureFields(context.Background(), specs(rfmFields()), true)
	if err != nil {
		t.Fatal(err)
	}
	got := actions(acts)
	if got["RFM_R__c"][0] != connector.ActionWrongType {
		t.Errorf("RFM_R__c: %v", got["RFM_R__c"])
	}
	if len(got["RFM_F__c"]) != 1 || got["RFM_F__c"][0] != connector.ActionGrantAccess {
		t.Errorf("hidden RFM_F__c: %v", got["RFM_F__c"])
	}
	for _, a := range acts {
		if a.Action == connector.ActionGrantAccess && !strings.Contains(a.Detail, "Account."+a.Name) {
			t.Errorf("grant detail does not say what: %q", a.Detail)
		}
	}
	if _, edit := s.FieldVisible(sf.Account, "RFM_R__c"); !edit {
		t.Error("the wrong-typed field was changed")
	}
}
