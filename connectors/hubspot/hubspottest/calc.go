package hubspottest

import "slices"

// calculated lists, per object type, the properties recompute owns; seeded
// values for them are overwritten.
var calculated = map[ObjectType][]string{
	Deals: {"hs_is_closed_won", "hs_is_closed_lost", "hs_is_closed", "amount_in_home_currency",
		"hs_closed_amount", "hs_closed_amount_in_home_currency"},
	Orders: {"hs_is_closed", "hs_is_canceled"},
}

// orderClosedStages are the order stages HubSpot treats as closed (§4:
// hs_closed_date is set on Processed/Shipped/Delivered).
var orderClosedStages = []string{OrderStageProcessed, OrderStageShipped, OrderStageDelivered}

// recompute refreshes calculated properties in place. HubSpot does this
// asynchronously; the fake does it within the write, which is the kinder but
// deterministic choice.
func (s *Server) recompute(m *objectMeta, props map[string]value) {
	switch m.plural {
	case Deals:
		s.recomputeDeal(props)
	case Orders:
		stage := props["hs_pipeline_stage"].s
		closed := slices.Contains(orderClosedStages, stage)
		props["hs_is_closed"] = boolValue(closed)
		props["hs_is_canceled"] = boolValue(stage == OrderStageCancelled)
		if closed {
			if cd, ok := props["hs_closed_date"]; !ok || !cd.isSet() {
				props["hs_closed_date"] = value{s: formatTime(s.clock.Now())}
			}
		}
	}
}

// recomputeDeal derives the closed flags from the stage and the configured
// won/lost stages of the deal's pipeline (a missing pipeline means
// "default"), and the home-currency amounts from ExchangeRates.
func (s *Server) recomputeDeal(props map[string]value) {
	pipeline := props["pipeline"].s
	if pipeline == "" {
		pipeline = DealPipelineDefault
	}
	stage := props["dealstage"].s
	won := stage != "" && slices.Contains(s.opts.WonStages[pipeline], stage)
	lost := stage != "" && slices.Contains(s.opts.LostStages[pipeline], stage)
	props["hs_is_closed_won"] = boolValue(won)
	props["hs_is_closed_lost"] = boolValue(lost)
	props["hs_is_closed"] = boolValue(won || lost)

	amount, has := props["amount"]
	home := value{null: true}
	switch {
	case !has || amount.null:
	case amount.s == "":
		home = value{}
	default:
		rate := "1"
		if cur := props["deal_currency_code"].s; cur != "" && cur != s.opts.HomeCurrency {
			if r, ok := s.opts.ExchangeRates[cur]; ok {
				rate = r
			}
		}
		if rate == "1" {
			home = amount
		} else if out, ok := mulDecimal(amount.s, rate); ok {
			home = value{s: out}
		} else {
			home = value{}
		}
	}
	props["amount_in_home_currency"] = home
	if won {
		props["hs_closed_amount"] = amount
		props["hs_closed_amount_in_home_currency"] = home
		if !has {
			props["hs_closed_amount"] = value{null: true}
		}
	} else {
		props["hs_closed_amount"] = value{s: "0"}
		props["hs_closed_amount_in_home_currency"] = value{s: "0"}
	}
}

func boolValue(b bool) value {
	if b {
		return value{s: "true"}
	}
	return value{s: "false"}
}
