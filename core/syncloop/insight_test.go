package syncloop_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/rfm"
)

func TestReportCarriesInsightWithCutsInForce(t *testing.T) {
	e := newEnv(t)
	e.opts.Params.F = rfm.Scale{Method: rfm.Threshold, Cuts: []rfm.Money{rfm.MoneyFromInt(100), rfm.MoneyFromInt(200), rfm.MoneyFromInt(300), rfm.MoneyFromInt(400)}}
	e.opts.Recalibrate = map[rfm.Metric]time.Duration{rfm.Frequency: 24 * time.Hour}
	rep, err := e.run(nil)
	if err != nil {
		t.Fatal(err)
	}
	in := rep.Insight
	if in == nil || in.Customers != rep.Scored || in.Customers != 6 {
		t.Fatalf("insight %+v for %d scored", in, rep.Scored)
	}
	// Customer i has i+1 orders of 100: 21 orders, 2,100 in all.
	if in.Revenue.Round2() != "2100.00" || in.Orders != 21 {
		t.Errorf("revenue %s over %d orders", in.Revenue, in.Orders)
	}
	f := in.Scales[1]
	if f.Recalibrated == nil || !f.Recalibrated.Equal(rep.AsOf.Time()) {
		t.Errorf("F recalibrated at %v, want the run's asof %s", f.Recalibrated, rep.AsOf)
	}
	// The cuts shown are the recalibrated ones the run scored with, not the stale config.
	if got := strings.Join(f.Cuts, ","); got == "100,200,300,400" || !strings.Contains(rep.Recalibrated[0], "["+strings.ReplaceAll(got, ",", ", ")+"]") {
		t.Errorf("F cuts %s; recalibration said %q", got, rep.Recalibrated)
	}
	sum := 0
	for _, c := range in.RF {
		sum += c.Count
	}
	if sum != rep.Scored {
		t.Errorf("heat map holds %d of %d", sum, rep.Scored)
	}
}
