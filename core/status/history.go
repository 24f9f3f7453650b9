package status

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/crmerr"
	"github.com/rfmsync/rfmsync/core/crmhttp"
	"github.com/rfmsync/rfmsync/core/state"
	"github.com/rfmsync/rfmsync/core/syncloop"
)

// maxErrorText bounds the message a history record keeps.
const maxErrorText = 500

// RecordOf turns one run (report may be partial or nil, err nil on
// success) into its history record, with the message redacted.
func RecordOf(started, finished time.Time, rep *syncloop.Report, err error) state.RunRecord {
	r := state.RunRecord{Started: started.UTC(), Finished: finished.UTC(),
		DurationSeconds: finished.Sub(started).Seconds(), Result: ResultSuccess, DailyRemaining: -1}
	if err != nil {
		r.Result = ResultFailure
		r.ErrorClass = ErrorClass(err)
		r.Error = crmhttp.RedactString(err.Error())
		if len(r.Error) > maxErrorText {
			r.Error = strings.ToValidUTF8(r.Error[:maxErrorText], "") + "…"
		}
	}
	if rep == nil {
		return r
	}
	if rep.AsOf != 0 {
		r.AsOf = rep.AsOf.String()
	}
	r.Resumed = rep.Resumed
	r.Pulled = rep.Pulled
	if len(rep.Skipped) > 0 {
		r.Skipped = map[string]int{}
		for k, v := range rep.Skipped {
			r.Skipped[string(k)] = v
		}
	}
	r.Scored, r.Segments = rep.Scored, rep.Segments
	for _, n := range rep.Moves {
		r.Moves += n
	}
	if len(rep.Moves) > 0 {
		r.MoveCounts = rep.Moves
	}
	r.Changed, r.Written, r.Rejected, r.NotFound, r.Deferred = rep.Changed, rep.Written, rep.Rejected, rep.NotFound, Deferred(rep)
	r.APICalls = rep.APICalls
	if rep.DailyRemaining != nil {
		r.DailyRemaining = *rep.DailyRemaining
	}
	return r
}

// ErrorClass names a run's failure in a few stable words: the CRM error
// class when there is one, else "canceled", "timeout" or "internal".
func ErrorClass(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	if e, ok := crmerr.As(err); ok {
		return e.Class.String()
	}
	return "internal"
}
