package main

import (
	"flag"
	"os"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// scoring is what the offline and sync paths need of the rfm config section.
type scoring struct {
	Params     rfm.Params
	WindowDays int
}

// loadConfig reads and validates a config file; every problem is a usage
// error (exit 2) raised before anything touches state or a CRM.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.LoadEnv(path, os.Environ())
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// configFlag registers --config on fs and returns the loader for it, which
// insists on the flag and validates the file.
func configFlag(fs *flag.FlagSet, usage string) func() (*config.Config, error) {
	path := fs.String("config", "", usage)
	return func() (*config.Config, error) {
		if *path == "" {
			return nil, usagef("--config is required")
		}
		return loadConfig(*path)
	}
}

// loadScoring reads the rfm section of a config file, or the defaults.
func loadScoring(path string) (scoring, error) {
	cfg := config.Default()
	if path != "" {
		var err error
		if cfg, err = config.LoadOfflineEnv(path, os.Environ()); err != nil {
			return scoring{}, usageError{err}
		}
	}
	return scoring{Params: cfg.Params(), WindowDays: cfg.RFM.WindowDays}, nil
}
