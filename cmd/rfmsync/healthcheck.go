package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rfmsync/rfmsync/core/config"
)

func init() {
	commands["healthcheck"] = command{summary: "ask the running daemon's /readyz; exit 0 when ready (for a container HEALTHCHECK)", run: runHealthcheck}
}

// runHealthcheck exists because the image has no curl: it asks the daemon
// on this host and exits by the answer.
func runHealthcheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("healthcheck", "[--config FILE | --url URL] [--live] [--timeout 5s]", stdout, stderr)
	path := fs.String("config", "", "config file whose listen address to ask (default: $RFMSYNC_LISTEN, else "+config.DefaultListen+")")
	rawURL := fs.String("url", "", "ask this URL instead, e.g. http://127.0.0.1:9464/readyz")
	live := fs.Bool("live", false, "check liveness (/healthz) instead of readiness (/readyz)")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	target := *rawURL
	if target == "" {
		listen := config.DefaultListen
		if v, ok := os.LookupEnv("RFMSYNC_LISTEN"); ok {
			listen = v
		}
		if *path != "" {
			cfg, err := loadConfig(*path)
			if err != nil {
				// Exit 1, not 2: Docker reserves a health check's exit 2.
				return fmt.Errorf("not healthy: %v", err)
			}
			listen = cfg.Listen
		}
		if listen == "" {
			return usagef("listen is \"\": the status page is off, so there is nothing to ask")
		}
		endpoint := "/readyz"
		if *live {
			endpoint = "/healthz"
		}
		target = "http://" + localAddr(listen) + endpoint
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return usagef("--url %q: %v", target, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not healthy: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	msg := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("not healthy: %s answered %d: %s", target, resp.StatusCode, msg)
	}
	fmt.Fprintln(stdout, msg)
	return nil
}

// localAddr turns a listen address into one to dial from this host: an
// unspecified host (0.0.0.0, ::, "") is reached on loopback.
func localAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}
