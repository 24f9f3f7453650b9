package config

import (
	"errors"
	"fmt"

	"github.com/rfmsync/rfmsync/core/rfm"
)

// maxWindowDays keeps window arithmetic (days × 86,400 s in microseconds)
// far from int64 overflow; no business looks back a century.
const maxWindowDays = 36_500

// cutUnit says what a metric's cut points count, for parsing and messages.
type cutUnit struct {
	whole bool   // cut points must be whole numbers ≥ 0
	noun  string // "days", "orders"
}

var (
	recencyUnit   = cutUnit{whole: true, noun: "days"}
	frequencyUnit = cutUnit{whole: true, noun: "orders"}
	monetaryUnit  = cutUnit{}
)

// compileRFM validates the rfm section and, when it is sound, builds the
// scoring params and the inactive policy.
func (c *Config) compileRFM(explicit func(string) bool, p *problems) {
	before := len(p.list)
	r := &c.RFM
	switch {
	case r.WindowDays < 1:
		p.add("rfm.window_days", fmt.Sprintf("%d must be at least 1", r.WindowDays))
	case r.WindowDays > maxWindowDays:
		p.add("rfm.window_days", fmt.Sprintf("%d is more than %d (100 years)", r.WindowDays, maxWindowDays))
	}
	binsOK := r.Bins >= rfm.MinBins && r.Bins <= rfm.MaxBins
	if !binsOK {
		p.add("rfm.bins", fmt.Sprintf("%d is outside %d..%d", r.Bins, rfm.MinBins, rfm.MaxBins))
	}
	params := rfm.Params{
		Bins: r.Bins,
		R:    compileMetric("rfm.recency", r.Recency, r.Bins, binsOK, recencyUnit, p),
		F:    compileMetric("rfm.frequency", r.Frequency, r.Bins, binsOK, frequencyUnit, p),
		M:    compileMetric("rfm.monetary", r.Monetary, r.Bins, binsOK, monetaryUnit, p),
	}
	if binsOK {
		params.Segments = compileSegments(r.Segments, r.Bins, explicit, p)
	}
	ids := map[string]string{}
	if params.Segments != nil {
		for i, rule := range params.Segments.Rules() {
			ids[rule.ID] = fmt.Sprintf("rfm.segments.rules[%d]", i)
		}
	}
	nc := r.NewCustomers
	switch {
	case nc.Days < 0:
		p.add("rfm.new_customers.days", fmt.Sprintf("%d is negative (0 turns new customers off)", nc.Days))
	case nc.Days > 0:
		if nc.Days >= r.WindowDays {
			p.add("rfm.new_customers.days", fmt.Sprintf("%d is not less than rfm.window_days (%d), so every customer would be new", nc.Days, r.WindowDays))
		}
		params.NewCustomerDays = nc.Days
		params.NewSegment = segmentID("rfm.new_customers", nc.ID, nc.Label, ids, p)
	}
	c.compiled.inactive = compileInactive(r.Inactive, ids, p)
	if len(p.list) > before {
		return
	}
	if err := params.Validate(); err != nil {
		p.add("rfm", err.Error())
		return
	}
	c.compiled.params = params
}

// compileMetric checks one metric and returns its scale.
func compileMetric(key string, m Metric, bins int, binsOK bool, unit cutUnit, p *problems) rfm.Scale {
	s := rfm.Scale{Method: rfm.Method(m.Method)}
	switch s.Method {
	case rfm.Quantile, "":
		s.Method = rfm.Quantile
		if len(m.Cuts) > 0 {
			p.add(key+".cuts", "cuts are only used by the threshold method")
		}
		if m.RecalibrateEvery != 0 {
			p.add(key+".recalibrate_every", "is only used by the threshold method")
		}
		return s
	case rfm.Threshold:
	default:
		p.add(key+".method", fmt.Sprintf("unknown method %q (want quantile or threshold)", m.Method))
		return s
	}
	if m.RecalibrateEvery < 0 {
		p.add(key+".recalibrate_every", "is negative (0 never recalibrates)")
	}
	ok := true
	for i, text := range m.Cuts {
		v, err := parseCut(text, unit)
		if err != nil {
			p.add(fmt.Sprintf("%s.cuts[%d]", key, i), err.Error())
			ok = false
			continue
		}
		s.Cuts = append(s.Cuts, v)
	}
	if !ok || !binsOK {
		return s
	}
	if len(s.Cuts) != bins-1 {
		p.add(key+".cuts", fmt.Sprintf("threshold with %d bins needs %d cut points, got %d", bins, bins-1, len(s.Cuts)))
		return s
	}
	for i := 1; i < len(s.Cuts); i++ {
		if s.Cuts[i].Cmp(s.Cuts[i-1]) <= 0 {
			p.add(key+".cuts", fmt.Sprintf("cut points must be strictly ascending: %s is not above %s", m.Cuts[i], m.Cuts[i-1]))
			break
		}
	}
	return s
}

