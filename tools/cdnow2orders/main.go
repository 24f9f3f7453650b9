// Command cdnow2orders turns the CDNOW transaction files of Fader, Hardie
// and Lee into the order CSV that `rfmsync score` and `rfmsync fit` read:
// one row per transaction, customer_id = the master file's customer id,
// closed_at = the day, amount = the dollar value, status "won".
//
// It reads both layouts: the sample (master id, sample id, date, CDs, value)
// and the master file (id, date, CDs, value, after a header line), told
// apart by the field count.
//
//	go run ./tools/cdnow2orders < CDNOW_sample.txt > cdnow_sample.csv
//	zcat CDNOW_master.txt.gz | go run ./tools/cdnow2orders > cdnow_master.csv
package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"

	"github.com/rfmsync/rfmsync/core/rfm"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	w := csv.NewWriter(out)
	if err := w.Write([]string{"order_id", "customer_id", "closed_at", "amount", "status"}); err != nil {
		return err
	}
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		// The master file opens with a header line; the sample has none.
		if len(f) == 0 || (line == 1 && f[0] == "customer_id") {
			continue
		}
		var id, date, value string
		switch len(f) {
		case 5:
			id, date, value = f[0], f[2], f[4]
		case 4:
			id, date, value = f[0], f[1], f[3]
		default:
			return fmt.Errorf("line %d: %d fields, want 4 (master) or 5 (sample)", line, len(f))
		}
		if len(date) != 8 {
			return fmt.Errorf("line %d: date %q is not YYYYMMDD", line, date)
		}
		day := date[0:4] + "-" + date[4:6] + "-" + date[6:8]
		if _, err := rfm.ParseInstant(day); err != nil {
			return fmt.Errorf("line %d: date %q: %v", line, date, err)
		}
		if _, err := rfm.ParseAmount(value); err != nil {
			return fmt.Errorf("line %d: value %q: %v", line, value, err)
		}
		if err := w.Write([]string{id + "-" + strconv.Itoa(line), id, day, value, "won"}); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	w.Flush()
	return w.Error()
}
