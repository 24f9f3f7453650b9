package state

import (
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/clv"
)

func TestModelsVersionedAndKept(t *testing.T) {
	db, path := openTemp(t)
	if _, ok, err := db.CurrentModel(); ok || err != nil {
		t.Fatalf("empty state: ok=%v err=%v", ok, err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range KeepModels + 5 {
		r := ModelRecord{
			FittedAt: at.AddDate(0, i, 0), CalibrationEnd: asof,
			Model:     clv.Model{Unit: clv.Week, BGNBD: clv.BGNBD{R: 0.2 + float64(i), Alpha: 4, A: 0.8, B: 2.4}, GammaGamma: clv.GammaGamma{P: 6, Q: 3.7, Gamma: 15}},
			Customers: 100 + i, LogLikelihood: -9582.43,
		}
		v, err := db.PutModel(r)
		if err != nil || v != uint64(i+1) {
			t.Fatalf("put %d: version %d, %v", i, v, err)
		}
	}
	// A restart reads the same parameters back.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cur, ok, err := db.CurrentModel()
	last := KeepModels + 4
	if err != nil || !ok || cur.Version != uint64(last+1) || cur.Model.BGNBD.R != 0.2+float64(last) ||
		!cur.FittedAt.Equal(at.AddDate(0, last, 0)) || cur.CalibrationEnd != asof || cur.Model.Unit != clv.Week {
		t.Fatalf("current %+v, %v, %v", cur, ok, err)
	}
	all, err := db.Models(1000)
	if err != nil || len(all) != KeepModels || all[0].Version != cur.Version || all[KeepModels-1].Version != 6 {
		t.Fatalf("kept %d versions (%v), want the last %d newest first", len(all), err, KeepModels)
	}
}
