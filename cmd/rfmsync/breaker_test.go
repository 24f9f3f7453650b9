package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
)

// A refresh token the CRM refuses trips the login breaker in the state
// file: the next run does not present it again (exit 3, no token call) and
// says why; new credentials in the config log in at once.
func TestRefusedLoginIsNotRetriedUntilCredentialsChange(t *testing.T) {
	fake := hubspottest.New(hubspottest.Options{OAuth: &hubspottest.OAuthApp{ClientID: "cid", ClientSecret: "csecret",
		RefreshTokens: map[string][]string{"rt-good": nil}}})
	defer fake.Close()
	front := httptest.NewServer(fake)
	defer front.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "rfmsync.yaml")
	write := func(refresh string) {
		t.Helper()
		doc := fmt.Sprintf(`
state: {path: %s}
listen: ""
crm:
  type: hubspot
  hubspot:
    base_url: %s
    oauth: {client_id: cid, client_secret: csecret, refresh_token: %s}
    object: contacts
    sources: [deals]
fields:
  segment: rfm_segment
`, filepath.Join(dir, "state.db"), front.URL, refresh)
		if err := os.WriteFile(cfgPath, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("rt-revoked")
	code, _, errOut := runCLI(t, "once", "--config", cfgPath)
	if code != exitFailed || !strings.Contains(errOut, "refresh") {
		t.Fatalf("first run with a refused refresh token: exit %d\n%s", code, errOut)
	}
	tokenCalls := fake.Calls(hubspottest.RouteToken)
	code, out, errOut := runCLI(t, "once", "--config", cfgPath)
	if code != exitLoginBlocked || !strings.Contains(out+errOut, "will not log in again until the credentials") {
		t.Fatalf("second run: exit %d, want %d and the reason\n%s%s", code, exitLoginBlocked, out, errOut)
	}
	if got := fake.Calls(hubspottest.RouteToken); got != tokenCalls {
		t.Errorf("the blocked run still asked for a token (%d → %d calls)", tokenCalls, got)
	}
	write("rt-good")
	if code, out, errOut := runCLI(t, "once", "--config", cfgPath); code != exitOK {
		t.Fatalf("with new credentials: exit %d\n%s%s", code, out, errOut)
	}
}
