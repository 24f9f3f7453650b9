package clv

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/optimize"
)

// ErrNotConverged says a fit stopped without reaching a maximum: the caller
// keeps the parameters it had.
var ErrNotConverged = errors.New("fit did not converge")

// gradientTolerance bounds the gradient (of the mean log-likelihood per
// customer, in log parameters) that counts as a maximum: far below what
// moves a parameter's fourth digit. The search itself aims 100 times lower.
const gradientTolerance = 1e-6

// objective is a mean log-likelihood per customer over log parameters: it
// returns the value and writes the gradient with respect to the parameters
// themselves (not their logs) into grad.
type objective func(params, grad []float64) float64

// maximise finds the parameters (all > 0) that maximise f, searching over
// their logarithms with BFGS so no bound is ever crossed.
func maximise(f objective, init []float64) ([]float64, error) {
	n := len(init)
	params := make([]float64, n)
	grad := make([]float64, n)
	// The optimiser asks for the value and the gradient of a point in two
	// calls; one pass computes both, so the last point is remembered.
	last := make([]float64, n)
	var lastV float64
	fresh := false
	eval := func(theta []float64, g []float64) float64 {
		if !fresh || !slices.Equal(theta, last) {
			for i, t := range theta {
				params[i] = math.Exp(t)
			}
			lastV = f(params, grad)
			copy(last, theta)
			fresh = true
		}
		if g != nil {
			for i := range g {
				// Chain rule for θ = ln p, negated: the optimiser minimises.
				g[i] = -grad[i] * params[i]
			}
		}
		if math.IsNaN(lastV) {
			return math.Inf(1)
		}
		return -lastV
	}
	theta := make([]float64, n)
	for i, p := range init {
		theta[i] = math.Log(p)
	}
	problem := optimize.Problem{
		Func: func(x []float64) float64 { return eval(x, nil) },
		Grad: func(g, x []float64) { eval(x, g) },
	}
	settings := &optimize.Settings{
		GradientThreshold: gradientTolerance / 100,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-14, Iterations: 50},
		MajorIterations:   2000,
	}
	res, err := optimize.Minimize(problem, theta, settings, &optimize.BFGS{})
	if res == nil {
		return nil, fmt.Errorf("%w: %v", ErrNotConverged, err)
	}
	g := make([]float64, n)
	eval(res.X, g)
	for _, v := range g {
		if math.IsNaN(v) || math.Abs(v) > gradientTolerance {
			return nil, fmt.Errorf("%w: %v after %d iterations, gradient %v", ErrNotConverged, res.Status, res.MajorIterations, g)
		}
	}
	out := make([]float64, n)
	for i, t := range res.X {
		out[i] = math.Exp(t)
		if out[i] == 0 || math.IsInf(out[i], 0) {
			return nil, fmt.Errorf("%w: parameter %d ran to %v", ErrNotConverged, i, out[i])
		}
	}
	return out, nil
}

// parallelSum splits [0, n) into one chunk per core, runs part on each and
// adds up the partial sums it returns (value first, then the gradient).
func parallelSum(n, width int, part func(lo, hi int, acc []float64)) []float64 {
	workers := runtime.GOMAXPROCS(0)
	if n < 20_000 {
		workers = 1
	}
	accs := make([][]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		accs[w] = make([]float64, width)
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			part(lo, hi, accs[w])
		}()
	}
	wg.Wait()
	total := make([]float64, width)
	for _, a := range accs {
		for i, v := range a {
			total[i] += v
		}
	}
	return total
}

// byCount groups customers by their repeat count so the gamma-function
// terms, which depend on parameters and the count only, are computed once
// per distinct count rather than once per customer.
type byCount struct {
	counts []int // distinct counts
	n      []float64
}

// groupCounts sums weights w (nil: 1 each) per count.
func groupCounts(xs []int32, w []float64) byCount {
	m := map[int32]float64{}
	for i, x := range xs {
		if w == nil {
			m[x]++
		} else {
			m[x] += w[i]
		}
	}
	// In count order: the likelihood sums over the groups, and a map's
	// order would make the same data fit to different last digits.
	var g byCount
	for _, x := range slices.Sorted(maps.Keys(m)) {
		g.counts = append(g.counts, int(x))
		g.n = append(g.n, m[x])
	}
	return g
}
