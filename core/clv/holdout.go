package clv

import (
	"math"
	"strconv"
)

// TopFrequency is where the holdout table's last row starts: calibration
// frequencies 0…6 each get a row and 7 or more share one, as in the paper's
// figure of conditional expectations.
const TopFrequency = 7

// Holdout compares the BG/NBD model's conditional expectations for the
// holdout period with what the customers actually bought in it.
type Holdout struct {
	// Actual and Predicted are total repeat occasions in the holdout period.
	Actual    float64 `json:"actual"`
	Predicted float64 `json:"predicted"`
	// MAE is the mean absolute error per customer.
	MAE float64 `json:"mae_per_customer"`
	// TotalError is (Predicted − Actual) / Actual.
	TotalError  float64        `json:"total_error"`
	ByFrequency []FrequencyRow `json:"by_frequency"`
}

// FrequencyRow is one calibration frequency's customers and their mean
// holdout occasions, actual and predicted.
type FrequencyRow struct {
	Frequency string  `json:"frequency"`
	Customers int     `json:"customers"`
	Actual    float64 `json:"actual"`
	Predicted float64 `json:"predicted"`
}

// CompareHoldout predicts each customer's occasions over the holdout period
// of the given length (in the fit's unit) and sets them against HoldoutX.
func CompareHoldout(m BGNBD, cs []Customer, length float64) Holdout {
	var h Holdout
	rows := make([]FrequencyRow, TopFrequency+1)
	for i := range rows {
		rows[i].Frequency = strconv.Itoa(i)
	}
	rows[TopFrequency].Frequency += "+"
	absErr := 0.0
	for _, c := range cs {
		pred := m.ExpectedPurchases(c, length)
		act := float64(c.HoldoutX)
		h.Actual += act
		h.Predicted += pred
		absErr += math.Abs(pred - act)
		row := &rows[min(c.X, TopFrequency)]
		row.Customers++
		row.Actual += act
		row.Predicted += pred
	}
	for i := range rows {
		if n := float64(rows[i].Customers); n > 0 {
			rows[i].Actual /= n
			rows[i].Predicted /= n
		}
	}
	if len(cs) > 0 {
		h.MAE = absErr / float64(len(cs))
	}
	if h.Actual > 0 {
		h.TotalError = (h.Predicted - h.Actual) / h.Actual
	}
	h.ByFrequency = rows
	return h
}
