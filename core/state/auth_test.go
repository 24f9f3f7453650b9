package state

import (
	"path/filepath"
	"testing"
)

func TestRefreshTokenAndBreakerSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.LoadRefreshToken("fp1"); ok || err != nil {
		t.Fatalf("empty state has a token: %v %v", ok, err)
	}
	if err := db.SaveRefreshToken("fp1", "rt-1"); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveRefreshToken("fp1", "rt-2"); err != nil {
		t.Fatal(err)
	}
	if err := db.Trip("cred-a", "INVALID_USER_CREDENTIALS: fix crm.vtenext.access_key"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if tok, ok, _ := db.LoadRefreshToken("fp1"); !ok || tok != "rt-2" {
		t.Errorf("rotated token after reopen = %q, %v; want rt-2", tok, ok)
	}
	// New credentials: the old token is never used and is forgotten.
	if err := db.SaveRefreshToken("fp2", "rt-new"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.LoadRefreshToken("fp1"); ok {
		t.Error("a token saved for old credentials is still there")
	}
	if reason, ok, _ := db.Tripped("cred-a"); !ok || reason == "" {
		t.Errorf("breaker for cred-a not kept: %q %v", reason, ok)
	}
	if _, ok, _ := db.Tripped("cred-b"); ok {
		t.Error("changed credentials must not be blocked")
	}
	if _, _, open, _ := db.Breaker(); !open {
		t.Error("Breaker() does not report the open breaker")
	}
	if err := db.ResetBreaker(); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.Tripped("cred-a"); ok {
		t.Error("reset breaker still tripped")
	}
}
