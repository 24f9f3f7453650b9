package config

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// ScoreRange is an inclusive range of scores as a rule writes it: 4, "4",
// "4-5" or [4, 5]. The zero value (key absent) matches any score.
type ScoreRange struct {
	Lo, Hi int
}

var errScoreRange = errors.New(`wrong type: want a score such as 4, a range such as "4-5" or a list [4, 5]`)

// UnmarshalMapstructure decodes the three spellings. Scores start at 1, so
// 0 is refused rather than read as the "any" zero value.
func (r *ScoreRange) UnmarshalMapstructure(in any) error {
	if err := r.decode(in); err != nil {
		return err
	}
	if r.Lo < 1 || r.Hi < 1 {
		*r = ScoreRange{}
		return errors.New("scores start at 1")
	}
	return nil
}

func (r *ScoreRange) decode(in any) error {
	switch v := in.(type) {
	case int:
		*r = ScoreRange{v, v}
		return nil
	case string:
		lo, hi, isRange := strings.Cut(strings.TrimSpace(v), "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.Atoi(strings.TrimSpace(lo))
		h, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil {
			return errScoreRange
		}
		*r = ScoreRange{l, h}
		return nil
	case []any:
		if len(v) != 2 {
			return errScoreRange
		}
		l, ok1 := v[0].(int)
		h, ok2 := v[1].(int)
		if !ok1 || !ok2 {
			return errScoreRange
		}
		*r = ScoreRange{l, h}
		return nil
	}
	return errScoreRange
}

// String renders the range the way rules print it: "4", "4-5" or "any".
func (r ScoreRange) String() string {
	if r == (ScoreRange{}) {
		return "any"
	}
	return rfm.Range(r).String()
}

// MarshalJSON writes the String form, for canonical fingerprints.
func (r ScoreRange) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }
