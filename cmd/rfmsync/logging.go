package main

import (
	"io"
	"log/slog"

	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// newLogger logs text to w, with secrets redacted at the handler so no code
// path can leak a token into the log by accident.
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(crmhttp.NewRedactingHandler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})))
}
