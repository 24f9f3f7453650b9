package status

import (
	_ "embed"
	"fmt"
	"html/template"
	"math"

	"github.com/rfmsync/rfmsync/core/insight"
	"github.com/rfmsync/rfmsync/core/lift"
	"github.com/rfmsync/rfmsync/core/predict"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

//go:embed predict_page.html
var predictHTML string

// The predictive section is its own template in the page's set, so the
// page itself only names it.
var _ = template.Must(page.New("predict").Funcs(template.FuncMap{
	"value": func(f float64) string { return insight.FormatCount(int64(math.Round(f))) },
	"div":   func(a, b float64) float64 { return a / b },
}).Parse(predictHTML))

// predictView is the predictive section: predicted value per segment, the
// P(alive) distribution and the lift table of the last scored run.
type predictView struct {
	R *syncloop.PredictReport
	// Segments are in the page's segment order, with their colour.
	Segments  []predictSeg
	Total     float64
	PAliveSVG template.HTML
	Lift      *predict.LiftResult
	Rows      []liftRow
}

type predictSeg struct {
	segRow
	Value       float64
	PerCustomer float64
}

type liftRow struct {
	lift.Row
	Label string
}

// buildPredict returns the section for rep, nil when the run had neither
// predictions nor a holdout.
func buildPredict(rep *syncloop.Report, rows []segRow) *predictView {
	pr := rep.Predict
	if pr == nil {
		return nil
	}
	v := &predictView{R: pr, Lift: pr.Lift}
	labels := map[string]string{}
	for _, r := range rows {
		labels[r.ID] = r.Label
		if val, ok := pr.ValueBySegment[r.ID]; ok {
			s := predictSeg{segRow: r, Value: val}
			if r.Customers > 0 {
				s.PerCustomer = val / float64(r.Customers)
			}
			v.Segments = append(v.Segments, s)
			v.Total += val
		}
	}
	if len(pr.PAliveDist) > 0 {
		h := insight.Histogram{Unit: "P(alive)"}
		for i, n := range pr.PAliveDist {
			h.Buckets = append(h.Buckets, insight.Bucket{Lo: int64(i * 10), Hi: int64(i*10 + 9),
				Label: fmt.Sprintf("%.1f–%.1f", float64(i)/10, float64(i+1)/10), Count: n})
		}
		v.PAliveSVG = histogramSVG(h, "palive", "probability the customer is still active", false)
	}
	if pr.Lift != nil {
		for _, r := range pr.Lift.Rows {
			l := labels[r.Segment]
			if l == "" {
				l = r.Segment
			}
			v.Rows = append(v.Rows, liftRow{Row: r, Label: l})
		}
	}
	return v
}
