package hubspot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/connectors/hubspot/hubspottest"
	"github.com/rfmsync/rfmsync/core/crmerr"
)

// An association read that fails for one record in a way the contract does
// not explain must stop the rescan, not detach the order from its customer.
func TestRereadFailsOnUnexplainedRecordError(t *testing.T) {
	s := newFake(t, hubspottest.Options{})
	deal := s.CreateDeal(hubspottest.Props{"dealname": "d", "dealstage": hubspottest.DealStageClosedWon})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/associations/") {
			s.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json;charset=utf-8")
		w.WriteHeader(http.StatusMultiStatus)
		w.Write([]byte(`{"status":"COMPLETE","results":[],"numErrors":1,"errors":[{"status":"error",` +
			`"category":"INTERNAL_ERROR","message":"temporarily unavailable","context":{"fromObjectId":["` + deal + `"]}}]}`))
	}))
	defer front.Close()
	c := build(t, connectOpts(t, s, front.URL, nil), nil)
	got, err := c.RereadOrders(context.Background(), SourceDeals, []string{deal})
	if crmerr.ClassOf(err) != crmerr.Transient || got != nil {
		t.Fatalf("RereadOrders = %v, %v; want a transient error and no result", got, err)
	}
}
