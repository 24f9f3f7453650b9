package rfm

import (
	"testing"
	"time"
)

func TestParseCRMInstant(t *testing.T) {
	cases := []struct {
		in   string
		want string
		skip Skip
	}{
		{"2024-05-01T13:45:10.000+0000", "2024-05-01T13:45:10Z", SkipNone},
		{"2024-05-01T13:45:10.000-0230", "2024-05-01T16:15:10Z", SkipNone},
		{"2024-05-01T13:45:10Z", "2024-05-01T13:45:10Z", SkipNone},
		{"2024-05-01T13:45:10+02:00", "2024-05-01T11:45:10Z", SkipNone},
		{"2024-05-01", "2024-05-01T00:00:00Z", SkipNone},
		{"2024-05-01 13:45:10", "", SkipNoOffset},
		{"2024-05-01T13:45:10", "", SkipNoOffset},
		{"2024-05-01T13:45:10.123", "", SkipNoOffset},
		{"2024-13-01T13:45:10Z", "", SkipBadClosedAt},
		{"2024-05-01T13:45:10+2400", "", SkipBadClosedAt},
	}
	for _, c := range cases {
		got, skip := ParseCRMInstant(c.in)
		if skip != c.skip || (skip == SkipNone && got.String() != c.want) {
			t.Errorf("ParseCRMInstant(%q) = %s, %q; want %s, %q", c.in, got, skip, c.want, c.skip)
		}
	}
}

func TestParseLocalDST(t *testing.T) {
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	const layout = "2006-01-02 15:04:05"
	cases := []struct{ in, want string }{
		{"2024-01-15 10:00:00", "2024-01-15T09:00:00Z"}, // CET, +01:00
		{"2024-07-15 10:00:00", "2024-07-15T08:00:00Z"}, // CEST, +02:00
		// Spring forward 2024-03-31 02:00 → 03:00: 02:30 does not exist and
		// is read with the offset before the gap (+01:00).
		{"2024-03-31 02:30:00", "2024-03-31T01:30:00Z"},
		{"2024-03-31 01:59:59", "2024-03-31T00:59:59Z"},
		{"2024-03-31 03:00:00", "2024-03-31T01:00:00Z"},
		// Fall back 2024-10-27 03:00 → 02:00: 02:30 happens twice; the first
		// occurrence (+02:00) wins.
		{"2024-10-27 02:30:00", "2024-10-27T00:30:00Z"},
		{"2024-10-27 03:00:00", "2024-10-27T02:00:00Z"},
		{"2024-10-27 01:59:59", "2024-10-26T23:59:59Z"},
	}
	for _, c := range cases {
		got, err := ParseLocal(layout, c.in, rome)
		if err != nil || got.String() != c.want {
			t.Errorf("ParseLocal(%q) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	if _, err := ParseLocal(layout, "15-01-2024 10:00:00", rome); err == nil {
		t.Error("a value not in the layout must be an error")
	}
	// User date formats.
	got, err := ParseLocal("02-01-2006", "31-03-2024", rome)
	if err != nil || got.String() != "2024-03-30T23:00:00Z" {
		t.Errorf("dd-mm-yyyy in Rome = %s, %v", got, err)
	}
}

func TestConvertRate(t *testing.T) {
	cases := []struct {
		amount, rate string
		op           RateOp
		want         string
	}{
		{"1830.000", "1.000", Divide, "1830.000000"},
		{"100", "1.1", Divide, "90.909091"},   // 90.9090909… rounds up
		{"-100", "1.1", Divide, "-90.909091"}, // away from zero
		{"100", "3", Divide, "33.333333"},
		{"0.0000015", "1", Multiply, "0.000002"}, // parsed amount rounds first
		{"10", "0.0000005", Multiply, "0.000005"},
		{"2", "0.00000025", Multiply, "0.000001"}, // exactly half: away from zero
		{"-2", "0.00000025", Multiply, "-0.000001"},
		{"123456789012345678901234567890", "2", Multiply, "246913578024691357802469135780.000000"},
	}
	for _, c := range cases {
		a, err := ParseAmount(c.amount)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ConvertRate(a, c.rate, c.op)
		if err != nil || got.String() != c.want {
			t.Errorf("ConvertRate(%s, %s, %d) = %s, %v; want %s", c.amount, c.rate, c.op, got, err, c.want)
		}
	}
	for _, bad := range []string{"0", "-1", "1e3", "", "abc", "1,5"} {
		if _, err := ConvertRate(MoneyFromInt(1), bad, Divide); err == nil {
			t.Errorf("rate %q must be refused", bad)
		}
	}
}
