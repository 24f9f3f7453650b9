package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/config"
	"github.com/rfmsync/rfmsync/core/status"
	"github.com/rfmsync/rfmsync/internal/demo"
	"github.com/rfmsync/rfmsync/internal/synth"
)

func init() {
	commands["demo"] = command{summary: "run the whole loop against an in-process fake HubSpot (no account needed)", run: runDemo}
}

// demoConfig is the config the demo runs with: every field but recency_days
// mapped, HubSpot's Professional tier pacing, and the default cadences of the
// periodic scans: the week between the syncs makes the deletion scan, the
// order re-read and the repair pass fall due, as in production.
const demoConfig = `
state:
  path: %s
listen: %q
crm:
  type: hubspot
  hubspot:
    token: demo-token
    base_url: %s
    object: contacts
    sources: [deals]
    limits: {ten_second: 190, daily: 625000}
    search_lag: 1m
    property_group: rfm
fields:
  r: rfm_r
  f: rfm_f
  m: rfm_m
  rfm: rfm_code
  segment: rfm_segment
  frequency: rfm_frequency
  monetary: rfm_monetary
  last_purchase_at: rfm_last_purchase_at
  previous_segment: rfm_previous_segment
  segment_changed_at: rfm_segment_changed_at
`

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "[--crm hubspot|salesforce|vtenext] [--contacts N] [--deals N] [--state-dir DIR] [--listen ADDR] [--serve]", stdout, stderr)
	contacts := fs.Int("contacts", 3000, "contacts in the generated base")
	deals := fs.Int("deals", 9000, "deals over three years")
	dir := fs.String("state-dir", "", "keep the state file here (default: a temporary directory; with --serve, where the config file is written)")
	listen := fs.String("listen", "", "after the syncs, serve the status dashboard here (e.g. 127.0.0.1:9464) until interrupted; with --serve, the listen of the printed config")
	crm := fs.String("crm", "hubspot", "the fake CRM: hubspot, salesforce (--contacts/3 accounts, --deals opportunities) or vtenext (--contacts/10 accounts, --deals/10 sales orders: one revise call per write)")
	serve := fs.Bool("serve", false, "a playground: keep the fake HubSpot running, write a ready config pointing at it, print it and wait for Ctrl-C (no syncs are run: try check, fields ensure, once --dry-run, run yourself)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *contacts < 10 || *deals < *contacts {
		return usagef("want --contacts ≥ 10 and --deals ≥ --contacts")
	}
	switch {
	case *crm == "vtenext" && !*serve && *listen == "":
		return runDemoVtenext(*contacts/10, *deals/10, *dir, stdout)
	case *crm == "salesforce" && !*serve:
	case *crm != "hubspot":
		return usagef("--crm %s: want hubspot, salesforce (without --serve) or vtenext (without --serve and --listen)", *crm)
	}
	if *serve {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return servePlayground(ctx, playgroundSpec{contacts: *contacts, deals: *deals, dir: *dir, listen: *listen}, stdout, nil)
	}
	var ln net.Listener
	if *listen != "" {
		var err error
		if ln, err = net.Listen("tcp", *listen); err != nil {
			return usagef("--listen %s: %v", *listen, err)
		}
		defer ln.Close()
	}
	if *crm == "salesforce" {
		return runDemoSalesforce(max(*contacts/3, 10), *deals, *dir, ln, stdout)
	}
	began := time.Now()
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "rfmsync-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	// The fake follows wall time, so the connector's pacing meets the fake's
	// real ten-second windows; deals end an hour back, past any search lag.
	srv := hubspottest.New(hubspottest.Options{
		RealTime:   true,
		BurstLimit: hubspottest.TierProfessional, DailyLimit: hubspottest.DailyProfessional,
		Tokens: map[string][]string{"demo-token": nil}, SearchLag: 30 * time.Second,
	})
	defer srv.Close()
	base, err := demo.Seed(srv, synth.Spec{Customers: *contacts, Orders: *deals, End: srv.Now().Add(-time.Hour), Years: 3, Seed: 42})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fake HubSpot at %s: %d contacts, %d companies, %d deals over three years (won, lost, refunds, ties)\n\n",
		srv.URL(), len(base.Contacts), len(base.Companies), len(base.Deals))
	srv.Advance(time.Minute) // HubSpot's search shows writes after a lag

	cfg, err := config.LoadBytes(fmt.Appendf(nil, demoConfig, filepath.Join(*dir, "rfmsync.db"), "", srv.URL()), os.LookupEnv)
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
		c := demo.Work(srv, base, 7, 7)
		edited := demo.EditSegment(srv, base, "rfm_segment")
		fmt.Fprintf(stdout, "\na week of work in HubSpot (%s to %s): %d new deals, %d amounts corrected, %d deals lost, %d deals deleted, %d deals moved to another contact, %d contact deleted, and a person overwrote the segment of contact %s\n",
			weekStart.Format("Jan 2"), srv.Now().Format("Jan 2"), c.NewDeals, c.AmountsChanged, c.Lost, c.Archived, c.Reassigned, c.ContactsDeleted, edited)
		// Two more minutes: past the search lag, so search sees the last edit.
		srv.Advance(2 * time.Minute)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\ndemo finished in %s\n", time.Since(began).Round(time.Millisecond))
	if ln == nil {
		return nil
	}
	return serveBoard(board, ln, stdout)
}

// demoStory runs the demo's two syncs, the first and, after week (the CRM
// work of a week, which says what it did), the second, recording each run
// on board (nil: none) and printing its figures.
func demoStory(ctx context.Context, s *syncer, board *status.Board, stdout io.Writer, week func()) error {
	for i, step := range []string{"first sync: everything is new", "second sync, after a week of CRM work"} {
		if i == 1 {
			week()
		}
		fmt.Fprintf(stdout, "\n== %s ==\n", step)
		runStart := time.Now()
		rep, err := s.once(ctx, time.Time{}, false)
		if board != nil {
			rec := status.Run{Started: runStart, Finished: time.Now(), Report: rep}
			if err != nil {
				rec.Error = err.Error()
			}
			board.Record(rec)
		}
		if rep != nil {
			fmt.Fprintf(stdout, "as of %s\n", rep.AsOf.Time().Format("2006-01-02 15:04 MST"))
			printDemoRun(stdout, rep)
		}
		fmt.Fprintf(stdout, "took %s\n", time.Since(runStart).Round(time.Millisecond))
		if err != nil {
			return err
		}
	}
	return nil
}

// serveBoard serves the dashboard until the process is interrupted.
func serveBoard(board *status.Board, ln net.Listener, stdout io.Writer) error {
	srv := &http.Server{Handler: board.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "dashboard: http://%s/ (Ctrl-C to stop)\n", ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
