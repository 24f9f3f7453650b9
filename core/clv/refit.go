package clv

import (
	"math"
	"time"
)

// DefaultRefitEvery is the refit cadence when none is configured: monthly,
// so that predictions stay put between refits and move for a reason.
const DefaultRefitEvery = 30 * 24 * time.Hour

// RefitDue reports whether a model fitted at fittedAt (zero: never) should
// be refitted at now.
func RefitDue(fittedAt, now time.Time, every time.Duration) bool {
	if every <= 0 {
		every = DefaultRefitEvery
	}
	return fittedAt.IsZero() || !now.Before(fittedAt.Add(every))
}

// Shift is each parameter's relative change from the previous model, what
// a refit reports beside its log-likelihood.
type Shift struct {
	R, Alpha, A, B float64
	P, Q, Gamma    float64
}

// ShiftFrom returns m's parameters relative to prev's: (new − old) / old.
func (m Model) ShiftFrom(prev Model) Shift {
	rel := func(n, o float64) float64 {
		if o == 0 {
			return math.Inf(1)
		}
		return (n - o) / o
	}
	b, pb, g, pg := m.BGNBD, prev.BGNBD, m.GammaGamma, prev.GammaGamma
	return Shift{
		R: rel(b.R, pb.R), Alpha: rel(b.Alpha, pb.Alpha), A: rel(b.A, pb.A), B: rel(b.B, pb.B),
		P: rel(g.P, pg.P), Q: rel(g.Q, pg.Q), Gamma: rel(g.Gamma, pg.Gamma),
	}
}

// Max is the largest absolute relative change.
func (s Shift) Max() float64 {
	return max(math.Abs(s.R), math.Abs(s.Alpha), math.Abs(s.A), math.Abs(s.B),
		math.Abs(s.P), math.Abs(s.Q), math.Abs(s.Gamma))
}

// Rounded is the prediction as CRM fields carry it: P(alive) to 0.01,
// expected orders to 0.1, value to whole currency units. Coarse on purpose:
// a day's drift should not rewrite every record.
func (p Prediction) Rounded() Prediction {
	return Prediction{
		PAlive:         math.Round(p.PAlive*100) / 100,
		ExpectedOrders: math.Round(p.ExpectedOrders*10) / 10,
		PredictedValue: math.Round(p.PredictedValue),
	}
}

// Moved reports whether a published output should be rewritten: its new
// value differs from the old by more than tolerance, relative to the old
// value (absolute below 1, so values near zero do not flap).
func Moved(old, new, tolerance float64) bool {
	return math.Abs(new-old) > tolerance*math.Max(1, math.Abs(old))
}
