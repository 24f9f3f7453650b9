package main

import (
	"flag"
	"io"
	"log/slog"
	"strings"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// newLogger logs text at info to w, with secrets redacted at the handler so
// no code path can leak a token into the log by accident.
func newLogger(w io.Writer) *slog.Logger {
	l, _ := buildLogger(w, config.DefaultLogFormat, config.DefaultLogLevel)
	return l
}

// buildLogger makes the redacting logger of a format and level.
func buildLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("log level %q is not one of %s", level, strings.Join(config.LogLevels, ", "))
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch format {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, usagef("log format %q is not one of %s", format, strings.Join(config.LogFormats, ", "))
	}
	return slog.New(crmhttp.NewRedactingHandler(h)), nil
}

// logFlags are --log-format and --log-level; set, they override the
// config's log section (and its RFMSYNC_LOG__* environment).
type logFlags struct{ format, level *string }

func addLogFlags(fs *flag.FlagSet) logFlags {
	return logFlags{
		format: fs.String("log-format", "", "log format: text or json (default: log.format of the config, text)"),
		level:  fs.String("log-level", "", "log level: debug, info, warn or error (default: log.level of the config, info); debug logs every CRM call with a request id"),
	}
}

// logger builds the logger for cfg (nil: defaults) and the flags.
func (f logFlags) logger(cfg *config.Config, w io.Writer) (*slog.Logger, error) {
	format, level := config.DefaultLogFormat, config.DefaultLogLevel
	if cfg != nil {
		format, level = cfg.Log.Format, cfg.Log.Level
	}
	if *f.format != "" {
		format = *f.format
	}
	if *f.level != "" {
		level = *f.level
	}
	return buildLogger(w, format, level)
}
