// Package listing reads and edits the purchasable_offer attribute of an
// Amazon listing. A price change is a read-modify-write of the whole
// attribute: Amazon's "replace" operation replaces every offer of the
// listing, so the discounted price, the minimum and maximum seller prices,
// B2B offers and fields NotERP does not know must be sent back as read.
package listing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/noterp/noterp/internal/money"
)

// AttributePurchasableOffer is the listing attribute that carries prices.
const AttributePurchasableOffer = "purchasable_offer"

// AudienceAll is the audience of the ordinary (B2C) offer.
const AudienceAll = "ALL"

// ErrOfferNotFound means the attribute has no B2C offer for the marketplace.
var ErrOfferNotFound = errors.New("no B2C offer in purchasable_offer")

// decodeOffers parses the attribute value, keeping numbers exact.
func decodeOffers(attr json.RawMessage) ([]map[string]any, error) {
	if len(bytes.TrimSpace(attr)) == 0 {
		return nil, fmt.Errorf("%w: the attribute is missing", ErrOfferNotFound)
	}
	dec := json.NewDecoder(bytes.NewReader(attr))
	dec.UseNumber()
	var offers []map[string]any
	if err := dec.Decode(&offers); err != nil {
		return nil, fmt.Errorf("purchasable_offer is not an array of objects: %w", err)
	}
	return offers, nil
}

// findOffer returns the index of the B2C offer for marketplaceID. An offer
// without an audience counts as B2C, as Amazon defaults it to ALL.
func findOffer(offers []map[string]any, marketplaceID string) int {
	for i, o := range offers {
		mp, _ := o["marketplace_id"].(string)
		audience, _ := o["audience"].(string)
		if mp == marketplaceID && (audience == "" || audience == AudienceAll) {
			return i
		}
	}
	return -1
}

// schedule returns our_price[0].schedule[0] of an offer.
func schedule(offer map[string]any) (map[string]any, error) {
	prices, _ := offer["our_price"].([]any)
	if len(prices) == 0 {
		return nil, fmt.Errorf("%w: the offer has no our_price", ErrOfferNotFound)
	}
	price, _ := prices[0].(map[string]any)
	schedules, _ := price["schedule"].([]any)
	if len(schedules) == 0 {
		return nil, fmt.Errorf("%w: our_price has no schedule", ErrOfferNotFound)
	}
	s, ok := schedules[0].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: our_price schedule is not an object", ErrOfferNotFound)
	}
	return s, nil
}

// OurPrice reads the B2C price (our_price value_with_tax) for marketplaceID.
// Amazon returns the value as a JSON number; a string is accepted too.
func OurPrice(attr json.RawMessage, marketplaceID string) (money.Money, error) {
	offers, err := decodeOffers(attr)
	if err != nil {
		return money.Money{}, err
	}
	i := findOffer(offers, marketplaceID)
	if i < 0 {
		return money.Money{}, fmt.Errorf("%w for marketplace %s", ErrOfferNotFound, marketplaceID)
	}
	currency, _ := offers[i]["currency"].(string)
	s, err := schedule(offers[i])
	if err != nil {
		return money.Money{}, fmt.Errorf("marketplace %s: %w", marketplaceID, err)
	}

	amount, err := decimalOf(s["value_with_tax"])
	if err != nil {
		return money.Money{}, fmt.Errorf("marketplace %s: our_price value_with_tax: %w", marketplaceID, err)
	}
	return money.FromDecimal(amount, currency)
}

// SetOurPrice returns attr with the B2C price for marketplaceID set to
// target and every other field and offer unchanged. The price is written as
// a JSON number with the currency's minor unit.
func SetOurPrice(attr json.RawMessage, marketplaceID string, target money.Money) (json.RawMessage, error) {
	offers, err := decodeOffers(attr)
	if err != nil {
		return nil, err
	}
	i := findOffer(offers, marketplaceID)
	if i < 0 {
		return nil, fmt.Errorf("%w for marketplace %s", ErrOfferNotFound, marketplaceID)
	}
	if currency, _ := offers[i]["currency"].(string); currency != target.Currency {
		return nil, fmt.Errorf("the offer for marketplace %s is priced in %q, not %s: propose the price in %s", marketplaceID, currency, target.Currency, currency)
	}
	s, err := schedule(offers[i])
	if err != nil {
		return nil, fmt.Errorf("marketplace %s: %w", marketplaceID, err)
	}

	s["value_with_tax"] = target.Number()
	out, err := json.Marshal(offers)
	if err != nil {
		return nil, fmt.Errorf("encode purchasable_offer: %w", err)
	}
	return out, nil
}

// Equal reports whether two attribute values are the same data: key order,
// white space and the spelling of numbers (24.9 and 24.90) do not count.
func Equal(a, b json.RawMessage) bool {
	na, errA := normalize(a)
	nb, errB := normalize(b)
	if errA != nil || errB != nil {
		return false
	}
	return bytes.Equal(na, nb)
}

// normalize re-encodes v with sorted keys and numbers in canonical decimal form.
func normalize(v json.RawMessage) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	return json.Marshal(canonical(x))
}

func canonical(x any) any {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			t[k] = canonical(v)
		}
		return t
	case []any:
		for i, v := range t {
			t[i] = canonical(v)
		}
		return t
	case json.Number:
		if d, err := decimal.NewFromString(string(t)); err == nil {
			return json.Number(d.String())
		}
		return t
	}
	return x
}

func decimalOf(v any) (decimal.Decimal, error) {
	switch t := v.(type) {
	case json.Number:
		return decimal.NewFromString(string(t))
	case string:
		return decimal.NewFromString(t)
	case nil:
		return decimal.Decimal{}, errors.New("missing")
	}
	return decimal.Decimal{}, fmt.Errorf("unexpected value %v", v)
}
