package hubspottest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
)

// Example seeds a won deal with a primary company, searches it the way an
// incremental sync does, and reads back what the fake counted.
func Example() {
	s := hubspottest.New(hubspottest.Options{})
	defer s.Close()

	deal := s.CreateDeal(hubspottest.Props{"dealname": "ACME renewal", "amount": "1500.00",
		"dealstage": hubspottest.DealStageClosedWon, "closedate": time.Date(2024, 5, 1, 16, 32, 11, 123e6, time.UTC)})
	company := s.CreateCompany(hubspottest.Props{"name": "ACME"})
	s.AssociateDealCompany(deal, company, true)

	body, _ := json.Marshal(map[string]any{
		"filterGroups": []any{map[string]any{"filters": []any{
			map[string]any{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "1717200000000"},
			map[string]any{"propertyName": "hs_is_closed_won", "operator": "EQ", "value": "true"},
		}}},
		"sorts":      []any{map[string]any{"propertyName": "hs_object_id", "direction": "ASCENDING"}},
		"properties": []string{"amount", "closedate"},
		"limit":      200,
	})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/crm/v3/objects/deals/search", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+hubspottest.DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := s.HTTPClient().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	var out struct {
		Total   int `json:"total"`
		Results []struct {
			Properties map[string]string `json:"properties"`
		} `json:"results"`
	}
	_ = json.NewDecoder(res.Body).Decode(&out)
	fmt.Println(res.StatusCode, out.Total, out.Results[0].Properties["amount"], out.Results[0].Properties["closedate"])
	fmt.Println(s.Calls(hubspottest.RouteSearch), s.Associations(hubspottest.Deals, deal, hubspottest.Companies)[0] == company)
	// Output:
	// 200 1 1500.00 2024-05-01T16:32:11.123Z
	// 1 true
}
