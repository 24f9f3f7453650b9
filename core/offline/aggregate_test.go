package offline

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

func window(t *testing.T) rfm.Window {
	t.Helper()
	asof, err := rfm.ParseInstant("2025-01-01T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	return rfm.Window{AsOf: asof, Days: 730}
}

func TestAggregateSkipsAndCounts(t *testing.T) {
	in := "\ufefforder_id,customer_id,closed_at,amount,status,amount_home\n" +
		"1, c1 ,2024-12-01,10.10,won,1\n" +
		"2,c1,2024-12-02T10:00:00+02:00,20.20, WON ,2\n" +
		"3,c2,2024-12-03,-5,won,3\n" +
		"4,,2024-12-03,5,won,4\n" +
		"5,c3,2024-13-03,5,won,5\n" +
		"6,c3,2024-12-03,5e2,won,6\n" +
		"7,c3,2024-12-03,5,lost,7\n" +
		"8,c3,2023-01-02,5,won,8\n" +
		"9,c3,2025-01-02,5,won,9\n" +
		"10,c4\n" +
		"11,c5\n" +
		"12,c6,2024-12-03,7,won\"x\",12\n"
	res, err := Aggregate(strings.NewReader(in), DefaultColumns, window(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[rfm.Skip]int{
		rfm.SkipNoCustomer: 1, rfm.SkipBadClosedAt: 1, rfm.SkipBadAmount: 1, rfm.SkipNotWon: 2,
		rfm.SkipBeforeWindow: 1, rfm.SkipAfterAsOf: 1, SkipMalformed: 2,
	}
	for k, n := range want {
		if res.Skipped[k] != n {
			t.Errorf("skipped[%s] = %d, want %d (all: %v)", k, res.Skipped[k], n, res.Skipped)
		}
	}
	if res.Rows != 12 || res.Qualifying != 3 {
		t.Errorf("rows %d qualifying %d, want 12 and 3", res.Rows, res.Qualifying)
	}
	if len(res.Customers) != 2 || res.Customers[0].Key != "c1" || res.Customers[1].Key != "c2" {
		t.Fatalf("customers = %+v", res.Customers)
	}
	if got := res.Customers[0].Agg.Monetary.String(); got != "30.300000" {
		t.Errorf("c1 monetary = %s, want 30.300000", got)
	}

	cols := DefaultColumns
	cols.Amount = "amount_home"
	res, err = Aggregate(strings.NewReader(in), cols, window(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Customers[0].Agg.Monetary.String(); got != "3.000000" {
		t.Errorf("c1 monetary from amount_home = %s, want 3.000000", got)
	}
}

func TestAggregateMissingColumn(t *testing.T) {
	_, err := Aggregate(strings.NewReader("order_id,customer_id,closed_at,status\n"), DefaultColumns, window(t))
	if err == nil || !strings.Contains(err.Error(), `"amount"`) {
		t.Fatalf("err = %v, want one naming the amount column", err)
	}
}

func TestWriteScoresSortedByteOrder(t *testing.T) {
	scores := []rfm.Score{
		{Key: "b", R: 1, F: 2, M: 3, Monetary: rfm.MoneyFromMicros(1_005_000), Segment: rfm.Segment{Label: "Can't Lose Them"}},
		{Key: "B", R: 5, F: 5, M: 5, Segment: rfm.Segment{Label: "Champions"}},
		{Key: "a,1", R: 1, F: 1, M: 1, Segment: rfm.Segment{Label: "Lost"}},
	}
	var buf bytes.Buffer
	if err := WriteScores(&buf, scores); err != nil {
		t.Fatal(err)
	}
	want := "customer_id,recency_days,frequency,monetary,r,f,m,rfm,segment\n" +
		"B,0,0,0.00,5,5,5,555,Champions\n" +
		"\"a,1\",0,0,0.00,1,1,1,111,Lost\n" +
		"b,0,0,1.01,1,2,3,123,Can't Lose Them\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
}
