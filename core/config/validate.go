package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// validate checks everything and compiles what the methods hand out. It
// runs before anything touches state or a CRM; explicit tells which keys
// the file (or environment) set, for rules that depend on presence.
func (c *Config) validate(explicit func(key string) bool, p *problems) {
	c.validateSchedule(p)
	c.validateState(p)
	validateListen(c.Listen, p)
	c.compileRFM(explicit, p)
	validateFields(c.Fields, c.CRM.Type, p)
	validateOps(c, p)
	validatePredict(c, p)
	c.decodeConnector(p)
}

// validateSchedule parses the cron expression the way the scheduler will
// (standard fields plus descriptors such as @daily) and loads the zone.
func (c *Config) validateSchedule(p *problems) {
	s := c.Schedule
	loc, err := time.LoadLocation(s.Timezone)
	switch {
	case strings.TrimSpace(s.Timezone) == "":
		p.add("schedule.timezone", "is empty; name an IANA time zone such as UTC or Europe/Rome")
	case err != nil:
		p.add("schedule.timezone", fmt.Sprintf("unknown time zone %q (want an IANA name such as Europe/Rome)", s.Timezone))
	default:
		c.compiled.location = loc
	}
	spec := strings.TrimSpace(s.Cron)
	switch {
	case spec == "":
		p.add("schedule.cron", "is empty")
	case strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ="):
		p.add("schedule.cron", "set the zone with schedule.timezone, not a TZ= prefix")
	default:
		sched, err := cron.ParseStandard(spec)
		if err != nil {
			p.add("schedule.cron", fmt.Sprintf("%q is not a cron expression: %v", spec, err))
			return
		}
		if s.MinInterval <= 0 {
			p.add("schedule.min_interval", "must be positive, such as 5m")
			return
		}
		if c.compiled.location == nil {
			return
		}
		if problem := cadence(spec, sched, s.MinInterval, time.Now().In(c.compiled.location)); problem != "" {
			p.add("schedule.cron", problem)
			return
		}
		c.compiled.schedule = sched
	}
}

// cadenceHorizon bounds how far cadence looks: enough firings to see a
// pattern's every gap (hour, day and month boundaries included) while a
// check stays instant.
const (
	cadenceFirings = 2000
	cadenceYears   = 5
)

// cadence returns why a schedule cannot run the daemon, or "": it must fire
// (cron gives up after five years, so "0 3 30 2 *" yields the zero time and
// the daemon would idle forever), and no two runs may come closer than min
// (robfig/cron turns @every -1h and @every 1ns into every second).
func cadence(spec string, sched cron.Schedule, min time.Duration, from time.Time) string {
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		if every, err := time.ParseDuration(strings.TrimSpace(d)); err == nil && every <= 0 {
			return fmt.Sprintf("%q is not a positive interval", spec)
		}
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		if every.Delay < min {
			return fmt.Sprintf("%q runs every %s, more often than schedule.min_interval (%s)", spec, every.Delay, min)
		}
		return ""
	}
	prev := sched.Next(from)
	if prev.IsZero() {
		return fmt.Sprintf("%q never fires (no such date within five years, e.g. February 30)", spec)
	}
	end := from.AddDate(cadenceYears, 0, 0)
	for range cadenceFirings {
		next := sched.Next(prev)
		if next.IsZero() || next.After(end) {
			break
		}
		if gap := next.Sub(prev); gap < min {
			return fmt.Sprintf("%q runs %s apart (%s and %s), more often than schedule.min_interval (%s)",
				spec, gap, prev.Format("2006-01-02 15:04"), next.Format("15:04"), min)
		}
		prev = next
	}
	return ""
}

func (c *Config) validateState(p *problems) {
	if strings.TrimSpace(c.State.Path) == "" {
		p.add("state.path", "is empty")
	}
	if c.State.LockTimeout <= 0 {
		p.add("state.lock_timeout", "must be positive, such as 5s")
	}
}

// validateListen accepts "" (disabled) or host:port with a numeric port.
func validateListen(addr string, p *problems) {
	if addr == "" {
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		p.add("listen", fmt.Sprintf("%q is not host:port (write \"\" to disable the status page)", addr))
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.add("listen", fmt.Sprintf("port %q is not a number from 0 to 65535", port))
	}
}
