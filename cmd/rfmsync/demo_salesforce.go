package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	sf "github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/status"
	"github.com/rfmsync/rfmsync/internal/demo"
)

// demoSalesforceConfig is the demo's config against the fake org: RFM
// fields on Accounts, won Opportunities in, the fields created through the
// Tooling API and granted through a permission set.
const demoSalesforceConfig = `
state:
  path: %s
listen: ""
crm:
  type: salesforce
  salesforce:
    login_url: %s
    client_id: %s
    client_secret: %s
    refresh_token: %s
    object: Account
    sources: [opportunities]
    query_lag: 1m
    permission_set: RFM_Sync
fields:
  r: RFM_R__c
  f: RFM_F__c
  m: RFM_M__c
  rfm: RFM_Code__c
  segment: RFM_Segment__c
  frequency: RFM_Frequency__c
  monetary: RFM_Monetary__c
  last_purchase_at: RFM_Last_Purchase_At__c
  previous_segment: RFM_Previous_Segment__c
  segment_changed_at: RFM_Segment_Changed_At__c
`

// runDemoSalesforce tells the demo's story against the fake Salesforce: a
// multi-currency org (a quarter of the deals in EUR or GBP, converted with
// CurrencyType), fields ensure, a first sync, a week of work (new, changed,
// lost, deleted and re-parented deals, an account merge, a hand edit) and
// a second sync that writes only what changed.
func runDemoSalesforce(accounts, deals int, dir string, ln net.Listener, stdout io.Writer) error {
	began := time.Now()
	if dir == "" {
		tmp, err := os.MkdirTemp("", "rfmsync-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	srv := sf.New(sf.Options{MultiCurrency: true, RotateRefreshTokens: true})
	defer srv.Close()
	org := srv.SeedOrg(sf.OrgSpec{Accounts: accounts, ContactsPerAccount: 3, Opportunities: deals, Years: 3,
		Currencies: map[string]string{"EUR": "0.92", "GBP": "0.79"}, Seed: 42})
	fmt.Fprintf(stdout, "fake Salesforce at %s: %d accounts, %d contacts, %d opportunities over three years (won, lost, open, some in EUR and GBP)\n\n",
		srv.URL(), len(org.Accounts), len(org.Contacts), len(org.Opportunities))
	srv.Advance(2 * time.Minute) // past query_lag

	cfg, err := config.LoadBytes(fmt.Appendf(nil, demoSalesforceConfig, filepath.Join(dir, "rfmsync.db"), srv.LoginURL(),
		sf.DefaultClientID, sf.DefaultClientSecret, sf.DefaultRefreshToken), os.LookupEnv)
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	s, err := openSyncer(cfg, newLogger(io.Discard))
	if err != nil {
		return err
	}
	defer s.Close()
	s.now = srv.Now
	ctx := context.Background()
	board := status.NewBoard()
	actions, err := ensureFields(ctx, cfg, s.conn, true)
	printFieldActions(stdout, actions, false)
	if err != nil {
		return err
	}
	err = demoStory(ctx, s, board, stdout, func() {
		weekStart := srv.Now()
		c := demo.WorkSalesforce(srv, &org, 7, 7)
		edited := demo.EditAccountSegment(srv, &org, "RFM_Segment__c")
		fmt.Fprintf(stdout, "\na week of work in Salesforce (%s to %s): %d new deals, %d amounts corrected, %d deals lost, %d deleted, %d moved to another account, %d account merged, and a person overwrote the segment of account %s\n",
			weekStart.Format("Jan 2"), srv.Now().Format("Jan 2"), c.NewDeals, c.AmountsChanged, c.Lost, c.Deleted, c.Reparented, c.Merged, edited)
		srv.Advance(2 * time.Minute)
	})
	if err != nil {
		return err
	}
	used, limit := srv.APIUsage()
	fmt.Fprintf(stdout, "\norg API usage in the last 24 h (Sforce-Limit-Info): %d of %d\ndemo finished in %s\n", used, limit, time.Since(began).Round(time.Millisecond))
	if ln == nil {
		return nil
	}
	return serveBoard(board, ln, stdout)
}
