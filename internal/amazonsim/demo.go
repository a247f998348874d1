package amazonsim

import "encoding/json"

// Demo credentials and ids. They are made up and work only against the
// simulator.
const (
	DemoSellerID     = "A1NOTERPDEMO01"
	DemoRefreshToken = "Atzr|noterp-demo-refresh-token"
	DemoClientID     = "amzn1.application-oa2-client.noterpdemo"
	DemoClientSecret = "noterp-demo-client-secret"
	// DemoSKU is a US listing at 24.99 USD.
	DemoSKU = "NOTERP-DEMO-001"
	// DemoJPSKU is a Japanese listing at 2980 JPY.
	DemoJPSKU = "NOTERP-DEMO-JP-001"
	// DemoSpecialSKU is a US listing whose SKU needs percent-encoding in a path.
	DemoSpecialSKU = "HC/BRUSH#2 PINK"
)

// Demo names the seeded seller, its main listing and the application
// credentials that get its access tokens.
type Demo struct {
	SellerID      string
	MarketplaceID string
	SKU           string
	RefreshToken  string
	ClientID      string
	ClientSecret  string
}

// SeedDemo registers the demo seller with four listings shaped like
// Amazon's examples. DemoSKU sells at 24.99 USD with a discount, a minimum
// and maximum price and merchant-fulfilled stock. NOTERP-DEMO-002 sells at
// 12.50 USD, DemoJPSKU at 2980 JPY in Japan and DemoSpecialSKU at 8.99 USD.
// Seeding again sets their attributes back to the seed values.
func (s *Server) SeedDemo() Demo {
	s.AddSeller(DemoSellerID, DemoRefreshToken)

	s.PutListing(DemoSellerID, DemoSKU, "LUGGAGE", map[string]json.RawMessage{
		"item_name":      json.RawMessage(`[{"value":"Hardside Carry-On Spinner Suitcase","language_tag":"en_US","marketplace_id":"ATVPDKIKX0DER"}]`),
		"condition_type": json.RawMessage(`[{"value":"new_new","marketplace_id":"ATVPDKIKX0DER"}]`),
		"purchasable_offer": json.RawMessage(`[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL",` +
			`"our_price":[{"schedule":[{"value_with_tax":24.99}]}],` +
			`"discounted_price":[{"schedule":[{"start_at":"2026-01-01T00:00:00Z","end_at":"2026-12-31T23:59:59Z","value_with_tax":22.99}]}],` +
			`"minimum_seller_allowed_price":[{"schedule":[{"value_with_tax":19.99}]}],` +
			`"maximum_seller_allowed_price":[{"schedule":[{"value_with_tax":39.99}]}]}]`),
		"fulfillment_availability": json.RawMessage(`[{"fulfillment_channel_code":"DEFAULT","quantity":42,"lead_time_to_ship_max_days":2,"marketplace_id":"ATVPDKIKX0DER"}]`),
	})

	s.PutListing(DemoSellerID, "NOTERP-DEMO-002", "PRODUCT", map[string]json.RawMessage{
		"item_name":                json.RawMessage(`[{"value":"Stainless Steel Water Bottle 750 ml","language_tag":"en_US","marketplace_id":"ATVPDKIKX0DER"}]`),
		"condition_type":           json.RawMessage(`[{"value":"new_new","marketplace_id":"ATVPDKIKX0DER"}]`),
		"purchasable_offer":        json.RawMessage(`[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":12.50}]}]}]`),
		"fulfillment_availability": json.RawMessage(`[{"fulfillment_channel_code":"DEFAULT","quantity":120,"marketplace_id":"ATVPDKIKX0DER"}]`),
	})

	s.PutListing(DemoSellerID, DemoJPSKU, "PRODUCT", map[string]json.RawMessage{
		"item_name":      json.RawMessage(`[{"value":"ステンレス製ボトル 500ml","language_tag":"ja_JP","marketplace_id":"A1VC38T7YXB528"}]`),
		"condition_type": json.RawMessage(`[{"value":"new_new","marketplace_id":"A1VC38T7YXB528"}]`),
		"purchasable_offer": json.RawMessage(`[{"marketplace_id":"A1VC38T7YXB528","currency":"JPY","audience":"ALL",` +
			`"our_price":[{"schedule":[{"value_with_tax":2980}]}],` +
			`"minimum_seller_allowed_price":[{"schedule":[{"value_with_tax":2500}]}],` +
			`"maximum_seller_allowed_price":[{"schedule":[{"value_with_tax":4000}]}]}]`),
		"fulfillment_availability": json.RawMessage(`[{"fulfillment_channel_code":"DEFAULT","quantity":15,"lead_time_to_ship_max_days":3,"marketplace_id":"A1VC38T7YXB528"}]`),
	})

	s.PutListing(DemoSellerID, DemoSpecialSKU, "PRODUCT", map[string]json.RawMessage{
		"item_name":                json.RawMessage(`[{"value":"Hair Brush No. 2, Pink","language_tag":"en_US","marketplace_id":"ATVPDKIKX0DER"}]`),
		"condition_type":           json.RawMessage(`[{"value":"new_new","marketplace_id":"ATVPDKIKX0DER"}]`),
		"purchasable_offer":        json.RawMessage(`[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":8.99}]}]}]`),
		"fulfillment_availability": json.RawMessage(`[{"fulfillment_channel_code":"DEFAULT","quantity":7,"marketplace_id":"ATVPDKIKX0DER"}]`),
	})

	return Demo{
		SellerID:      DemoSellerID,
		MarketplaceID: MarketplaceUS,
		SKU:           DemoSKU,
		RefreshToken:  DemoRefreshToken,
		ClientID:      s.clientID,
		ClientSecret:  s.clientSecret,
	}
}
