package hubspottest

import (
	"time"

	"github.com/rfmsync/rfmsync/internal/fakekit"
)

// DefaultStart is the fake clock's initial time when Options.Start is zero:
// a fixed instant so that tests are reproducible.
var DefaultStart = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// Clock is the server's time source (the shared fake kit's). Rate-limit
// windows, token expiry, timestamps written to records and search
// visibility lag all read it, so a test drives them with Set and Advance
// instead of sleeping.
type Clock = fakekit.Clock

// NewClock returns a fake clock stopped at start, or a wall clock when real
// is true.
func NewClock(start time.Time, real bool) *Clock { return fakekit.NewClock(start, real) }
