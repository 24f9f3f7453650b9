package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sf "github.com/rfmsync/rfmsync/connectors/salesforce/salesforcetest"
)

func isSFWrite(r *http.Request) bool {
	return r.Method == http.MethodPatch && strings.HasSuffix(r.URL.Path, "/composite/sobjects")
}
func isSFQuery(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/queryAll") }

// TestKilledSalesforceSyncEndsInSameCRMState is TestKilledSyncEndsInSameCRMState
// against the fake Salesforce: an incremental `rfmsync once` is SIGKILLed
// mid-pull (its keyset query answered, unheard), before a Collections write and
// between a write and the state commit, restarted, and every Account's RFM
// fields are compared with an uninterrupted run over an identical org.
func TestKilledSalesforceSyncEndsInSameCRMState(t *testing.T) {
	want, writes := sfCRMAfter(t, killCase{name: "uninterrupted"})
	if len(want) == 0 || writes < 3 {
		t.Fatalf("the reference run wrote %d accounts in %d calls", len(want), writes)
	}
	for _, kc := range []killCase{
		{name: "during the pull", match: isSFQuery, n: 1},
		{name: "before the second write", match: isSFWrite, n: 2, before: true},
		{name: "after the first write", match: isSFWrite, n: 1},
		{name: "after the last write", match: isSFWrite, n: writes},
	} {
		t.Run(kc.name, func(t *testing.T) {
			got, _ := sfCRMAfter(t, kc)
			checkSameCRMState(t, "account", got, want)
		})
	}
}

// sfFront is one host in front of the fake org's two: the token endpoint
// goes to the login host with instance_url pointed back at the front, the
// rest to the instance host, so every call can be intercepted.
func sfFront(s *sf.Server, self *string, intercept func(w http.ResponseWriter, r *http.Request) bool) http.Handler {
	inst, _ := url.Parse(s.URL())
	proxy := httputil.NewSingleHostReverseProxy(inst)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/services/oauth2/token") {
			body, _ := io.ReadAll(r.Body)
			resp, err := http.Post(s.TokenURL(), r.Header.Get("Content-Type"), bytes.NewReader(body))
			if err != nil {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			var m map[string]any
			if resp.StatusCode == http.StatusOK && json.Unmarshal(out, &m) == nil {
				m["instance_url"] = *self
				out, _ = json.Marshal(m)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(resp.StatusCode)
			w.Write(out)
			return
		}
		if intercept != nil && intercept(w, r) {
			return
		}
		proxy.ServeHTTP(w, r)
	})
}

func sfCRMAfter(t *testing.T, kc killCase) (map[string]map[string]string, int) {
	t.Helper()
	s := sf.New(sf.Options{MaxBatchSize: 200})
	defer s.Close()
	org := s.SeedOrg(sf.OrgSpec{Accounts: 120, Opportunities: 700, Years: 2, Seed: 9})
	s.Advance(time.Minute)
	k := &killer{kc: kc, isWrite: isSFWrite}
	inst, _ := url.Parse(s.URL())
	instance := httputil.NewSingleHostReverseProxy(inst)
	var self string
	front := httptest.NewServer(sfFront(s, &self, func(w http.ResponseWriter, r *http.Request) bool {
		return k.intercept(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			instance.ServeHTTP(w, r.Clone(r.Context()))
		}))
	}))
	defer front.Close()
	self = front.URL
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "rfmsync.yaml")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `
state: {path: %s}
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
    query_lag: 30s
    page_size: 200
    write_batch: 7
    permission_set: RFM_Sync
fields: {r: RFM_R__c, f: RFM_F__c, m: RFM_M__c, rfm: RFM_Code__c, segment: RFM_Segment__c, monetary: RFM_Monetary__c,
  frequency: RFM_Frequency__c, last_purchase_at: RFM_Last_Purchase_At__c, previous_segment: RFM_Previous_Segment__c,
  segment_changed_at: RFM_Segment_Changed_At__c}
`, filepath.Join(dir, "state.db"), front.URL, sf.DefaultClientID, sf.DefaultClientSecret, sf.DefaultRefreshToken), 0o600)
	var out, errb bytes.Buffer
	if code := run([]string{"fields", "ensure", "--config", cfgPath}, &out, &errb); code != exitOK {
		t.Fatalf("fields ensure: exit %d: %s%s", code, out.String(), errb.String())
	}
	if code := run([]string{"once", "--config", cfgPath, "--asof", "2024-06-01T00:00:00Z"}, &out, &errb); code != exitOK {
		t.Fatalf("first sync: exit %d: %s", code, errb.String())
	}
	// A week of changes: new amounts, deals lost, deletions, a merge.
	for i, id := range org.Won[:60] {
		switch i % 4 {
		case 0:
			s.Update(id, sf.F{"Amount": sf.Money(fmt.Sprintf("%d.5", 1000+i*37))})
		case 1:
			s.Update(id, sf.F{"StageName": "Closed Lost"})
		case 2:
			s.Delete(id)
		default:
			s.Update(id, sf.F{"AccountId": org.Accounts[(i*7)%len(org.Accounts)]})
		}
	}
	s.Merge(org.Accounts[0], org.Accounts[1])
	s.Advance(time.Minute)
	args := []string{"once", "--config", cfgPath, "--asof", "2024-06-08T00:00:00Z"}
	writes := k.syncKilledThenDone(t, args)
	got := map[string]map[string]string{}
	for _, id := range org.Accounts {
		rec := s.Get(id)
		vals := map[string]string{}
		for name, v := range rec {
			if strings.HasPrefix(name, "RFM_") && v != nil {
				vals[name] = fmt.Sprint(v)
			}
		}
		got[id] = vals
	}
	return got, writes
}
