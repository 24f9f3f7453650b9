package clv

import (
	"fmt"
	"math"
)

// Model is a fitted pair of models and the unit they were fitted in.
type Model struct {
	Unit       Unit       `json:"unit"`
	BGNBD      BGNBD      `json:"bgnbd"`
	GammaGamma GammaGamma `json:"gamma_gamma"`
}

// Fit is the outcome of fitting both models to one set of customers.
type Fit struct {
	Model Model
	// Customers is how many customers the BG/NBD model saw, Repeat how many
	// the Gamma-Gamma model saw (repeat buyers with a positive mean).
	Customers, Repeat int
	// LogLikelihood is the BG/NBD total, SpendLogLikelihood the Gamma-Gamma one.
	LogLikelihood, SpendLogLikelihood float64
	// Warnings name parameters that ran to a boundary: a maximum, but one
	// that says the data lack what the parameter describes (e.g. a → 0: no
	// customer seems to drop out, so P(alive) is 1 for everyone).
	Warnings []string
}

// boundary is how far from 1 a parameter may run before the fit says so.
const boundary = 1e4

func boundaryWarnings(names []string, values []float64) []string {
	var out []string
	for i, v := range values {
		if v < 1/boundary || v > boundary {
			out = append(out, fmt.Sprintf("%s = %.3g ran to a boundary", names[i], v))
		}
	}
	return out
}

// FitModel fits BG/NBD to every customer and Gamma-Gamma to the repeat
// buyers. An error (no data, no convergence) leaves nothing to use: the
// caller keeps the model it had.
func FitModel(cs []Customer, unit Unit) (Fit, error) {
	bg, ll, err := FitBGNBD(cs)
	if err != nil {
		return Fit{}, fmt.Errorf("bg/nbd: %w", err)
	}
	spend := SpendCustomers(cs)
	gg, sll, err := FitGammaGamma(spend)
	if err != nil {
		return Fit{}, fmt.Errorf("gamma-gamma on %d repeat customers: %w", len(spend), err)
	}
	warn := boundaryWarnings([]string{"r", "alpha", "a", "b"}, []float64{bg.R, bg.Alpha, bg.A, bg.B})
	warn = append(warn, boundaryWarnings([]string{"p", "q", "gamma"}, []float64{gg.P, gg.Q, gg.Gamma})...)
	return Fit{
		Model:         Model{Unit: unit, BGNBD: bg, GammaGamma: gg},
		Customers:     len(cs),
		Repeat:        len(spend),
		LogLikelihood: ll, SpendLogLikelihood: sll,
		Warnings: warn,
	}, nil
}

// Prediction is what the model says of one customer over a horizon.
type Prediction struct {
	PAlive float64
	// ExpectedOrders is the expected number of purchase occasions.
	ExpectedOrders float64
	// PredictedValue is ExpectedOrders times the expected value per
	// occasion; one-time buyers are valued at the population's mean spend.
	PredictedValue float64
}

// Predict applies the model to a customer summarised in the model's unit,
// over the next horizonDays contract days.
func (m Model) Predict(c Customer, horizonDays float64) Prediction {
	n := m.BGNBD.ExpectedPurchases(c, horizonDays/m.Unit.Days())
	spend := m.GammaGamma.ExpectedSpend(c)
	v := n * spend
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return Prediction{PAlive: m.BGNBD.PAlive(c), ExpectedOrders: n, PredictedValue: v}
}
