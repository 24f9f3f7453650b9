package main

import "github.com/rfmsync/rfmsync/core/rfm"

// scoring is what the offline and sync paths need of the rfm config section.
type scoring struct {
	Params     rfm.Params
	WindowDays int
}

// loadScoring reads the rfm section of a config file, or the defaults.
func loadScoring(path string) (scoring, error) {
	if path == "" {
		return scoring{Params: rfm.DefaultParams(), WindowDays: 730}, nil
	}
	return scoring{}, usagef("--config is not supported yet")
}
