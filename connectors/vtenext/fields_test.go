package vtenext

import (
	"context"
	"testing"

	"github.com/rfmsync/rfmsync/connectors/vtenext/vtenexttest"
	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

func TestEnsureFieldsByHand(t *testing.T) {
	s, url := newFake(t, vtenexttest.Options{})
	r := s.AddField(vtenexttest.Accounts, vtenexttest.FieldSpec{Label: "RFM R score", Type: vtenexttest.TypeDouble})
	seg := s.AddField(vtenexttest.Accounts, vtenexttest.FieldSpec{Label: "RFM segment", Type: vtenexttest.TypePicklist, Values: []string{"Champions"}})
	code := s.AddField(vtenexttest.Accounts, vtenexttest.FieldSpec{Label: "RFM code", Type: vtenexttest.TypeDouble})
	found := s.AddField(vtenexttest.Accounts, vtenexttest.FieldSpec{Label: "RFM M score", Type: vtenexttest.TypeDouble})
	fm := outputs.FieldMap{outputs.R: outputs.Named(r), outputs.Segment: outputs.Named(seg), outputs.RFM: outputs.Named(code),
		outputs.M: outputs.Named("cf_k3p_9999"), outputs.F: outputs.Named("cf_k3p_9998"),
		outputs.Monetary: {ByType: map[string]string{"Contacts": "cf_x_1"}}}
	specs := syncloop.FieldSpecs(fm, rfm.DefaultParams(), 730, syncloop.Inactive{})
	c := build(t, options(t, s, url, nil), specs)
	if _, err := c.EnsureFields(context.Background(), specs, true); err == nil {
		t.Error("ensure with fields missing must fail: the admin has work to do")
	}
	acts, err := c.EnsureFields(context.Background(), specs, false)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]connector.FieldAction{}
	for _, a := range acts {
		by[a.Name] = a
	}
	if len(acts) != 5 {
		t.Errorf("%d actions (monetary is not written on Accounts): %+v", len(acts), acts)
	}
	if by[r].Action != connector.ActionExists {
		t.Errorf("r: %+v", by[r])
	}
	if a := by["cf_k3p_9999"]; a.Action != connector.ActionFoundAs || a.FoundAs != found {
		t.Errorf("m by label: %+v", a)
	}
	a := by["cf_k3p_9998"]
	if a.Action != connector.ActionCreateByHand || a.Manual == nil || a.Manual.Type != "Number" || a.Manual.Label != "RFM F score" ||
		a.Manual.Where != "Settings → Module Manager → Accounts → Layout Editor" {
		t.Errorf("f by hand: %+v %+v", a, a.Manual)
	}
	var segOptions int
	for _, sp := range specs {
		if sp.Output == outputs.Segment {
			segOptions = len(sp.Options)
		}
	}
	if a := by[seg]; a.Action != connector.ActionAddOptions || a.Manual == nil || len(a.Manual.Values) != segOptions-1 {
		t.Errorf("segment options: %+v", a)
	}
	if by[code].Action != connector.ActionWrongType {
		t.Errorf("code in a number field: %+v", by[code])
	}
	// Nothing was created: no web-service operation can.
	for _, call := range s.Calls() {
		if call.Route != "describe" && call.Route != "getchallenge" && call.Route != "login" {
			t.Errorf("fields ensure called %s", call.Route)
		}
	}
}
