package rfm

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestParseInstant(t *testing.T) {
	utc := func(s string) Instant {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return InstantOf(tm)
	}
	tests := []struct {
		in   string
		want Instant
		bad  bool
	}{
		{in: "2025-03-14", want: utc("2025-03-14T00:00:00Z")},
		{in: " 2025-03-14 ", bad: true},
		{in: "2025-03-14T10:20:30Z ", bad: true},
		{in: "2024-02-29T23:59:59.999999999-23:59", want: utc("2024-03-01T23:58:59.999999Z")},
		{in: "1969-12-31T23:59:59.5Z", want: utc("1969-12-31T23:59:59.5Z")},
		{in: "0001-01-01", want: utc("0001-01-01T00:00:00Z")},
		{in: "2025-03-14T10:20:30Z", want: utc("2025-03-14T10:20:30Z")},
		{in: "2025-03-14T10:20:30+02:00", want: utc("2025-03-14T08:20:30Z")},
		{in: "2025-03-14T01:00:00-05:30", want: utc("2025-03-14T06:30:00Z")},
		{in: "2025-03-14T10:20:30", want: utc("2025-03-14T10:20:30Z")},
		{in: "2025-03-14 10:20:30", want: utc("2025-03-14T10:20:30Z")},
		{in: "2025-03-14T10:20:30.123456Z", want: utc("2025-03-14T10:20:30.123456Z")},
		{in: "2025-03-14T10:20:30.1234569Z", want: utc("2025-03-14T10:20:30.123456Z")},
		{in: "2025-03-14T10:20:30.5", want: utc("2025-03-14T10:20:30.5Z")},
		{in: "2025-03-14t10:20:30z", want: utc("2025-03-14T10:20:30Z")},
		{in: "2025-03-14T10:20", bad: true},
		{in: "2025-03-14T10:20Z", bad: true},
		{in: "2025-03-14T10:20:30,5Z", bad: true},
		{in: "2025-03-14T1:20:30Z", bad: true},
		{in: "2025-03-14T10:20:30+24:00", bad: true},
		{in: "2025-03-14T10:20:30+05:60", bad: true},
		{in: "2025-03-14T10:20:60Z", bad: true},
		{in: "2025-03-14T10:20:30.Z", bad: true},
		{in: "2025-03-14T10:20:30+0200", bad: true},
		{in: "2023-02-29", bad: true},
		{in: "2025-3-14", bad: true},
		{in: "", bad: true},
		{in: "yesterday", bad: true},
		{in: "14/03/2025", bad: true},
		{in: "2025-02-30", bad: true},
		{in: "2025-03-14T25:00:00Z", bad: true},
		{in: "1741910400", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseInstant(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseInstant(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseInstant(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestWindowEdges(t *testing.T) {
	asof := mustInstant(t, "2025-06-01T12:00:00Z")
	w := Window{AsOf: asof, Days: 730}
	start := asof - 730*microsPerDay
	if w.Contains(start) {
		t.Error("an order at exactly asof − W days must not qualify")
	}
	if !w.Contains(start + 1) {
		t.Error("an order one microsecond after asof − W days must qualify")
	}
	if !w.Contains(asof) {
		t.Error("an order at exactly asof must qualify")
	}
	if w.Contains(asof + 1) {
		t.Error("an order after asof must not qualify")
	}
	for _, tt := range []struct {
		last Instant
		days int64
	}{
		{asof, 0},
		{asof - 1, 0},
		{asof - microsPerDay + 1, 0},
		{asof - microsPerDay, 1},
		{asof - 3*microsPerDay - 1, 3},
	} {
		if got := w.RecencyDays(tt.last); got != tt.days {
			t.Errorf("RecencyDays(asof−%dµs) = %d, want %d", asof-tt.last, got, tt.days)
		}
	}
}

func mustInstant(t testing.TB, s string) Instant {
	t.Helper()
	i, err := ParseInstant(s)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestParseInstantAgreesWithTimePackage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		sec := rng.Int64N(8_000_000_000) - 2_000_000_000
		tm := time.Unix(sec, rng.Int64N(1e9))
		off := (rng.IntN(47) - 23) * 3600
		off += rng.IntN(60) * 60
		in := tm.In(time.FixedZone("", off)).Format(time.RFC3339Nano)
		got, err := ParseInstant(in)
		if err != nil {
			t.Fatalf("ParseInstant(%q): %v", in, err)
		}
		if want := InstantOf(tm); got != want {
			t.Fatalf("ParseInstant(%q) = %v, want %v", in, got, want)
		}
	}
}
