package offline

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// trickyCSV are inputs where a byte splitter is easy to get wrong.
var trickyCSV = []string{
	"",
	"\n",
	"\r\n",
	"\r",
	"a",
	"a\r",
	"a\r\r\n",
	"a,b\r\nc,d",
	"a,b\n\n\r\n\nc,d\n",
	"a\rb,c\n",
	`"a,b",c` + "\n",
	`"a""b",c`,
	`"a` + "\n" + `b",c` + "\n",
	`"a` + "\r\n" + `b",c` + "\r\n",
	`"a"b,c` + "\n" + `d",e` + "\n",
	`a"b,c"d` + "\n",
	`"abc"` + "\r",
	`"abc"` + "\r" + "x\n",
	`"abc` + "\n\n\n",
	`"open to the end` + "\nno,close",
	`x,""` + "\n" + `"",y`,
	`,,,` + "\n" + `"",,""` + "\n",
	`"a",` + "\n" + `b`,
	`"a"` + "\n" + `"b"`,
	`""""` + "\n",
	`" "" ",x` + "\n",
	`a,"b` + "\r\n\r\n" + `c"` + "\r\n" + "d\r\n",
	"\ufeff" + `"h1",h2` + "\n1,2\n",
	`"a"  ,b` + "\n",
}

// csvRecords is what encoding/csv, set up as the pass always read, returns.
func csvRecords(t *testing.T, data []byte) [][]string {
	t.Helper()
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var out [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("csv: %v on %q", err, data)
		}
		out = append(out, rec)
	}
}

// splitRecords runs the pass's framing and splitting over data, cut into
// chunks of about readSize bytes, and returns every record's fields.
func splitRecords(t *testing.T, data []byte, readSize int) [][]string {
	t.Helper()
	in := &input{r: &trickleReader{data: data}, buf: make([]byte, 0, readSize), readSize: readSize}
	free := make(chan []byte, 8)
	for range 4 {
		free <- make([]byte, 0, readSize)
	}
	q := newQuotedReader()
	sink := &collectSink{fields: make([]string, 1000)}
	err := in.chunks(free, func(c *chunk) {
		forEachRecord(c.data, q, sink)
		free <- c.buf[:0]
	})
	if err != nil {
		t.Fatal(err)
	}
	return sink.out
}

// collectSink keeps a copy of every record, lines split on every comma.
type collectSink struct {
	fields []string
	out    [][]string
}

func (s *collectSink) line(b []byte) {
	n, _, _ := splitFields(b, s.fields)
	s.record(s.fields[:n])
}

func (s *collectSink) record(f []string) {
	rec := make([]string, len(f))
	for i := range f {
		rec[i] = strings.Clone(f[i]) // f may alias the buffer, reused next
	}
	s.out = append(s.out, rec)
}

// trickleReader returns a few bytes per Read, as a pipe may.
type trickleReader struct {
	data []byte
	n    int
}

