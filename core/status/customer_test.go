package status

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestCustomerLookupIsOffUntilSetAndBehindTheToken(t *testing.T) {
	b := NewBoard()
	if code, _ := fetch(t, b.Handler(), "/customer?id=42", ""); code != http.StatusNotFound {
		t.Errorf("lookup without a lookup function: %d, want 404", code)
	}
	if page := get(t, b, "/"); strings.Contains(page, `action="customer"`) {
		t.Error("the dashboard offers the lookup while it is off")
	}
	var asked []string
	b.SetAccess(Access{Token: "s3cret", ShowRecordIDs: true})
	b.SetCustomerLookup(func(id string) (string, error) {
		asked = append(asked, id)
		if id == "bad" {
			return "", errors.New("state unreadable")
		}
		return "customer contacts/" + id + "\n  RFM 545 → <Champions>", nil
	})
	if code, _ := fetch(t, b.Handler(), "/customer?id=42", ""); code != http.StatusUnauthorized {
		t.Errorf("lookup without the token: %d, want 401", code)
	}
	code, body := fetch(t, b.Handler(), "/customer?id=42", "s3cret")
	if code != 200 || !strings.Contains(body, "customer contacts/42") || !strings.Contains(body, "&lt;Champions&gt;") || strings.Contains(body, "<Champions>") {
		t.Errorf("lookup: %d\n%s", code, body)
	}
	if _, page := fetch(t, b.Handler(), "/", "s3cret"); !strings.Contains(page, `action="customer"`) {
		t.Error("the dashboard does not offer the lookup")
	}
	if _, body = fetch(t, b.Handler(), "/customer?id=bad", "s3cret"); !strings.Contains(body, "state unreadable") {
		t.Errorf("a failed lookup does not say why:\n%s", body)
	}
	// An empty form asks nothing; an absurd id is refused before the lookup.
	fetch(t, b.Handler(), "/customer", "s3cret")
	fetch(t, b.Handler(), "/customer?id="+strings.Repeat("x", maxCustomerID+1), "s3cret")
	if strings.Join(asked, ",") != "42,bad" {
		t.Errorf("lookups asked: %v", asked)
	}
}
