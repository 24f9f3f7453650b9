package clv

import (
	"math"
	"testing"
	"time"
)

func TestRefitDue(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if !RefitDue(time.Time{}, t0, 0) {
		t.Error("never fitted: not due")
	}
	if RefitDue(t0, t0.Add(29*24*time.Hour), 0) || !RefitDue(t0, t0.Add(30*24*time.Hour), 0) {
		t.Error("default cadence is not 30 days")
	}
	if !RefitDue(t0, t0.Add(8*24*time.Hour), 7*24*time.Hour) {
		t.Error("weekly cadence not due after 8 days")
	}
}

func TestShiftAndRounding(t *testing.T) {
	prev := Model{BGNBD: BGNBD{R: 0.2, Alpha: 4, A: 0.8, B: 2}, GammaGamma: GammaGamma{P: 6, Q: 4, Gamma: 15}}
	next := prev
	next.BGNBD.Alpha = 5
	next.GammaGamma.Q = 3
	s := next.ShiftFrom(prev)
	if s.Alpha != 0.25 || s.Q != -0.25 || s.R != 0 || s.Max() != 0.25 {
		t.Errorf("shift %+v", s)
	}
	p := Prediction{PAlive: 0.73456, ExpectedOrders: 1.2549, PredictedValue: 30.5}.Rounded()
	if p != (Prediction{PAlive: 0.73, ExpectedOrders: 1.3, PredictedValue: 31}) {
		t.Errorf("rounded %+v", p)
	}
	if Moved(100, 104, 0.05) || !Moved(100, 106, 0.05) || Moved(0.2, 0.24, 0.05) || !Moved(0.2, 0.3, 0.05) {
		t.Error("Moved misjudges the tolerance")
	}
	if !math.IsInf(next.ShiftFrom(Model{}).R, 1) {
		t.Error("shift from a zero model is not infinite")
	}
}
