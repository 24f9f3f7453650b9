package hubspot

import (
	"time"

	"github.com/rfmsync/rfmsync/core/crmhttp"
)

// Daily-limit headers HubSpot sends on private-app calls (none on OAuth
// calls or search, §6), and the ten-second ones it sends on standard calls.
const (
	headerDailyRemaining = "X-HubSpot-RateLimit-Daily-Remaining"
	headerDaily          = "X-HubSpot-RateLimit-Daily"
	headerRemaining      = "X-HubSpot-RateLimit-Remaining"
	headerMax            = "X-HubSpot-RateLimit-Max"
)

// newBudget is the account's daily budget in the shared client: what
// HubSpot last reported left today, and the calls this connector made
// since the account's midnight, capped at limits.daily. A spent budget
// refuses calls before they cost one: stopping cleanly costs nothing,
// while DAILY 429s count against the marketplace's 5% rule.
func newBudget(o *Options, loc *time.Location) *crmhttp.Budget {
	return crmhttp.NewBudget(crmhttp.BudgetConfig{
		Limit:     int64(o.Limits.Daily),
		Parse:     crmhttp.RemainingHeader(headerDailyRemaining, headerDaily),
		NextReset: func(now time.Time) time.Time { return nextDailyReset(now, loc) },
		Code:      policyDaily,
		Message:   "HubSpot's daily API limit is used up (limits.daily)",
	})
}
