package outputs

import (
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

func TestPredictionOutputsAreFieldSpecs(t *testing.T) {
	fields := Single(map[string]string{
		PAlive: "rfm_p_alive", ExpectedOrders: "rfm_expected_orders",
		PredictedValue: "rfm_predicted_value", Holdout: "rfm_holdout", Segment: "rfm_segment",
	})
	specs := Specs(fields, rfm.DefaultParams(), 730, Inactive{ID: "inactive", Label: "Inactive"})
	by := map[string]FieldSpec{}
	for _, s := range specs {
		by[s.Output] = s
	}
	want := map[string]struct {
		kind     Kind
		decimals int
	}{PAlive: {Number, 2}, ExpectedOrders: {Number, 1}, PredictedValue: {Number, 2}, Holdout: {Enum, 0}}
	for o, w := range want {
		s, ok := by[o]
		if !ok {
			t.Fatalf("no spec for %s: %+v", o, specs)
		}
		if s.Kind != w.kind || s.Decimals != w.decimals || s.Label == "" || s.Description == "" {
			t.Errorf("%s: %+v, want kind %s with %d decimals, a label and a description", o, s, w.kind, w.decimals)
		}
	}
	h := by[Holdout].Options
	if len(h) != 2 || h[0].Value != HoldoutHeld || h[1].Value != HoldoutTreated {
		t.Errorf("holdout options = %+v, want holdout and treated only", h)
	}
	if len(by[Segment].Options) < 3 {
		t.Errorf("segment options lost: %+v", by[Segment].Options)
	}
	if KindOf(PAlive) != Number || KindOf(Holdout) != Enum {
		t.Errorf("kinds: %s %s", KindOf(PAlive), KindOf(Holdout))
	}
}
