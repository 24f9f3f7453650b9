package hubspottest

import (
	"sort"
	"time"
)

// Default pipeline and stage IDs. Deal stages of the default pipeline are
// words; the order pipeline's IDs appear identical across portals (§4).
const (
	DealPipelineDefault = "default"
	DealStageClosedWon  = "closedwon"
	DealStageClosedLost = "closedlost"

	OrderPipelineDefault = "14a2e10e-5471-408a-906e-c51f3b04369e"
	OrderStageOpen       = "4b27b500-f031-4927-9811-68a0b525cbae"
	OrderStageProcessed  = "937ea84d-0a4f-4dcf-9028-3f9c2aafbf03"
	OrderStageShipped    = "aa99e8d0-c1d5-4071-b915-d240bbb1aed9"
	OrderStageDelivered  = "3725360f-519b-4b18-a593-494d60a29c9f"
	OrderStageCancelled  = "3c85a297-e9ce-400b-b42e-9f16853d69d6"
)

// defaultDealStages are the default pipeline's stages in display order.
var defaultDealStages = []string{"appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
	"decisionmakerboughtin", "contractsent", DealStageClosedWon, DealStageClosedLost}

var defaultCurrencies = []string{"AUD", "CAD", "CHF", "EUR", "GBP", "JPY", "USD"}

// builtinGroup is the HubSpot-defined property group of each object type.
func builtinGroup(m *objectMeta) string {
	return m.singular + "information"
}

// builtinProperties returns the HubSpot-defined property definitions the fake
// knows for m. Calculated and system properties are read-only, so a
// batch/update naming them fails with READ_ONLY_VALUE as in real HubSpot.
func (o *Options) builtinProperties(m *objectMeta, at time.Time) []*Property {
	g := builtinGroup(m)
	mk := func(name, typ, field string) *Property {
		return &Property{Name: name, Label: name, Type: typ, FieldType: field, GroupName: g,
			HubspotDefined: true, ReadOnlyDefinition: true, FormField: false,
			CreatedAt: at, UpdatedAt: at, DisplayOrder: -1}
	}
	ro := func(p *Property) *Property { p.ReadOnlyValue = true; return p }
	calc := func(p *Property) *Property { p.Calculated = true; p.ReadOnlyValue = true; return p }
	enum := func(p *Property, values []string) *Property {
		for i, v := range values {
			p.Options = append(p.Options, Option{Label: v, Value: v, DisplayOrder: i})
		}
		return p
	}
	currencies := o.currencies()
	ps := []*Property{
		ro(mk("hs_object_id", "number", "number")),
		ro(mk("createdate", "datetime", "date")),
		ro(mk("hs_merged_object_ids", "enumeration", "checkbox")),
	}
	switch m.plural {
	case Deals:
		ps = append(ps,
			mk("dealname", "string", "text"),
			mk("description", "string", "textarea"),
			enum(mk("dealtype", "enumeration", "radio"), []string{"newbusiness", "existingbusiness"}),
			mk("amount", "number", "number"),
			calc(mk("amount_in_home_currency", "number", "calculation_equation")),
			calc(mk("hs_closed_amount", "number", "calculation_equation")),
			calc(mk("hs_closed_amount_in_home_currency", "number", "calculation_equation")),
			enum(mk("deal_currency_code", "enumeration", "select"), currencies),
			mk("closedate", "datetime", "date"),
			enum(mk("pipeline", "enumeration", "select"), o.dealPipelines()),
			enum(mk("dealstage", "enumeration", "select"), o.dealStages()),
			calc(mk("hs_is_closed_won", "bool", "calculation_equation")),
			calc(mk("hs_is_closed_lost", "bool", "calculation_equation")),
			calc(mk("hs_is_closed", "bool", "calculation_equation")),
			ro(mk("hs_lastmodifieddate", "datetime", "date")),
		)
	case Contacts:
		ps = append(ps,
			mk("email", "string", "text"),
			mk("firstname", "string", "text"),
			mk("lastname", "string", "text"),
			mk("phone", "string", "phonenumber"),
			mk("company", "string", "text"),
			ro(mk("lastmodifieddate", "datetime", "date")),
			// hs_lastmodifieddate exists on contacts but is never populated:
			// filtering on it silently returns nothing (§8 pitfall 5).
			ro(mk("hs_lastmodifieddate", "datetime", "date")),
		)
	case Companies:
		ps = append(ps,
			mk("name", "string", "text"),
			mk("domain", "string", "text"),
			mk("website", "string", "text"),
			mk("phone", "string", "phonenumber"),
			ro(mk("hs_lastmodifieddate", "datetime", "date")),
		)
	case Orders:
		ps = append(ps,
			mk("hs_order_name", "string", "text"),
			enum(mk("hs_currency_code", "enumeration", "select"), currencies),
			mk("hs_total_price", "number", "number"),
			mk("hs_subtotal_price", "number", "number"),
			mk("hs_tax", "number", "number"),
			mk("hs_shipping_cost", "number", "number"),
			mk("hs_order_discount", "number", "number"),
			mk("hs_refund_amount", "number", "number"),
			mk("hs_discount_codes", "string", "text"),
			enum(mk("hs_pipeline", "enumeration", "select"), []string{OrderPipelineDefault}),
			enum(mk("hs_pipeline_stage", "enumeration", "select"), []string{OrderStageOpen,
				OrderStageProcessed, OrderStageShipped, OrderStageDelivered, OrderStageCancelled}),
			mk("hs_payment_status", "string", "text"),
			mk("hs_fulfillment_status", "string", "text"),
			mk("hs_external_order_status", "string", "text"),
			mk("hs_external_order_id", "string", "text"),
			mk("hs_external_order_url", "string", "text"),
			mk("hs_source_store", "string", "text"),
			mk("hs_external_created_date", "datetime", "date"),
			mk("hs_external_modified_date", "datetime", "date"),
			mk("hs_processed_date", "datetime", "date"),
			mk("hs_external_canceled_date", "datetime", "date"),
			ro(mk("hs_closed_date", "datetime", "date")),
			calc(mk("hs_is_closed", "bool", "calculation_equation")),
			calc(mk("hs_is_canceled", "bool", "calculation_equation")),
			ro(mk("hs_lastmodifieddate", "datetime", "date")),
		)
	}
	return ps
}

// currencies lists the currency options: common codes plus every code the
// options mention.
func (o *Options) currencies() []string {
	set := map[string]bool{}
	for _, c := range defaultCurrencies {
		set[c] = true
	}
	if o.HomeCurrency != "" {
		set[o.HomeCurrency] = true
	}
	for c := range o.ExchangeRates {
		set[c] = true
	}
	return sortedKeys(set)
}

// dealPipelines lists pipeline IDs: the default one and every configured one.
func (o *Options) dealPipelines() []string {
	set := map[string]bool{DealPipelineDefault: true}
	for p := range o.WonStages {
		set[p] = true
	}
	for p := range o.LostStages {
		set[p] = true
	}
	return sortedKeys(set)
}

// dealStages lists the default stages plus every configured won/lost stage.
func (o *Options) dealStages() []string {
	out := append([]string(nil), defaultDealStages...)
	seen := map[string]bool{}
	for _, s := range out {
		seen[s] = true
	}
	var extra []string
	for _, m := range []map[string][]string{o.WonStages, o.LostStages} {
		for _, stages := range m {
			for _, s := range stages {
				if !seen[s] {
					seen[s] = true
					extra = append(extra, s)
				}
			}
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

func sortedKeys(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
