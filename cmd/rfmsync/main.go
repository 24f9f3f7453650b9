// Command rfmsync computes RFM scores and segments and keeps them in step
// with a CRM. See README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	// Every connector registers itself; main never names one.
	_ "github.com/rfmsync/rfmsync/connectors/all"
	"github.com/rfmsync/rfmsync/core/crmerr"

	// Embedded zone data: the cron time zone resolves even on a minimal image.
	_ "time/tzdata"
)

// Exit codes: 2 is reserved for bad usage and bad config, so a cron wrapper
// can tell "fix the config" from "the run failed".
// 3 says the CRM refused the login and rfmsync will not log in again until
// the credentials in the config change (five failed vtenext logins lock
// the user out), so a cron wrapper can page someone instead of retrying.
const (
	exitOK           = 0
	exitFailed       = 1
	exitUsage        = 2
	exitLoginBlocked = 3
)

// usageError marks errors that are the caller's to fix (flags, config).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// command is one subcommand.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "rfmsync: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return exitUsage
	}
	err := cmd.run(args[1:], stdout, stderr)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	fmt.Fprintf(stderr, "rfmsync %s: %v\n", args[0], err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	if errors.Is(err, crmerr.ErrLoginBlocked) {
		return exitLoginBlocked
	}
	return exitFailed
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "rfmsync computes RFM scores and segments and writes them back to a CRM.")
	fmt.Fprintln(w, "\nUsage: rfmsync <command> [flags]   (rfmsync <command> --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
}

// newFlags makes a flag set whose --help prints the command's usage to stdout.
func newFlags(name, usage string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: rfmsync %s %s\n\nFlags:\n", name, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(stderr)
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}
