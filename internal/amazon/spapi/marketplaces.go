package spapi

import "strings"

// Marketplace is an Amazon marketplace and the SP-API region whose host
// serves it.
type Marketplace struct {
	// ID is Amazon's marketplace id, such as ATVPDKIKX0DER.
	ID string
	// CountryCode is Amazon's code for the marketplace's country, such as
	// US. Amazon writes UK, not the ISO code GB, for the United Kingdom.
	CountryCode string
	// Region is na, eu or fe, as Endpoint accepts it.
	Region string
}

// String returns the id followed by the country code, such as
// "ATVPDKIKX0DER (US)".
func (m Marketplace) String() string {
	return m.ID + " (" + m.CountryCode + ")"
}

// marketplaces lists every marketplace in Amazon's SP-API marketplace id
// table (https://developer-docs.amazon.com/sp-api/docs/marketplace-ids), in
// that table's order.
// NOTE: a marketplace that Amazon opens later is unknown here until it is
// added to this list.
var marketplaces = []Marketplace{
	{"A2EUQ1WTGCTBG2", "CA", "na"},
	{"ATVPDKIKX0DER", "US", "na"},
	{"A1AM78C64UM0Y8", "MX", "na"},
	{"A2Q3Y263D00KWC", "BR", "na"},

	{"A28R8C7NBKEWEA", "IE", "eu"},
	{"A1RKKUPIHCS9HS", "ES", "eu"},
	{"A1F83G8C2ARO7P", "UK", "eu"},
	{"A13V1IB3VIYZZH", "FR", "eu"},
	{"AMEN7PMS3EDWL", "BE", "eu"},
	{"A1805IZSGTT6HS", "NL", "eu"},
	{"A1PA6795UKMFR9", "DE", "eu"},
	{"APJ6JRA9NG5V4", "IT", "eu"},
	{"A2NODRKZP88ZB9", "SE", "eu"},
	{"AE08WJ6YKNBMC", "ZA", "eu"},
	{"A1C3SOZRARQ6R3", "PL", "eu"},
	{"ARBP9OOSHTCHU", "EG", "eu"},
	{"A33AVAJ2PDY3EV", "TR", "eu"},
	{"A17E79C6D8DWNP", "SA", "eu"},
	{"A2VIGQ35RCS4UG", "AE", "eu"},
	{"A21TJRUUN4KGV", "IN", "eu"},

	{"A19VAU5U5O7RUS", "SG", "fe"},
	{"A39IBJ37TRP1C6", "AU", "fe"},
	{"A1VC38T7YXB528", "JP", "fe"},
}

// LookupMarketplace returns the marketplace with marketplaceID, and false
// when Amazon's table has no such id. Ids are case-sensitive.
func LookupMarketplace(marketplaceID string) (Marketplace, bool) {
	for _, m := range marketplaces {
		if m.ID == marketplaceID {
			return m, true
		}
	}
	return Marketplace{}, false
}

// MarketplaceRegion returns the SP-API region (na, eu or fe) whose host
// serves marketplaceID, and false when Amazon's table has no such id.
func MarketplaceRegion(marketplaceID string) (string, bool) {
	m, ok := LookupMarketplace(marketplaceID)
	return m.Region, ok
}

// RegionMarketplaces returns the marketplaces of region ("na", "eu" or "fe",
// in any case) in the order of Amazon's table, or nil for an unknown region.
func RegionMarketplaces(region string) []Marketplace {
	region = strings.ToLower(strings.TrimSpace(region))

	var inRegion []Marketplace
	for _, m := range marketplaces {
		if m.Region == region {
			inRegion = append(inRegion, m)
		}
	}
	return inRegion
}
