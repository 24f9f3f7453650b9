package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	usageFlag = regexp.MustCompile(`--([a-z][a-z-]*)`)
	listFlag  = regexp.MustCompile(`(?m)^  -([a-z][a-z-]*)`)
)

// TestEveryHelpShowsEveryFlag runs each command's --help: the usage line
// and the flag list must name the same flags, so neither falls behind.
func TestEveryHelpShowsEveryFlag(t *testing.T) {
	for name := range commands {
		args := []string{name, "--help"}
		if name == "fields" {
			args = []string{name, "ensure", "--help"}
		}
		code, out, stderr := runCLI(t, args...)
		if code != exitOK {
			t.Errorf("%s --help: exit %d %s", name, code, stderr)
			continue
		}
		usage, list, _ := strings.Cut(out, "\nFlags:\n")
		if !strings.HasPrefix(usage, "Usage: rfmsync "+name) {
			t.Errorf("%s --help has no usage line:\n%s", name, out)
		}
		var inUsage, inList []string
		for _, m := range usageFlag.FindAllStringSubmatch(usage, -1) {
			inUsage = append(inUsage, m[1])
		}
		for _, m := range listFlag.FindAllStringSubmatch(list, -1) {
			inList = append(inList, m[1])
		}
		slices.Sort(inUsage)
		slices.Sort(inList)
		if !slices.Equal(slices.Compact(inUsage), inList) {
			t.Errorf("%s: usage line names %v, flag list %v", name, inUsage, inList)
		}
	}
}
