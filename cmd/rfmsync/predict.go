package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/rfmsync/rfmsync/core/clv"
	"github.com/rfmsync/rfmsync/core/offline"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// predictColumns are what `score --predict` appends to the scores CSV.
var predictColumns = []string{"p_alive", "expected_orders", "predicted_value"}

// predict fits the models to the window's orders, calibrated at the run's
// asof, and predicts every customer over the horizon. It reads the orders a
// second time: the scoring pass keeps aggregates, the models need each
// customer's purchase days.
func predict(in io.ReadSeeker, cols offline.Columns, w rfm.Window, horizonDays int) (map[string]clv.Prediction, clv.Fit, error) {
	if _, err := in.Seek(0, io.SeekStart); err != nil {
		return nil, clv.Fit{}, fmt.Errorf("re-read orders: %w", err)
	}
	book := clv.NewBook(clv.Periods{CalibrationEnd: w.AsOf, HoldoutEnd: w.AsOf, Unit: clv.Week})
	_, err := offline.EachOrder(in, cols, func(o rfm.Order) {
		// The same qualifying orders the scores see.
		if w.Place(o.ClosedAt) == rfm.SkipNone {
			book.Add(o)
		}
	})
	if err != nil {
		return nil, clv.Fit{}, err
	}
	cs := book.Customers()
	fit, err := clv.FitModel(cs, clv.Week)
	if err != nil {
		return nil, clv.Fit{}, fmt.Errorf("fit: %w", err)
	}
	out := make(map[string]clv.Prediction, len(cs))
	for _, c := range cs {
		out[c.Key] = fit.Model.Predict(c, float64(horizonDays))
	}
	return out, fit, nil
}

// writePredicted writes the scores CSV exactly as `score` does and appends
// the prediction columns to each row.
func writePredicted(out io.Writer, scores []rfm.Score, preds map[string]clv.Prediction) error {
	var buf bytes.Buffer
	if err := offline.WriteScores(&buf, scores); err != nil {
		return err
	}
	r := csv.NewReader(&buf)
	r.ReuseRecord = true
	cw := csv.NewWriter(out)
	header, err := r.Read()
	if err != nil {
		return err
	}
	if err := cw.Write(append(header, predictColumns...)); err != nil {
		return err
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		extra := []string{"", "", ""}
		if p, ok := preds[rec[0]]; ok {
			extra = []string{
				strconv.FormatFloat(p.PAlive, 'f', 4, 64),
				strconv.FormatFloat(p.ExpectedOrders, 'f', 3, 64),
				strconv.FormatFloat(p.PredictedValue, 'f', 2, 64),
			}
		}
		if err := cw.Write(append(rec, extra...)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
