package rfm

import "testing"

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want string // 6-place form, or "" for a parse error
	}{
		{"10", "10.000000"},
		{" 10.10 ", "10.100000"},
		{"+3.", "3.000000"},
		{".5", "0.500000"},
		{"-.5", "-0.500000"},
		{"0", "0.000000"},
		{"-0", "0.000000"},
		{"0.0000004", "0.000000"},
		{"0.0000005", "0.000001"},
		{"-0.0000005", "-0.000001"},
		{"-0.00000049999", "0.000000"},
		{"1.23456749", "1.234567"},
		{"1.2345675", "1.234568"},
		{"-1.2345675", "-1.234568"},
		{"9.9999995", "10.000000"},
		{"123456789012345678901234567890", "123456789012345678901234567890.000000"},
		{"", ""},
		{" ", ""},
		{".", ""},
		{"-", ""},
		{"+", ""},
		{"1e3", ""},
		{"1,000.00", ""},
		{"€5", ""},
		{"$5", ""},
		{"NaN", ""},
		{"Inf", ""},
		{"1.2.3", ""},
		{"--1", ""},
		{"+-1", ""},
		{"1 000", ""},
		{"0x10", ""},
		{"١٢", ""}, // non-ASCII digits
		{"1234567890123456789012345678901234567890", "1234567890123456789012345678901234567890.000000"},
		{"-170141183460469231731687303715884.1057285", "-170141183460469231731687303715884.105729"},
		{"99999999999999999999999999999999999999.9999995", "100000000000000000000000000000000000000.000000"},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseAmount(%q) = %s, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseAmount(%q): %v", tt.in, err)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("ParseAmount(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func mustAmount(t testing.TB, s string) Money {
	t.Helper()
	m, err := ParseAmount(s)
	if err != nil {
		t.Fatalf("ParseAmount(%q): %v", s, err)
	}
	return m
}

func TestMoneyExactSum(t *testing.T) {
	sum := mustAmount(t, "10.10").Add(mustAmount(t, "20.20"))
	if sum.Cmp(mustAmount(t, "30.30")) != 0 {
		t.Fatalf("10.10 + 20.20 = %s, want exactly 30.30", sum)
	}
	var acc Money
	for i := 0; i < 10; i++ {
		acc = acc.Add(mustAmount(t, "0.1"))
	}
	if acc.Cmp(MoneyFromInt(1)) != 0 {
		t.Fatalf("ten times 0.1 = %s, want 1", acc)
	}
	big := mustAmount(t, "99999999999999999999999.999999")
	if got := big.Add(big).Sub(big); got.Cmp(big) != 0 {
		t.Fatalf("big arithmetic lost precision: %s", got)
	}
}

func TestMoneyBeyond128Bits(t *testing.T) {
	big := mustAmount(t, "99999999999999999999999999999999")
	sum := big.Add(big)
	if got := sum.Round2(); got != "199999999999999999999999999999998.00" {
		t.Fatalf("sum = %s", got)
	}
	if sum.Cmp(big) <= 0 || sum.Neg().Cmp(big.Neg()) >= 0 || sum.Sign() != 1 {
		t.Fatal("comparison beyond 128 bits is wrong")
	}
	back := sum.Sub(big).Sub(big)
	if !back.IsZero() || back.Wide() {
		t.Fatalf("sum − big − big = %s (wide %v), want a plain 0", back, back.Wide())
	}
	if _, ok := sum.Micros(); ok {
		t.Fatal("Micros claims a wide value fits")
	}
	if !mustAmount(t, "1e0x"[:0]+"5").Equal(MoneyFromInt(5)) {
		t.Fatal("Equal")
	}
}

func TestMoneyRound2(t *testing.T) {
	tests := map[string]string{
		"0.005":                              "0.01",
		"0.004999":                           "0.00",
		"-0.005":                             "-0.01",
		"-0.004":                             "0.00",
		"1.995":                              "2.00",
		"-1.994999":                          "-1.99",
		"30.3":                               "30.30",
		"0":                                  "0.00",
		"1234567.89":                         "1234567.89",
		"123456789012345678901234567890.125": "123456789012345678901234567890.13",
	}
	for in, want := range tests {
		if got := mustAmount(t, in).Round2(); got != want {
			t.Errorf("Round2(%s) = %s, want %s", in, got, want)
		}
		if got := string(mustAmount(t, in).AppendRound2([]byte("x"))); got != "x"+want {
			t.Errorf("AppendRound2(%s) = %s, want x%s", in, got, want)
		}
	}
	// Past 128 bits too.
	huge := mustAmount(t, "99999999999999999999999999999999")
	sum := huge.Add(huge).Add(huge).Add(huge).Add(huge).Add(huge).Add(huge)
	if a, r := string(sum.AppendRound2(nil)), sum.Round2(); a != r || a != "699999999999999999999999999999993.00" {
		t.Errorf("AppendRound2 of a big sum = %s, Round2 = %s", a, r)
	}
}

func TestMoneyCmpAndBinary(t *testing.T) {
	vals := []string{"-1000000000000000000000", "-1", "-0.000001", "0", "0.000001", "1", "18446744073709.551616"}
	for i, a := range vals {
		for j, b := range vals {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := mustAmount(t, a).Cmp(mustAmount(t, b)); got != want {
				t.Errorf("Cmp(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
		m := mustAmount(t, a)
		if back := MoneyFromBinary(m.AppendBinary(nil)); back != m {
			t.Errorf("binary round trip of %s gave %s", a, back)
		}
	}
}

func TestMulInt(t *testing.T) {
	if got := mustAmount(t, "2.55").MulInt(-6).String(); got != "-15.300000" {
		t.Fatalf("2.55 × −6 = %s", got)
	}
	if got := mustAmount(t, "-0.000001").MulInt(3).String(); got != "-0.000003" {
		t.Fatalf("−0.000001 × 3 = %s", got)
	}
}