// parseCut reads one cut point exactly, through the contract's amount parser.
func parseCut(text string, unit cutUnit) (rfm.Money, error) {
	v, err := rfm.ParseAmount(text)
	if err != nil {
		if unit.whole {
			return v, fmt.Errorf("%q is not a whole number of %s", text, unit.noun)
		}
		return v, fmt.Errorf("%q is not a plain decimal amount (no currency sign, thousands separator or exponent)", text)
	}
	if unit.whole {
		if n, fits := v.Micros(); !fits || n < 0 || n%1_000_000 != 0 {
			return v, fmt.Errorf("%q is not a whole number of %s", text, unit.noun)
		}
	}
	return v, nil
}

// compileSegments builds the segment map from explicit rules or a preset.
func compileSegments(s Segments, bins int, explicit func(string) bool, p *problems) *rfm.SegmentMap {
	var rules []rfm.SegmentRule
	switch {
	case explicit("rfm.segments.rules") && explicit("rfm.segments.preset"):
		p.add("rfm.segments.preset", "set either preset or rules, not both (rules replace the preset)")
		return nil
	case explicit("rfm.segments.rules") && len(s.Rules) == 0:
		p.add("rfm.segments.rules", "is empty; remove it to use rfm.segments.preset")
		return nil
	case len(s.Rules) > 0:
		for _, r := range s.Rules {
			label := r.Label
			if label == "" {
				label = r.ID
			}
			rules = append(rules, rfm.SegmentRule{Segment: rfm.Segment{ID: r.ID, Label: label},
				R: rfm.Range(r.R), F: rfm.Range(r.F), M: rfm.Range(r.M), FM: rfm.Range(r.FM)})
		}
	default:
		preset, ok := rfm.Preset(s.Preset)
		if !ok || s.Preset == "" {
			p.add("rfm.segments.preset", fmt.Sprintf("unknown preset %q (want eleven or four)", s.Preset))
			return nil
		}
		if bins != rfm.DefaultBins {
			p.add("rfm.segments", fmt.Sprintf("rfm.bins is %d but the presets are defined for %d bins; write explicit rfm.segments.rules", bins, rfm.DefaultBins))
			return nil
		}
		rules = preset
	}
	m, err := rfm.NewSegmentMap(bins, rules)
	var re *rfm.RuleError
	var ue *rfm.UncoveredError
	switch {
	case err == nil:
		return m
	case errors.As(err, &re):
		p.add(fmt.Sprintf("rfm.segments.rules[%d]", re.Index), fmt.Sprintf("rule %q: %s", re.ID, re.Problem))
	case errors.As(err, &ue):
		p.add("rfm.segments", ue.Error())
	default:
		p.add("rfm.segments", err.Error())
	}
	return nil
}

// segmentID checks an extra segment (new, inactive): it needs an id that no
// rule uses, because CRM workflows match segments by id.
func segmentID(key, id, label string, ids map[string]string, p *problems) rfm.Segment {
	if id == "" {
		p.add(key+".id", "is empty")
	} else if other, taken := ids[id]; taken {
		p.add(key+".id", fmt.Sprintf("%q is also the id of %s", id, other))
	} else {
		ids[id] = key
	}
	if label == "" {
		label = id
	}
	return rfm.Segment{ID: id, Label: label}
}

// compileInactive checks rfm.inactive.
func compileInactive(in Inactive, ids map[string]string, p *problems) InactivePolicy {
	switch InactiveMode(in.Mode) {
	case InactiveClear:
		return InactivePolicy{Mode: InactiveClear}
	case InactiveLabel:
		return InactivePolicy{Mode: InactiveLabel, Segment: segmentID("rfm.inactive", in.ID, in.Label, ids, p)}
	}
	p.add("rfm.inactive.mode", fmt.Sprintf("unknown mode %q (want clear or label)", in.Mode))
	return InactivePolicy{}
}
