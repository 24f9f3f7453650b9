package salesforcetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"golang.org/x/oauth2"

	"github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
)

// A client logs in on the login host with x/oauth2, takes the instance
// URL from the token response and reads won opportunities.
func Example() {
	s := salesforcetest.New(salesforcetest.Options{})
	defer s.Close()
	acc := s.Create(salesforcetest.Account, salesforcetest.F{"Name": "Acme"})
	s.Create(salesforcetest.Opportunity, salesforcetest.F{"AccountId": acc, "Name": "Big",
		"Amount": 12500.5, "CloseDate": salesforcetest.Date("2024-04-30"), "StageName": "Closed Won"})

	conf := &oauth2.Config{ClientID: salesforcetest.DefaultClientID, ClientSecret: salesforcetest.DefaultClientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: s.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.HTTPClient())
	tok, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: salesforcetest.DefaultRefreshToken}).Token()
	if err != nil {
		fmt.Println(err)
		return
	}
	instance := tok.Extra("instance_url").(string)
	q := "SELECT Id, Amount, CloseDate, SystemModstamp FROM Opportunity WHERE IsWon = true"
	resp, err := conf.Client(ctx, tok).Get(instance + "/services/data/v62.0/queryAll?q=" + url.QueryEscape(q))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var page struct {
		TotalSize int              `json:"totalSize"`
		Done      bool             `json:"done"`
		Records   []map[string]any `json:"records"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(instance == s.URL(), tok.Expiry.IsZero(), resp.Header.Get("Sforce-Limit-Info"))
	fmt.Println(page.TotalSize, page.Done, page.Records[0]["Amount"], page.Records[0]["CloseDate"], page.Records[0]["SystemModstamp"])
	// Output:
	// true true api-usage=1/100000
	// 1 true 12500.5 2024-04-30 2024-06-01T00:00:00.000+0000
}
