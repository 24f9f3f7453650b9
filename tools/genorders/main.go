// Command genorders writes a synthetic order CSV for benchmarks:
//
//	go run ./tools/genorders -orders 2000000 -customers 200000 > orders.csv
package main

import (
	"flag"
	"log"
	"os"
	"time"

	"github.com/rfmsync/rfmsync/internal/synth"
)

func main() {
	s := synth.Spec{End: time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), Years: 3}
	flag.IntVar(&s.Orders, "orders", 2_000_000, "number of orders")
	flag.IntVar(&s.Customers, "customers", 200_000, "number of customers")
	flag.Uint64Var(&s.Seed, "seed", 1, "random seed")
	flag.Parse()
	if err := synth.WriteCSV(os.Stdout, s); err != nil {
		log.Fatal(err)
	}
}
