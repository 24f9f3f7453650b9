package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/internal/demo"
)

// demoVtenextConfig runs sales orders into Accounts' cf_ fields. Writes
// are one revise per record, so the demo uses four sessions at 50/s to
// finish in seconds; production defaults are one session at 5/s.
const demoVtenextConfig = `
state:
  path: %s
listen: ""
crm:
  type: vtenext
  vtenext:
    url: %s
    username: %s
    access_key: %s
    object: Accounts
    sources: [salesorder]
    query_lag: 30s
    page_size: 500
    write_concurrency: 4
    write_rate: 50
fields: {%s}
`

// runDemoVtenext is `rfmsync demo --crm vtenext`: a fake vtenext seeded
// with accounts and sales orders, the custom fields an admin created,
// a first sync, a week of CRM work, and a second sync.
func runDemoVtenext(accounts, orders int, dir string, stdout io.Writer) error {
	began := time.Now()
	if dir == "" {
		tmp, err := os.MkdirTemp("", "rfmsync-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	site, err := demo.StartVtenext(accounts, orders)
	if err != nil {
		return err
	}
	defer site.Close()
	base := site.Base
	fmt.Fprintf(stdout, "fake vtenext at %s/webservice.php (server time Europe/Rome, dates dd-mm-yyyy): %d accounts, %d sales orders over three years (delivered, cancelled, refunds, ties, a quarter in US dollars)\n\n",
		site.URL(), len(base.Accounts), len(base.Orders))
	var fields []string
	for out, name := range base.Fields {
		fields = append(fields, out+": "+name)
	}
	sort.Strings(fields)
	cfg, err := config.LoadBytes(fmt.Appendf(nil, demoVtenextConfig, filepath.Join(dir, "rfmsync.db"), site.URL(),
		site.User(), site.AccessKey(), strings.Join(fields, ", ")), os.LookupEnv)
	if err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	s, err := openSyncer(cfg, newLogger(io.Discard))
	if err != nil {
		return err
	}
	defer s.Close()
	s.now = site.Now
	ctx := context.Background()
	fmt.Fprintln(stdout, "fields ensure (vtenext cannot create fields; an admin added these in the Layout Editor):")
	actions, err := ensureFields(ctx, cfg, s.conn, false)
	printFieldActions(stdout, actions, true)
	if err != nil {
		return err
	}
	err = demoStory(ctx, s, nil, stdout, func() {
		c, victim := site.Week()
		fmt.Fprintf(stdout, "\na week of work in vtenext: %d new orders, %d totals corrected, %d orders cancelled, %d orders deleted (query never shows them: the id re-read does), %d orders moved to another account, %d account deleted, and a person set the segment of %s by hand\n",
			c.NewOrders, c.AmountsChanged, c.Cancelled, c.Deleted, c.Reassigned, c.AccountsDeleted, victim)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\ndemo finished in %s (%d logins, %d revise calls)\n", time.Since(began).Round(time.Millisecond), site.Logins(), site.Revises())
	return nil
}
