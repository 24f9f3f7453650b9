package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestConvert(t *testing.T) {
	for name, in := range map[string]string{
		"sample": " 00004 0001 19970101  2   29.33\n 00004 0001 19970118  2   29.73\n",
		"master": " customer_id  date number_of_cds  dollar_value\r\n 00004 19970101  2   29.33\r\n 00004 19970118  2   29.73\r\n",
	} {
		var out bytes.Buffer
		if err := run(strings.NewReader(in), &out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := "order_id,customer_id,closed_at,amount,status\n00004-1,00004,1997-01-01,29.33,won\n00004-2,00004,1997-01-18,29.73,won\n"
		if name == "master" {
			want = strings.ReplaceAll(want, "00004-2", "00004-3")
			want = strings.ReplaceAll(want, "00004-1", "00004-2")
		}
		if out.String() != want {
			t.Errorf("%s:\n%s\nwant\n%s", name, out.String(), want)
		}
	}
	for _, bad := range []string{"1 2 3\n", " 00004 0001 1997010  2 29.33\n", " 00004 0001 19970230  2 29.33\n", " 00004 0001 19970101  2 $29\n"} {
		if err := run(strings.NewReader(bad), &bytes.Buffer{}); err == nil {
			t.Errorf("%q converted", bad)
		}
	}
}
