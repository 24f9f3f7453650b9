package clv

import (
	"slices"
	"testing"
)

func TestBySegmentAndHistogram(t *testing.T) {
	preds := []Prediction{
		{PAlive: 1, ExpectedOrders: 2, PredictedValue: 100},
		{PAlive: 0.05, ExpectedOrders: 0.1, PredictedValue: 1},
		{PAlive: 0.5, ExpectedOrders: 1, PredictedValue: 50},
		{PAlive: 0.25, ExpectedOrders: 0.5, PredictedValue: 20},
	}
	segs := []string{"champions", "lost", "champions", "at_risk"}
	got := BySegment(preds, func(i int) string { return segs[i] })
	want := []SegmentValue{
		{Segment: "champions", Customers: 2, Value: 150, Orders: 3, MeanPAlive: 0.75},
		{Segment: "at_risk", Customers: 1, Value: 20, Orders: 0.5, MeanPAlive: 0.25},
		{Segment: "lost", Customers: 1, Value: 1, Orders: 0.1, MeanPAlive: 0.05},
	}
	if !slices.Equal(got, want) {
		t.Errorf("by segment %+v, want %+v", got, want)
	}
	if h := PAliveHistogram(preds, 4); !slices.Equal(h, []int{1, 1, 1, 1}) {
		t.Errorf("histogram %v, want one per quarter (1 in the last)", h)
	}
}
