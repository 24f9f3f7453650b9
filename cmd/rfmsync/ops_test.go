package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rfmsync/rfmsync/core/status"
)

func TestEveryRunIsRememberedInTheStateHistory(t *testing.T) {
	d, _ := testDaemon(t, func(n int32) {
		if n == 1 {
			panic("connector bug")
		}
	})
	job := d.job(context.Background())
	job.Run() // fails before scoring
	job.Run()
	h, err := d.db.History(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Result != status.ResultFailure || !strings.Contains(h[0].Error, "connector bug") ||
		h[1].Result != status.ResultSuccess || h[1].Scored != 1 {
		t.Fatalf("history = %+v", h)
	}
	if h[1].APICalls == nil && h[1].Pulled["orders"] == 0 && len(h[1].Pulled) == 0 {
		t.Errorf("successful run kept no figures: %+v", h[1])
	}
}

func TestHealthcheckExitsByReadiness(t *testing.T) {
	b := status.NewBoard()
	b.SetMaxFailures(1)
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	check := func(args ...string) int {
		var out, errw bytes.Buffer
		return run(append([]string{"healthcheck"}, args...), &out, &errw)
	}
	if code := check("--url", srv.URL+"/readyz"); code != exitOK {
		t.Fatalf("ready daemon: exit %d", code)
	}
	b.Record(status.Run{Started: time.Now(), Finished: time.Now(), Error: "crm down"})
	if code := check("--url", srv.URL+"/readyz"); code != exitFailed {
		t.Errorf("unready daemon: exit %d, want %d", code, exitFailed)
	}
	if code := check("--url", srv.URL+"/healthz"); code != exitOK {
		t.Errorf("liveness of an unready daemon: exit %d", code)
	}
	srv.Close()
	if code := check("--url", srv.URL+"/readyz", "--timeout", "2s"); code != exitFailed {
		t.Errorf("no daemon: exit %d", code)
	}
}

func TestLocalAddrAndLoopback(t *testing.T) {
	for in, want := range map[string]string{"0.0.0.0:9464": "127.0.0.1:9464", ":9464": "127.0.0.1:9464", "[::]:1": "[::1]:1", "10.0.0.5:80": "10.0.0.5:80"} {
		if got := localAddr(in); got != want {
			t.Errorf("localAddr(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]bool{"127.0.0.1:9464": true, "localhost:1": true, "[::1]:2": true, "0.0.0.0:9464": false, ":9464": false, "10.1.2.3:9": false} {
		if got := loopback(in); got != want {
			t.Errorf("loopback(%q) = %v", in, got)
		}
	}
}
