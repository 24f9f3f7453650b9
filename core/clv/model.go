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
	return Fit{
		Model:     Model{Unit: unit, BGNBD: bg, GammaGamma: gg},
		Customers: len(cs), Repeat: len(spend),
		LogLikelihood: ll, SpendLogLikelihood: sll,
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
