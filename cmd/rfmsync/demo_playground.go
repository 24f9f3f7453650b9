package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/internal/demo"
	"github.com/rfmsync/rfmsync/internal/synth"
)

// playgroundHeader opens the demo's config (demoConfig) when it is written
// for the real commands: the same fake, a state file next to it, the status
// page on listen.
const playgroundHeader = `# rfmsync playground: a fake HubSpot seeded by "rfmsync demo --serve".
# It lives as long as that command runs; its token is not a secret.`

type playgroundSpec struct {
	contacts, deals int
	dir, listen     string
}

// servePlayground seeds a fake HubSpot, writes a config pointing at it,
// prints the config and what to try, and keeps the fake up until ctx ends.
// ready, when set, receives the config path (tests).
func servePlayground(ctx context.Context, spec playgroundSpec, stdout io.Writer, ready func(configPath string)) error {
	dir := spec.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "rfmsync-playground-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	listen := spec.listen
	if listen == "" {
		listen = "127.0.0.1:9464"
	}
	srv := hubspottest.New(hubspottest.Options{
		RealTime:   true,
		BurstLimit: hubspottest.TierProfessional, DailyLimit: hubspottest.DailyProfessional,
		Tokens: map[string][]string{"demo-token": nil}, SearchLag: 30 * time.Second,
	})
	defer srv.Close()
	base, err := demo.Seed(srv, synth.Spec{Customers: spec.contacts, Orders: spec.deals, End: srv.Now().Add(-time.Hour), Years: 3, Seed: 42})
	if err != nil {
		return err
	}
	srv.Advance(time.Minute) // past the search lag: the seeded deals are searchable
	path := filepath.Join(dir, "rfmsync.yaml")
	text := playgroundHeader + fmt.Sprintf(demoConfig, filepath.Join(dir, "rfmsync.db"), listen, srv.URL())
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fake HubSpot at %s: %d contacts, %d companies, %d deals over three years\n", srv.URL(), len(base.Contacts), len(base.Companies), len(base.Deals))
	fmt.Fprintf(stdout, "config written to %s:\n\n%s\n", path, text)
	fmt.Fprintf(stdout, "In another terminal, try:\n"+
		"  rfmsync check --config %[1]s\n"+
		"  rfmsync fields ensure --config %[1]s --dry-run\n"+
		"  rfmsync fields ensure --config %[1]s\n"+
		"  rfmsync once --config %[1]s --dry-run\n"+
		"  rfmsync once --config %[1]s\n"+
		"  rfmsync history --config %[1]s\n"+
		"  rfmsync export --config %[1]s --format csv\n"+
		"  rfmsync run --config %[1]s --now     (then open http://%[2]s/)\n"+
		"The fake lives until Ctrl-C here.\n", path, localAddr(listen))
	if ready != nil {
		ready(path)
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping the fake HubSpot")
	return nil
}
