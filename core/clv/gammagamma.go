package clv

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// GammaGamma holds the Gamma-Gamma spend parameters: a purchase's value is
// Gamma(p, ν) for a customer, and ν is Gamma(q, γ) across customers.
type GammaGamma struct {
	P     float64 `json:"p"`
	Q     float64 `json:"q"`
	Gamma float64 `json:"gamma"`
}

// SpendCustomers keeps the customers the Gamma-Gamma model is fitted on:
// those with at least one repeat occasion and a positive mean repeat value
// (a mean of zero or less, left by refunds, has no likelihood).
func SpendCustomers(cs []Customer) []Customer {
	var out []Customer
	for _, c := range cs {
		if c.X > 0 && c.MeanRepeatValue() > 0 {
			out = append(out, c)
		}
	}
	return out
}

// ggData is the columnar form of the spend likelihood.
type ggData struct {
	x         []int32
	fx, lnx   []float64
	mean, lnm []float64
	groups    byCount
}

func newGGData(cs []Customer) ggData {
	n := len(cs)
	d := ggData{x: make([]int32, n), fx: make([]float64, n), lnx: make([]float64, n), mean: make([]float64, n), lnm: make([]float64, n)}
	for i, c := range cs {
		d.x[i] = int32(c.X)
		d.fx[i] = float64(c.X)
		d.lnx[i] = math.Log(d.fx[i])
		d.mean[i] = c.MeanRepeatValue()
		d.lnm[i] = math.Log(d.mean[i])
	}
	d.groups = groupCounts(d.x, nil)
	return d
}

// FitGammaGamma fits the spend model by maximum likelihood on the customers'
// mean repeat values; cs must come from SpendCustomers. It returns the
// parameters and the total log-likelihood.
func FitGammaGamma(cs []Customer) (GammaGamma, float64, error) {
	if len(cs) == 0 {
		return GammaGamma{}, 0, errNoCustomers
	}
	d := newGGData(cs)
	mean := 0.0
	for _, m := range d.mean {
		mean += m
	}
	mean /= float64(len(d.mean))
	// p and q start near one and γ on the scale of the spend, so the first
	// steps of the search stay where the likelihood is finite.
	p, err := maximise(d.meanLogLik, []float64{1, 1, mean})
	if err != nil {
		return GammaGamma{}, 0, err
	}
	m := GammaGamma{P: p[0], Q: p[1], Gamma: p[2]}
	return m, d.meanLogLik(p, make([]float64, 3)) * float64(len(cs)), nil
}

// meanLogLik is the mean log density of the mean spends (Fader, Hardie and
// Lee, "RFM and CLV", eq. 3 with x transactions) and its gradient in (p, q, γ).
func (d ggData) meanLogLik(par, grad []float64) float64 {
	p, q, g := par[0], par[1], par[2]
	n := float64(len(d.x))
	// Gamma-function terms per distinct x: ln Γ(px+q) − ln Γ(px) − ln Γ(q).
	var ll, dp, dq float64
	lgq, _ := math.Lgamma(q)
	psq := mathext.Digamma(q)
	for k, x := range d.groups.counts {
		w, fx := d.groups.n[k], float64(x)
		l1, _ := math.Lgamma(p*fx + q)
		l2, _ := math.Lgamma(p * fx)
		ll += w * (l1 - l2 - lgq)
		ps1, ps2 := mathext.Digamma(p*fx+q), mathext.Digamma(p*fx)
		dp += w * fx * (ps1 - ps2)
		dq += w * (ps1 - psq)
	}
	lng := math.Log(g)
	ll += n * q * lng
	dq += n * lng
	dg := n * q / g
	s := parallelSum(len(d.x), 4, func(lo, hi int, acc []float64) {
		var l, sp, sq, sg float64
		for i := lo; i < hi; i++ {
			fx, lnm := d.fx[i], d.lnm[i]
			den := g + fx*d.mean[i]
			lden := math.Log(den)
			// (px−1) ln m + px ln x − (px+q) ln(γ + x m)
			l += (p*fx-1)*lnm + p*fx*d.lnx[i] - (p*fx+q)*lden
			sp += fx * (lnm + d.lnx[i] - lden)
			sq -= lden
			sg -= (p*fx + q) / den
		}
		acc[0] += l
		acc[1] += sp
		acc[2] += sq
		acc[3] += sg
	})
	grad[0] = (dp + s[1]) / n
	grad[1] = (dq + s[2]) / n
	grad[2] = (dg + s[3]) / n
	return (ll + s[0]) / n
}

// PriorMeanSpend is the population's expected value per occasion, pγ/(q−1):
// what a one-time buyer is expected to spend, since there is no repeat
// purchase of its own to learn from. It is +Inf when q ≤ 1 (no finite mean).
func (m GammaGamma) PriorMeanSpend() float64 {
	if m.Q <= 1 {
		return math.Inf(1)
	}
	return m.P * m.Gamma / (m.Q - 1)
}

// ExpectedSpend is a customer's expected value per future occasion: the
// posterior mean (γ + x·m̄)p/(px + q − 1), which shrinks the customer's own
// mean repeat value m̄ toward the prior mean; one-time buyers get the prior
// mean. A negative m̄ (refunds exceeding purchases) counts as zero.
func (m GammaGamma) ExpectedSpend(c Customer) float64 {
	if c.X == 0 {
		return m.PriorMeanSpend()
	}
	fx := float64(c.X)
	mean := math.Max(c.MeanRepeatValue(), 0)
	return (m.Gamma + fx*mean) * m.P / (m.P*fx + m.Q - 1)
}
