package offline

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// FuzzAggregate feeds arbitrary CSV to the offline pass through its public
// entry point, so it holds whatever parser sits behind it: no panic, every
// data row either counts or is skipped with a reason, customers come out
// sorted and unique, and no customer has more purchases than rows counted.
func FuzzAggregate(f *testing.F) {
	sample, err := os.ReadFile("../../cmd/rfmsync/testdata/orders.csv")
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.SplitAfter(string(sample), "\n")
	f.Add(strings.Join(lines[:min(len(lines), 40)], ""))
	f.Add("\ufefforder_id,customer_id,closed_at,amount,status\n1, c1 ,2024-12-01,10.10,won\n2,c1,2024-12-02T10:00:00+02:00,20.20, WON \n")
	f.Add("order_id,customer_id,closed_at,amount,status\n\"1\",\"c\"\"1\",2024-12-01,-5,won\n3,c2\n4,c3,2024-12-03,7,won\"x\"\n")
	f.Add("status,amount,closed_at,customer_id,order_id\r\nwon,1,2024-01-01,a,1\r\n")
	f.Add("order_id,customer_id\n")
	f.Fuzz(func(t *testing.T, in string) {
		w := rfm.Window{AsOf: rfm.Instant(1_735_689_600_000_000), Days: 730} // 2025-01-01
		res, err := Aggregate(strings.NewReader(in), DefaultColumns, w)
		if err != nil {
			return // a missing column or an unreadable header
		}
		skipped := 0
		for _, n := range res.Skipped {
			skipped += n
		}
		if res.Qualifying+skipped != res.Rows {
			t.Fatalf("%d rows, but %d counted and %d skipped (%v)", res.Rows, res.Qualifying, skipped, res.Skipped)
		}
		if !slices.IsSortedFunc(res.Customers, func(a, b rfm.Customer) int { return strings.Compare(a.Key, b.Key) }) {
			t.Fatal("customers are not sorted by key")
		}
		var purchases int64
		for i, c := range res.Customers {
			if i > 0 && res.Customers[i-1].Key == c.Key {
				t.Fatalf("customer %q twice", c.Key)
			}
			purchases += c.Agg.Frequency
		}
		if purchases > int64(res.Qualifying) {
			t.Fatalf("%d purchases from %d qualifying rows", purchases, res.Qualifying)
		}
	})
}
