package clv

import (
	"math"
	"math/rand/v2"

	"github.com/rfmsync/rfmsync/core/rfm"

	"gonum.org/v1/gonum/stat/distuv"
)

// simulated is a customer drawn from the models, with what a fit cannot see.
type simulated struct {
	Customer
	alive bool // still alive at T
}

// simulate draws n customers from BG/NBD and Gamma-Gamma with the given
// parameters: each observed for T ~ U[minT, maxT] units after a first
// purchase at 0, then for a holdout of the given length.
func simulate(n int, bg BGNBD, gg GammaGamma, minT, maxT, holdout float64, seed uint64) []simulated {
	src := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rates := distuv.Gamma{Alpha: bg.R, Beta: bg.Alpha, Src: src}
	drops := distuv.Beta{Alpha: bg.A, Beta: bg.B, Src: src}
	scales := distuv.Gamma{Alpha: gg.Q, Beta: gg.Gamma, Src: src}
	out := make([]simulated, n)
	for i := range out {
		lambda, p, nu := rates.Rand(), drops.Rand(), scales.Rand()
		spend := distuv.Gamma{Alpha: gg.P, Beta: nu, Src: src}
		T := minT + (maxT-minT)*src.Float64()
		c := Customer{T: T}
		var total float64
		// Purchases arrive at rate λ; after each repeat purchase the customer
		// drops out with probability p (the first purchase never ends it).
		tm, dead, aliveAtT := 0.0, false, true
		for !dead {
			tm += src.ExpFloat64() / lambda
			if tm > T+holdout {
				break
			}
			if tm <= T {
				c.X++
				c.Tx = tm
				total += spend.Rand()
			} else {
				c.HoldoutX++
			}
			if src.Float64() < p {
				dead = true
				aliveAtT = tm > T
			}
		}
		out[i].alive = aliveAtT
		if c.X > 0 {
			c.RepeatValue = moneyOf(total)
		}
		out[i].Customer = c
	}
	return out
}

func customersOf(s []simulated) []Customer {
	out := make([]Customer, len(s))
	for i := range s {
		out[i] = s[i].Customer
	}
	return out
}

// moneyOf rounds a simulated amount to the contract's micro-units.
func moneyOf(v float64) rfm.Money {
	return rfm.MoneyFromMicros(int64(math.Round(v * 1e6)))
}
