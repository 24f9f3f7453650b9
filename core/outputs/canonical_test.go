package outputs

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rfmsync/rfmsync/core/rfm"
)

func TestCanonicalEqualities(t *testing.T) {
	same := []struct {
		kind Kind
		a, b string
	}{
		{Number, "545", "545.0"},
		{Number, "545", "545.000"},
		{Number, "4", "4.000"},
		{Number, "1830.5", "1830.50000000"},
		{Number, "0", "-0.00"},
		{Number, "545", "5.45E2"},
		{Number, "-12.5", "-012.50"},
		{Number, "7", " 7 "},
		{DateTime, "2024-05-01T13:45:10.000Z", "2024-05-01T13:45:10.000+0000"},
		{DateTime, "2024-05-01T13:45:10.000Z", "2024-05-01T13:45:10Z"},
		{DateTime, "2024-05-01T13:45:10.000Z", "2024-05-01T15:45:10+02:00"},
		{Date, "2024-05-01", "2024-05-01T00:00:00.000Z"},
		{Text, "champions", "champions"},
		{Number, "", "  "},
	}
	for _, c := range same {
		if !Equal(c.kind, c.a, c.b) {
			t.Errorf("%s: %q and %q should be one value (canonical %q vs %q)", c.kind, c.a, c.b, Canonical(c.kind, c.a), Canonical(c.kind, c.b))
		}
	}
	differ := []struct {
		kind Kind
		a, b string
	}{
		{Number, "545", "545.01"},
		{Number, "545", ""},
		{Number, "1,5", "15"},
		{Number, "0x10", "16"},
		{Text, "545", "545.0"},
		{Text, "Champions", "champions"},
		{DateTime, "2024-05-01T13:45:10.000Z", "2024-05-01T13:45:11.000Z"},
		{DateTime, "2024-05-01T13:45:10.000Z", "2024-05-01 13:45:10"}, // no offset: not an instant
		{Date, "2024-05-01", "2024-05-02"},
		{Enum, "at_risk", "At Risk"},
	}
	for _, c := range differ {
		if Equal(c.kind, c.a, c.b) {
			t.Errorf("%s: %q and %q must differ", c.kind, c.a, c.b)
		}
	}
}

func TestCanonicalFormsAreWhatRfmsyncWrites(t *testing.T) {
	i, err := rfm.ParseInstant("2024-03-31T01:02:03.456789Z")
	if err != nil {
		t.Fatal(err)
	}
	if got := FormatTime(i); got != "2024-03-31T01:02:03.456Z" || Canonical(DateTime, got) != got {
		t.Errorf("FormatTime = %q, canonical %q", got, Canonical(DateTime, got))
	}
	if got := FormatDate(i); got != "2024-03-31" || Canonical(Date, got) != got {
		t.Errorf("FormatDate = %q", got)
	}
	for _, v := range []string{"5", "12.34", "-3.5", "0"} {
		if Canonical(Number, v) != v {
			t.Errorf("Canonical(Number, %q) = %q, want it unchanged", v, Canonical(Number, v))
		}
	}
}

func TestFieldMapPerType(t *testing.T) {
	m := FieldMap{
		R:       Named("rfm_r"),
		Segment: {Default: "cf_seg", ByType: map[string]string{"Contacts": "cf_812"}},
		F:       {ByType: map[string]string{"Accounts": "cf_f"}},
	}
	acc := m.ForType("Accounts")
	if acc[R] != "rfm_r" || acc[Segment] != "cf_seg" || acc[F] != "cf_f" {
		t.Errorf("Accounts: %v", acc)
	}
	con := m.ForType("Contacts")
	if con[Segment] != "cf_812" || con[F] != "" {
		t.Errorf("Contacts: %v", con)
	}
	if _, ok := con[F]; ok {
		t.Errorf("Contacts must not write f: %v", con)
	}
	if k := m.KindsForType("Contacts")["cf_812"]; k != Enum {
		t.Errorf("kind of cf_812 = %s", k)
	}
	if got := m.Outputs(); len(got) != 3 || got[0] != R || got[1] != F || got[2] != Segment {
		t.Errorf("Outputs() = %v", got)
	}
}

// TestPlainNumbersCanonicalAsThroughRat: the plain-decimal shortcut gives
// big.Rat's form for every plain decimal, signs, leading and trailing
// zeros, bare points included, and declines everything else.
func TestPlainNumbersCanonicalAsThroughRat(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	pieces := []string{"", "0", "00", "5", "10", "007", "123456789012345678901234567890", "50"}
	var cases []string
	for range 4000 {
		s := []string{"", "+", "-"}[rng.IntN(3)] + pieces[rng.IntN(len(pieces))]
		if rng.IntN(3) > 0 {
			s += "." + pieces[rng.IntN(len(pieces))]
		}
		cases = append(cases, s)
	}
	cases = append(cases, ".", "-.", "+.", "-0", "-0.000", ".5", "5.", "1e3", "1.5e-2", "0x10", "1,5", "1/2", " 1", "١٢")
	for _, s := range cases {
		plain, ok := canonicalPlain(s)
		rat, ratOK := canonicalRat(s)
		if ok && (!ratOK || plain != rat) {
			t.Errorf("%q: plain %q, big.Rat %q (%v)", s, plain, rat, ratOK)
		}
		if !ok && ratOK && !strings.ContainsAny(s, "eExX/,_ ") { // exponents, and what canonicalNumber refuses first
			t.Errorf("%q: plain declines what big.Rat reads as %q", s, rat)
		}
	}
}
