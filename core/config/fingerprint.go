package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/rfmsync/rfmsync/core/connector"
	"github.com/rfmsync/rfmsync/core/outputs"
	"github.com/rfmsync/rfmsync/core/rfm"
)

// Fingerprints returns two sha256 hex digests of canonical JSON, which state
// stores to notice config changes between runs:
//
//   - pull covers what is pulled: crm.type and what the connector declares
//     shapes its pull (connector.PullShaper), or else its whole section
//     without secret keys (IsSecretKey), so rotating a token or tuning a
//     limit changes nothing, but a new source or object does.
//   - score covers everything that shapes scores and written values: the
//     rfm section, compiled (presets expanded, cuts in exact 6-place form,
//     default labels filled in), and the fields section.
//
// The schedule, state, listen address and other connectors' sections are in
// neither, so changing them never forces a re-pull or a rewrite.
func (c *Config) Fingerprints() (pull, score string) {
	return digest(c.pullCanon()), digest(c.scoreCanon())
}

func (c *Config) pullCanon() any {
	var section any
	if c.CRM.Type != "" {
		section = withoutSecrets(c.CRM.Sections[c.CRM.Type])
	}
	// A connector that says what shapes its pull is fingerprinted on that
	// alone, so tuning its limits or API version does not re-pull.
	if ps, ok := c.CRM.options.(connector.PullShaper); ok {
		section = ps.PullShape()
	}
	return struct {
		Type    string `json:"type"`
		Section any    `json:"section"`
	}{c.CRM.Type, section}
}

type metricCanon struct {
	Method           string        `json:"method"`
	Cuts             []string      `json:"cuts"`
	RecalibrateEvery time.Duration `json:"recalibrate_every"`
}

type segmentCanon struct {
	ID    string     `json:"id"`
	Label string     `json:"label"`
	R     ScoreRange `json:"r"`
	F     ScoreRange `json:"f"`
	M     ScoreRange `json:"m"`
	FM    ScoreRange `json:"fm"`
}

func (c *Config) scoreCanon() any {
	p := c.compiled.params
	metric := func(m Metric, s rfm.Scale) metricCanon {
		out := metricCanon{Method: string(s.Method), RecalibrateEvery: m.RecalibrateEvery}
		for _, cut := range s.Cuts {
			out.Cuts = append(out.Cuts, cut.String())
		}
		return out
	}
	var rules []segmentCanon
	if p.Segments != nil {
		for _, r := range p.Segments.Rules() {
			rules = append(rules, segmentCanon{ID: r.ID, Label: r.Label,
				R: ScoreRange(r.R), F: ScoreRange(r.F), M: ScoreRange(r.M), FM: ScoreRange(r.FM)})
		}
	}
	return struct {
		WindowDays int              `json:"window_days"`
		Bins       int              `json:"bins"`
		R          metricCanon      `json:"r"`
		F          metricCanon      `json:"f"`
		M          metricCanon      `json:"m"`
		Segments   []segmentCanon   `json:"segments"`
		NewDays    int              `json:"new_days"`
		NewSegment any              `json:"new_segment"`
		Inactive   InactivePolicy   `json:"inactive"`
		FieldMap   outputs.FieldMap `json:"field_map"`
	}{
		WindowDays: c.RFM.WindowDays,
		Bins:       p.Bins,
		R:          metric(c.RFM.Recency, p.R),
		F:          metric(c.RFM.Frequency, p.F),
		M:          metric(c.RFM.Monetary, p.M),
		Segments:   rules,
		NewDays:    p.NewCustomerDays,
		NewSegment: p.NewSegment,
		Inactive:   c.compiled.inactive,
		FieldMap:   c.FieldMap(),
	}
}

func digest(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("config: fingerprint: " + err.Error()) // only plain data is marshalled
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
