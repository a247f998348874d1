package money

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseEnforcesMinorUnit(t *testing.T) {
	cases := []struct {
		amount, currency string
		want             string
		errPart          string
	}{
		{"19.99", "USD", "19.99 USD", ""},
		{"19.9", "USD", "19.90 USD", ""},
		{"19", "EUR", "19.00 EUR", ""},
		{"19.990", "USD", "19.99 USD", ""},
		{"1499", "JPY", "1499 JPY", ""},
		{"1499.0", "JPY", "1499 JPY", ""},
		{"1499.5", "JPY", "", "more decimal places than JPY allows (0)"},
		{"705.00", "JPY", "705 JPY", ""},
		{"19.999", "USD", "", "round it to 20.00"},
		{"abc", "USD", "", `amount "abc" is not a decimal`},
		{"10", "XXX", "", `currency "XXX" is not supported`},
		{"10", "", "", `currency "" is not supported`},
	}
	for _, c := range cases {
		got, err := Parse(c.amount, c.currency)
		if c.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), c.errPart) {
				t.Errorf("Parse(%q, %q) error = %v, want it to contain %q", c.amount, c.currency, err, c.errPart)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q, %q) error = %v", c.amount, c.currency, err)
			continue
		}
		if got.String() != c.want {
			t.Errorf("Parse(%q, %q) = %s, want %s", c.amount, c.currency, got, c.want)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	in := MustParse("22.5", "USD")
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"amount":"22.50","currency":"USD"}` {
		t.Fatalf("marshal = %s", b)
	}
	var out Money
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Equal(in) {
		t.Fatalf("round trip = %s, want %s", out, in)
	}
}

func TestUnmarshalRejectsBadAmounts(t *testing.T) {
	cases := map[string]string{
		`{"amount":"1499.5","currency":"JPY"}`: "JPY",
		`{"currency":"USD"}`:                   "amount is missing",
		`{"amount":19.999,"currency":"USD"}`:   "19.999",
		`"19.99"`:                              "must be an object",
	}
	for in, part := range cases {
		var m Money
		err := json.Unmarshal([]byte(in), &m)
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("Unmarshal(%s) error = %v, want it to contain %q", in, err, part)
		}
	}
}

func TestChangePercent(t *testing.T) {
	got, err := MustParse("20.00", "USD").ChangePercent(MustParse("15.00", "USD"))
	if err != nil || got.String() != "-25" {
		t.Fatalf("ChangePercent = %s, %v; want -25", got, err)
	}
	if _, err := MustParse("20", "USD").ChangePercent(MustParse("20", "EUR")); err == nil {
		t.Fatal("ChangePercent across currencies succeeded")
	}
	if _, err := MustParse("0", "USD").ChangePercent(MustParse("20", "USD")); err == nil {
		t.Fatal("ChangePercent from zero succeeded")
	}
}

func TestNumberUsesCurrencyScale(t *testing.T) {
	if n := MustParse("19.9", "USD").Number(); n != "19.90" {
		t.Errorf("USD number = %s, want 19.90", n)
	}
	if n := MustParse("1500", "JPY").Number(); n != "1500" {
		t.Errorf("JPY number = %s, want 1500", n)
	}
}
