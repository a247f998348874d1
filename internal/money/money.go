// Package money holds amounts of money as exact decimals tied to an ISO 4217
// currency, and enforces each currency's minor unit: an amount may carry no
// more fractional digits than the currency has (USD 2, JPY 0).
package money

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// minorUnits maps the currencies of Amazon's marketplaces to the number of
// digits after the decimal point (ISO 4217 minor unit).
var minorUnits = map[string]int32{
	"AED": 2, "AUD": 2, "BRL": 2, "CAD": 2, "EGP": 2, "EUR": 2, "GBP": 2,
	"INR": 2, "JPY": 0, "MXN": 2, "PLN": 2, "SAR": 2, "SEK": 2, "SGD": 2,
	"TRY": 2, "USD": 2, "ZAR": 2,
}

// Scale returns the minor unit of currency and whether the currency is known.
func Scale(currency string) (int32, bool) {
	s, ok := minorUnits[currency]
	return s, ok
}

// Money is an exact amount in one currency. The zero value is invalid.
type Money struct {
	Amount   decimal.Decimal
	Currency string
}

// wire is the JSON form: the amount is a string so that no JSON number
// rounding can change it on the way.
type wire struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// Parse reads amount as a decimal in currency and checks it against the
// currency's minor unit. "19.99" USD is valid; "1499.5" JPY is not.
func Parse(amount, currency string) (Money, error) {
	currency = strings.TrimSpace(currency)
	scale, ok := Scale(currency)
	if !ok {
		return Money{}, fmt.Errorf("currency %q is not supported: use an ISO 4217 code of an Amazon marketplace, such as USD, EUR, GBP or JPY", currency)
	}

	d, err := decimal.NewFromString(strings.TrimSpace(amount))
	if err != nil {
		return Money{}, fmt.Errorf("amount %q is not a decimal number: write it like \"19.99\"", amount)
	}
	if d.Exponent() < -scale && !d.Equal(d.Truncate(scale)) {
		return Money{}, fmt.Errorf("amount %q has more decimal places than %s allows (%d): round it to %s", amount, currency, scale, d.Round(scale).StringFixed(scale))
	}

	return Money{Amount: d.Truncate(scale), Currency: currency}, nil
}

// MustParse is Parse for constants in tests and seeds; it panics on error.
func MustParse(amount, currency string) Money {
	m, err := Parse(amount, currency)
	if err != nil {
		panic(err)
	}
	return m
}

// FromDecimal builds Money from a decimal read from Amazon, rounding to the
// currency's minor unit. It fails only for an unknown currency.
func FromDecimal(d decimal.Decimal, currency string) (Money, error) {
	scale, ok := Scale(currency)
	if !ok {
		return Money{}, fmt.Errorf("currency %q is not supported", currency)
	}
	return Money{Amount: d.Round(scale), Currency: currency}, nil
}

// String formats m as "19.99 USD", with exactly the currency's minor unit.
func (m Money) String() string {
	return m.Text() + " " + m.Currency
}

// Text formats the amount alone with exactly the currency's minor unit.
func (m Money) Text() string {
	scale, _ := Scale(m.Currency)
	return m.Amount.StringFixed(scale)
}

// Number returns the amount as a JSON number with the currency's scale, the
// form Amazon's listing attributes use (value_with_tax: 19.99).
func (m Money) Number() json.Number {
	return json.Number(m.Text())
}

// IsZero reports whether m is the zero value (no currency).
func (m Money) IsZero() bool { return m.Currency == "" }

// Equal reports whether m and o are the same amount in the same currency.
func (m Money) Equal(o Money) bool {
	return m.Currency == o.Currency && m.Amount.Equal(o.Amount)
}

// ChangePercent returns the change from m to to in percent of m, rounded to
// two places. It returns an error for different currencies or a zero base.
func (m Money) ChangePercent(to Money) (decimal.Decimal, error) {
	if m.Currency != to.Currency {
		return decimal.Decimal{}, fmt.Errorf("cannot compare %s with %s: currencies differ", m, to)
	}
	if m.Amount.IsZero() {
		return decimal.Decimal{}, fmt.Errorf("cannot compute a change from %s: the base amount is zero", m)
	}
	return to.Amount.Sub(m.Amount).Div(m.Amount).Mul(decimal.NewFromInt(100)).Round(2), nil
}

// MarshalJSON writes {"amount":"19.99","currency":"USD"}.
func (m Money) MarshalJSON() ([]byte, error) {
	if m.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(wire{Amount: m.Text(), Currency: m.Currency})
}

// UnmarshalJSON reads {"amount":"19.99","currency":"USD"} and validates the
// amount against the currency's minor unit. The amount may also be a JSON
// number.
func (m *Money) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = Money{}
		return nil
	}
	var raw struct {
		Amount   json.RawMessage `json:"amount"`
		Currency string          `json:"currency"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("money must be an object like {\"amount\":\"19.99\",\"currency\":\"USD\"}: %w", err)
	}
	amount := strings.Trim(string(raw.Amount), `"`)
	if amount == "" {
		return fmt.Errorf("money amount is missing: send {\"amount\":\"19.99\",\"currency\":\"USD\"}")
	}
	parsed, err := Parse(amount, raw.Currency)
	if err != nil {
		return err
	}
	*m = parsed
	return nil
}
