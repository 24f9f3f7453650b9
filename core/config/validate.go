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
		if _, err := cron.ParseStandard(spec); err != nil {
			p.add("schedule.cron", fmt.Sprintf("%q is not a cron expression: %v", spec, err))
		}
	}
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
