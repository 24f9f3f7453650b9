package clv

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// BGNBD holds the BG/NBD parameters: purchase rates while alive are
// Gamma(r, α) across customers (α in the fit's unit), and the drop-out
// probability after each purchase is Beta(a, b).
type BGNBD struct {
	R     float64 `json:"r"`
	Alpha float64 `json:"alpha"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
}

// bgData is the columnar form the likelihood walks: one row per distinct
// history (x, t_x, T) with the number of customers sharing it. Histories
// are measured in whole days, so customers share them often (every
// one-time buyer whose first day is the same), and the fit's passes walk
// fewer rows than there are customers.
type bgData struct {
	x     []int32
	tx, t []float64
	w     []float64
	// n is the number of customers, the sum of w.
	n      float64
	groups byCount
}

func newBGData(cs []Customer) bgData {
	type history struct {
		x     int32
		tx, t float64
	}
	d := bgData{n: float64(len(cs))}
	row := make(map[history]int32, len(cs)/4)
	for _, c := range cs {
		h := history{int32(c.X), c.Tx, c.T}
		if i, ok := row[h]; ok {
			d.w[i]++
			continue
		}
		row[h] = int32(len(d.x))
		d.x, d.tx, d.t, d.w = append(d.x, h.x), append(d.tx, h.tx), append(d.t, h.t), append(d.w, 1)
	}
	d.groups = groupCounts(d.x, d.w)
	return d
}

// errNoCustomers is returned by fits given nothing to fit.
var errNoCustomers = errors.New("no customers to fit")

// FitBGNBD fits the BG/NBD model by maximum likelihood and returns the
// parameters and the total log-likelihood at them.
func FitBGNBD(cs []Customer) (BGNBD, float64, error) {
	if len(cs) == 0 {
		return BGNBD{}, 0, errNoCustomers
	}
	d := newBGData(cs)
	meanT := 0.0
	for i, t := range d.t {
		meanT += d.w[i] * t
	}
	meanT /= d.n
	// α is on the scale of the observation time, the rest near one.
	p, err := maximise(d.meanLogLik, []float64{1, math.Max(meanT, 1e-3), 1, 1})
	if err != nil {
		return BGNBD{}, 0, err
	}
	m := BGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3]}
	return m, BGNBDLogLikelihood(m, cs), nil
}

// BGNBDLogLikelihood is the total log-likelihood of the customers under m.
func BGNBDLogLikelihood(m BGNBD, cs []Customer) float64 {
	d := newBGData(cs)
	return d.meanLogLik([]float64{m.R, m.Alpha, m.A, m.B}, make([]float64, 4)) * float64(len(cs))
}

// meanLogLik is the mean BG/NBD log-likelihood per customer (paper eq. 6)
// and its gradient with respect to (r, α, a, b).
func (d bgData) meanLogLik(p, grad []float64) float64 {
	r, alpha, a, b := p[0], p[1], p[2], p[3]
	n := d.n
	// Terms that depend on x only, summed over the groups:
	// ln Γ(r+x) − ln Γ(r) + r ln α + ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x).
	var ll, gr, ga, gaa, gb float64
	lgr, _ := math.Lgamma(r)
	lgb, _ := math.Lgamma(b)
	lgab, _ := math.Lgamma(a + b)
	psr, psb, psab := mathext.Digamma(r), mathext.Digamma(b), mathext.Digamma(a+b)
	maxX := 0
	for _, x := range d.groups.counts {
		maxX = max(maxX, x)
	}
	// c[x] = ln a − ln(b+x−1), the log weight of "dropped out after the last purchase".
	c := make([]float64, maxX+1)
	for k, x := range d.groups.counts {
		w := d.groups.n[k]
		fx := float64(x)
		l1, _ := math.Lgamma(r + fx)
		l2, _ := math.Lgamma(b + fx)
		l3, _ := math.Lgamma(a + b + fx)
		ll += w * (l1 - lgr + lgab + l2 - lgb - l3)
		gr += w * (mathext.Digamma(r+fx) - psr)
		psabx := mathext.Digamma(a + b + fx)
		gaa += w * (psab - psabx)
		gb += w * (psab + mathext.Digamma(b+fx) - psb - psabx)
		if x > 0 {
			c[x] = math.Log(a) - math.Log(b+fx-1)
		}
	}
	ll += n * r * math.Log(alpha)
	gr += n * math.Log(alpha)
	ga += n * r / alpha
	// Per customer: ln(e^A3 + [x>0] e^A4), A3 = −(r+x) ln(α+T),
	// A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x).
	s := parallelSum(len(d.x), 5, func(lo, hi int, acc []float64) {
		var l, dr, dal, da, db float64
		for i := lo; i < hi; i++ {
			x, w := d.x[i], d.w[i]
			rx := r + float64(x)
			lt := math.Log(alpha + d.t[i])
			a3 := -rx * lt
			if x == 0 {
				l += w * a3
				dr -= w * lt
				dal -= w * rx / (alpha + d.t[i])
				continue
			}
			ltx := math.Log(alpha + d.tx[i])
			a4 := c[x] - rx*ltx
			hi, lo := a3, a4
			if lo > hi {
				hi, lo = lo, hi
			}
			lse := hi + math.Log1p(math.Exp(lo-hi))
			w3, w4 := math.Exp(a3-lse), math.Exp(a4-lse)
			l += w * lse
			dr += w * (-w3*lt - w4*ltx)
			dal += w * (-w3*rx/(alpha+d.t[i]) - w4*rx/(alpha+d.tx[i]))
			da += w * w4 / a
			db -= w * w4 / (b + float64(x) - 1)
		}
		acc[0] += l
		acc[1] += dr
		acc[2] += dal
		acc[3] += da
		acc[4] += db
	})
	grad[0] = (gr + s[1]) / n
	grad[1] = (ga + s[2]) / n
	grad[2] = (gaa + s[3]) / n
	grad[3] = (gb + s[4]) / n
	return (ll + s[0]) / n
}

// PAlive is the probability that a customer with history (x, t_x, T) is
// still alive at T (paper eq. 13 of the technical note): a customer without
// a repeat purchase cannot have dropped out yet, so it is 1.
func (m BGNBD) PAlive(c Customer) float64 {
	if c.X == 0 {
		return 1
	}
	fx := float64(c.X)
	lnRatio := (m.R + fx) * (math.Log(m.Alpha+c.T) - math.Log(m.Alpha+c.Tx))
	return 1 / (1 + m.A/(m.B+fx-1)*math.Exp(lnRatio))
}

// ExpectedPurchases is the number of purchase occasions a customer with
// history (x, t_x, T) is expected to make in the next t units (paper eq. 10).
//
// Eq. 10 multiplies ((α+T)/(α+T+t))^(r+x), which underflows for a frequent
// buyer, by ₂F₁(r+x, b+x; a+b+x−1; z), which overflows. Euler's
// transformation ₂F₁(a,b;c;z) = (1−z)^(c−a−b) ₂F₁(c−a, c−b; c; z) folds the
// power into the function, leaving ₂F₁(a+b−1−r, a−1; a+b+x−1; z) whose
// numerator parameters stay small, so the product is finite for any x.
func (m BGNBD) ExpectedPurchases(c Customer, t float64) float64 {
	if t <= 0 {
		return 0
	}
	fx := float64(c.X)
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	z := t / (alpha + c.T + t)
	oneMinusZ := (alpha + c.T) / (alpha + c.T + t)
	hyp := mathext.Hypergeo(a+b-1-r, a-1, a+b+fx-1, z)
	head := (a + b + fx - 1) / (a - 1)
	tail := 1 - math.Pow(oneMinusZ, a-1)*hyp
	den := 1.0
	if c.X > 0 {
		den += a / (b + fx - 1) * math.Exp((r+fx)*(math.Log(alpha+c.T)-math.Log(alpha+c.Tx)))
	}
	return head * tail / den
}
