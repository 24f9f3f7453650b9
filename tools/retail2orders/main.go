// Command retail2orders turns the UCI Online Retail line items into the
// order CSV that `rfmsync score` reads: one row per invoice with a customer,
// amount = Σ quantity × unit price (negative for cancellations, which become
// refunds), status "won".
//
//	zcat online_retail.csv.gz | go run ./tools/retail2orders [-customers N] > orders.csv
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"strings"

	"github.com/rfmsync/rfmsync/core/rfm"
)

type invoice struct {
	id, customer, date string
	amount             rfm.Money
}

func main() {
	limit := flag.Int("customers", 0, "keep only the first N customer ids in byte order (0 = all)")
	flag.Parse()
	if err := run(os.Stdin, os.Stdout, *limit); err != nil {
		log.Fatal(err)
	}
}

func run(in io.Reader, out io.Writer, limit int) error {
	r := csv.NewReader(in)
	if _, err := r.Read(); err != nil {
		return fmt.Errorf("read header: %w", err)
	}
	byID := map[string]*invoice{}
	var order []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		// InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country
		if rec[6] == "" {
			continue
		}
		qty, err1 := rfm.ParseAmount(rec[3])
		price, err2 := rfm.ParseAmount(rec[5])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("invoice %s: bad quantity or price", rec[0])
		}
		q, _ := qty.Micros()
		line := price.MulInt(q / 1_000_000)
		inv := byID[rec[0]]
		if inv == nil {
			inv = &invoice{id: rec[0], customer: rec[6], date: strings.Replace(rec[4], " ", "T", 1) + "Z"}
			byID[rec[0]] = inv
			order = append(order, rec[0])
		}
		inv.amount = inv.amount.Add(line)
	}
	keep := map[string]bool{}
	if limit > 0 {
		var ids []string
		for _, inv := range byID {
			ids = append(ids, inv.customer)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for _, id := range ids[:min(limit, len(ids))] {
			keep[id] = true
		}
	}
	w := csv.NewWriter(out)
	_ = w.Write([]string{"order_id", "customer_id", "closed_at", "amount", "status"})
	for _, id := range order {
		inv := byID[id]
		if limit > 0 && !keep[inv.customer] {
			continue
		}
		_ = w.Write([]string{inv.id, inv.customer, inv.date, inv.amount.Round2(), "won"})
	}
	w.Flush()
	return w.Error()
}