func (r *trickleReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.n++
	k := min(len(p), len(r.data), 1+r.n%7)
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

func TestSplitterMatchesEncodingCSV(t *testing.T) {
	inputs := slices.Clone(trickyCSV)
	rng := rand.New(rand.NewPCG(7, 11))
	for range 3000 {
		inputs = append(inputs, randomCSV(rng, 1+rng.IntN(12)))
	}
	for _, s := range inputs {
		want := csvRecords(t, []byte(s))
		for _, size := range []int{1, 3, 16, 1 << 10} {
			if got := splitRecords(t, []byte(s), size); !reflect.DeepEqual(got, want) {
				t.Fatalf("read size %d, input %q:\n got  %q\n want %q", size, s, got, want)
			}
		}
	}
}

// randomCSV builds rows from pieces that stress quoting and line ends.
func randomCSV(rng *rand.Rand, rows int) string {
	pieces := []string{"a", "won", " c1 ", "", ",", `"`, `""`, "\n", "\r\n", "\r", " ", "2024-12-01", "-5.5", "x\"y"}
	var b strings.Builder
	for range rows {
		for f := range 1 + rng.IntN(6) {
			if f > 0 {
				b.WriteByte(',')
			}
			quoted := rng.IntN(3) == 0
			if quoted {
				b.WriteByte('"')
			}
			for range rng.IntN(3) {
				p := pieces[rng.IntN(len(pieces))]
				if !quoted && (p == "\n" || p == "\r\n") {
					p = "z"
				}
				b.WriteString(p)
			}
			if quoted && rng.IntN(8) > 0 {
				b.WriteByte('"')
			}
		}
		switch rng.IntN(6) {
		case 0:
			b.WriteString("\r\n")
		case 1:
			b.WriteString("\n\n")
		default:
			b.WriteByte('\n')
		}
	}
	if rng.IntN(4) == 0 {
		s := strings.TrimRight(b.String(), "\n")
		if rng.IntN(2) == 0 {
			s += "\r"
		}
		return s
	}
	return b.String()
}

// referenceAggregate is the pass as it was before the byte splitter: every
// record through encoding/csv, one map of customers. The new pass must
// agree with it on every input.
func referenceAggregate(r io.Reader, cols Columns, w rfm.Window) (Result, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return Result{}, fmt.Errorf("read header: %w", err)
	}
	idx, err := columnIndex(header, cols)
	if err != nil {
		return Result{}, err
	}
	need := slices.Max(idx[:]) + 1
	res := Result{Skipped: map[rfm.Skip]int{}}
	aggs := map[string]*rfm.Aggregate{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var perr *csv.ParseError
		if err != nil && !errors.As(err, &perr) {
			return Result{}, err
		}
		res.Rows++
		if err != nil || len(rec) < need {
			res.Skipped[SkipMalformed]++
			continue
		}
		o, skip := rfm.ParseOrder(rfm.RawOrder{
			OrderID: rec[idx[0]], CustomerID: rec[idx[1]], ClosedAt: rec[idx[2]], Amount: rec[idx[3]], Status: rec[idx[4]],
		})
		if skip == rfm.SkipNone {
			skip = w.Place(o.ClosedAt)
		}
		if skip != rfm.SkipNone {
			res.Skipped[skip]++
			continue
		}
		res.Qualifying++
		a := aggs[o.CustomerID]
		if a == nil {
			a = &rfm.Aggregate{}
			aggs[o.CustomerID] = a
		}
		a.Add(o.ClosedAt, o.Amount)
	}
	res.Customers = []rfm.Customer{}
	for k, a := range aggs {
		res.Customers = append(res.Customers, rfm.Customer{Key: k, Agg: *a})
	}
	slices.SortFunc(res.Customers, func(a, b rfm.Customer) int { return strings.Compare(a.Key, b.Key) })
	return res, nil
}

// randomOrders writes an order book with quoted, padded, malformed and
// out-of-window rows among plain ones.
func randomOrders(rng *rand.Rand, rows int) string {
	var b strings.Builder
	b.WriteString("order_id,customer_id,closed_at,amount,status,note\r\n")
	custs := []string{"c1", " c1", "c2 ", `"c,3"`, `"c""4"`, `"c` + "\n" + `5"`, "", `""`, "C1", "c\u00a0"}
	dates := []string{"2024-12-01", "2024-06-30T10:00:00+02:00", "2023-01-01", "2025-02-01", "2024-13-01", `"2024-11-11"`}
	amounts := []string{"10.10", "-5", "0", "1e3", `"1,5"`, "99999999999999999999999999999999999999999.5", " 7 ", `"-0.0000005"`}
	statuses := []string{"won", " WON ", "lost", `"won"`, `won"x"`, "Won\r"}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	for i := range rows {
		switch rng.IntN(20) {
		case 0:
			b.WriteString("\n")
			continue
		case 1:
			fmt.Fprintf(&b, "%d,%s\n", i, pick(custs))
			continue
		case 2:
			fmt.Fprintf(&b, "%s\n", []string{"x", `"y"`, " ", `"a,b"`}[rng.IntN(4)]) // no customer field
			continue
		}
		fmt.Fprintf(&b, "%d,%s,%s,%s,%s", i, pick(custs), pick(dates), pick(amounts), pick(statuses))
		if rng.IntN(3) == 0 {
			b.WriteString(`,"a note, with ""quotes"""`)
		}
		if rng.IntN(5) == 0 {
			b.WriteString("\r\n")
		} else {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func TestAggregateMatchesEncodingCSVPass(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	w := window(t)
	inputs := []string{
		"order_id,customer_id,closed_at,amount,status\n",
		"\n\r\n\"order_id\",customer_id,closed_at,amount,\"st\natus\"\n1,c1,2024-12-01,5,won",
	}
	for range 60 {
		inputs = append(inputs, randomOrders(rng, 1+rng.IntN(400)))
	}
	cols := DefaultColumns
	for k, in := range inputs {
		if k == 1 {
			cols.Status = "st\natus"
		} else {
			cols.Status = DefaultColumns.Status
		}
		want, err := referenceAggregate(strings.NewReader(in), cols, w)
		if err != nil {
			t.Fatal(err)
		}
		if want.Rows == 0 && k > 0 {
			t.Fatalf("input %d: reference read no rows", k)
		}
		for _, workers := range []int{1, 2, 3} {
			for _, size := range []int{7, 256, chunkSize} {
				got, err := aggregate(&trickleReader{data: []byte(in)}, cols, w, workers, size)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("input %d, %d workers, read size %d:\n got  %+v\n want %+v\ninput %q", k, workers, size, got, want, in)
				}
			}
		}
	}
}
