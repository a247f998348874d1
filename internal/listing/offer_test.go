package listing

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/noterp/noterp/internal/money"
)

// offer has a B2C and a B2B offer for the US, a discount, price bounds and
// a field NotERP does not know, all of which a price change must keep.
const offer = `[
 {"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL",
  "our_price":[{"schedule":[{"value_with_tax":24.99}]}],
  "discounted_price":[{"schedule":[{"start_at":"2026-11-01T00:00:00Z","end_at":"2026-12-31T00:00:00Z","value_with_tax":19.99}]}],
  "minimum_seller_allowed_price":[{"schedule":[{"value_with_tax":10.00}]}],
  "maximum_seller_allowed_price":[{"schedule":[{"value_with_tax":40.00}]}],
  "future_field":{"kept":true}},
 {"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"B2B",
  "our_price":[{"schedule":[{"value_with_tax":23.50}]}],
  "quantity_discount_plan":[{"schedule":[{"discount_type":"percent","levels":[{"lower_bound":5,"value":3}]}]}]}
]`

func TestOurPriceReadsB2COffer(t *testing.T) {
	got, err := OurPrice(json.RawMessage(offer), "ATVPDKIKX0DER")
	if err != nil {
		t.Fatal(err)
	}
	if want := money.MustParse("24.99", "USD"); !got.Equal(want) {
		t.Fatalf("OurPrice = %s, want %s", got, want)
	}
}

func TestOurPriceAcceptsStringValue(t *testing.T) {
	attr := `[{"marketplace_id":"A1VC38T7YXB528","currency":"JPY","our_price":[{"schedule":[{"value_with_tax":"1500"}]}]}]`
	got, err := OurPrice(json.RawMessage(attr), "A1VC38T7YXB528")
	if err != nil || got.String() != "1500 JPY" {
		t.Fatalf("OurPrice = %s, %v; want 1500 JPY", got, err)
	}
}

func TestOurPriceMissingOffer(t *testing.T) {
	for name, attr := range map[string]string{
		"other marketplace": offer,
		"empty":             ``,
		"no our_price":      `[{"marketplace_id":"A1PA6795UKMFR9","currency":"EUR"}]`,
	} {
		_, err := OurPrice(json.RawMessage(attr), "A1PA6795UKMFR9")
		if !errors.Is(err, ErrOfferNotFound) {
			t.Errorf("%s: error = %v, want ErrOfferNotFound", name, err)
		}
	}
}

func TestSetOurPriceKeepsEverythingElse(t *testing.T) {
	out, err := SetOurPrice(json.RawMessage(offer), "ATVPDKIKX0DER", money.MustParse("22.5", "USD"))
	if err != nil {
		t.Fatal(err)
	}

	want := strings.Replace(offer, `"value_with_tax":24.99`, `"value_with_tax":22.50`, 1)
	if !Equal(out, json.RawMessage(want)) {
		t.Fatalf("SetOurPrice =\n%s\nwant\n%s", out, want)
	}
	if !strings.Contains(string(out), `"value_with_tax":22.50`) {
		t.Errorf("price not written with the currency's scale: %s", out)
	}
}

func TestSetOurPriceRejectsOtherCurrency(t *testing.T) {
	_, err := SetOurPrice(json.RawMessage(offer), "ATVPDKIKX0DER", money.MustParse("22", "EUR"))
	if err == nil || !strings.Contains(err.Error(), `priced in "USD"`) {
		t.Fatalf("error = %v, want currency mismatch", err)
	}
}

func TestEqualIgnoresFormatting(t *testing.T) {
	a := `[{"a":1.50,"b":[2]}]`
	b := "[ { \"b\": [2.0], \"a\": 1.5 } ]"
	if !Equal(json.RawMessage(a), json.RawMessage(b)) {
		t.Error("equal data compared unequal")
	}
	if Equal(json.RawMessage(a), json.RawMessage(`[{"a":1.51,"b":[2]}]`)) {
		t.Error("different prices compared equal")
	}
	if Equal(json.RawMessage(a), json.RawMessage(`not json`)) {
		t.Error("invalid JSON compared equal")
	}
}
