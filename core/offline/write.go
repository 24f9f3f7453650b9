package offline

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// Header is the exact header of the scores CSV.
var Header = []string{"customer_id", "recency_days", "frequency", "monetary", "r", "f", "m", "rfm", "segment"}

// WriteScores writes one row per scored customer, sorted by customer id in
// byte order, the segment as its display label.
func WriteScores(w io.Writer, scores []rfm.Score) error {
	sorted := slices.IsSortedFunc(scores, func(a, b rfm.Score) int { return strings.Compare(a.Key, b.Key) })
	if !sorted {
		scores = slices.Clone(scores)
		slices.SortFunc(scores, func(a, b rfm.Score) int { return strings.Compare(a.Key, b.Key) })
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	if err := cw.Write(Header); err != nil {
		return err
	}
	row := make([]string, len(Header))
	for _, s := range scores {
		row[0] = s.Key
		row[1] = strconv.FormatInt(s.RecencyDays, 10)
		row[2] = strconv.FormatInt(s.Frequency, 10)
		row[3] = s.Monetary.Round2()
		row[4] = strconv.Itoa(int(s.R))
		row[5] = strconv.Itoa(int(s.F))
		row[6] = strconv.Itoa(int(s.M))
		row[7] = s.Code()
		row[8] = s.Segment.Label
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write scores: %w", err)
	}
	return bw.Flush()
}

// SkipReport formats skip counts as "reason=n" pairs in a stable order.
func SkipReport(skipped map[rfm.Skip]int) string {
	keys := make([]string, 0, len(skipped))
	for k := range skipped {
		keys = append(keys, string(k))
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, skipped[rfm.Skip(k)])
	}
	return strings.Join(parts, " ")
}
