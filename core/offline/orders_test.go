package offline

import (
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

func TestEachOrder(t *testing.T) {
	in := "\ufefforder_id,customer_id,closed_at,usd,status\n" +
		"1, a ,2024-01-01,10.5,won\n" +
		"2,a,2024-01-02,-3,WON\n" +
		"3,b,2024-01-03,5,lost\n" +
		"4,,2024-01-03,5,won\n" +
		"5,c,yesterday,5,won\n" +
		"6,c,2024-01-03,1e3,won\n" +
		"7,c\n"
	cols := DefaultColumns
	cols.Amount = "usd"
	var got []rfm.Order
	res, err := EachOrder(strings.NewReader(in), cols, func(o rfm.Order) { got = append(got, o) })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].CustomerID != "a" || got[0].Amount.String() != "10.500000" || got[1].Amount.Sign() >= 0 {
		t.Errorf("orders %+v", got)
	}
	want := map[rfm.Skip]int{rfm.SkipNotWon: 1, rfm.SkipNoCustomer: 1, rfm.SkipBadClosedAt: 1, rfm.SkipBadAmount: 1, SkipMalformed: 1}
	if res.Rows != 7 || res.Qualifying != 2 || SkipReport(res.Skipped) != SkipReport(want) {
		t.Errorf("rows %d, qualifying %d, skipped %s", res.Rows, res.Qualifying, SkipReport(res.Skipped))
	}
	if _, err := EachOrder(strings.NewReader("order_id,customer_id\n"), cols, func(rfm.Order) {}); err == nil || !strings.Contains(err.Error(), "closed_at") {
		t.Errorf("missing column: %v", err)
	}
}
