// Package config loads, checks and compiles rfmsync's YAML configuration.
//
// Load runs entirely before anything touches state or a CRM: a file that
// loads is one the daemon can run with, and one that does not yields every
// problem at once, each as a line "config: <key>: <problem>" (see Error),
// on which the command exits 2.
//
// Layers, later ones winning: built-in defaults, the YAML file with ${NAME}
// references expanded, then RFMSYNC_ environment overrides. An override's
// name is the dotted key in upper case with a double underscore for each
// level, because keys contain single underscores (see EnvName):
//
//	RFMSYNC_RFM__WINDOW_DAYS=365      → rfm.window_days: 365
//	RFMSYNC_SCHEDULE__TIMEZONE=UTC    → schedule.timezone: UTC
//	RFMSYNC_RFM__RECENCY__CUTS="[30, 90, 180, 365]"
//
// Decoding is strict (koanf + mapstructure with ErrorUnused): an unknown key
// is an error naming its full dotted path. The crm section is the exception
// by design: each crm.<name> map belongs to the connector of that name, and
// the selected one is decoded by the connector registry's Decoder, which
// should use DecodeSection (same rules) and ReadSecret (for *_file keys).
// core/config never imports a connector.
//
// Money is never a float here: the YAML parser keeps a float scalar's text,
// so a monetary cut of 500.10 is parsed by rfm.ParseAmount exactly.
package config
