package spapi

import (
	"slices"
	"testing"
)

func TestMarketplaceRegion(t *testing.T) {
	cases := []struct {
		id     string
		region string
	}{
		{"ATVPDKIKX0DER", "na"},
		{"A2EUQ1WTGCTBG2", "na"},
		{"A1AM78C64UM0Y8", "na"},
		{"A2Q3Y263D00KWC", "na"},
		{"A28R8C7NBKEWEA", "eu"},
		{"A1RKKUPIHCS9HS", "eu"},
		{"A1F83G8C2ARO7P", "eu"},
		{"A13V1IB3VIYZZH", "eu"},
		{"AMEN7PMS3EDWL", "eu"},
		{"A1805IZSGTT6HS", "eu"},
		{"A1PA6795UKMFR9", "eu"},
		{"APJ6JRA9NG5V4", "eu"},
		{"A2NODRKZP88ZB9", "eu"},
		{"AE08WJ6YKNBMC", "eu"},
		{"A1C3SOZRARQ6R3", "eu"},
		{"A17E79C6D8DWNP", "eu"},
		{"ARBP9OOSHTCHU", "eu"},
		{"A33AVAJ2PDY3EV", "eu"},
		{"A2VIGQ35RCS4UG", "eu"},
		{"A21TJRUUN4KGV", "eu"},
		{"A19VAU5U5O7RUS", "fe"},
		{"A39IBJ37TRP1C6", "fe"},
		{"A1VC38T7YXB528", "fe"},
	}

	for _, c := range cases {
		region, ok := MarketplaceRegion(c.id)
		if !ok || region != c.region {
			t.Errorf("MarketplaceRegion(%s) = %q, %t; want %q, true", c.id, region, ok, c.region)
		}
	}
	if len(marketplaces) != len(cases) {
		t.Errorf("the table has %d marketplaces, the test checks %d", len(marketplaces), len(cases))
	}
}

func TestMarketplaceRegionUnknownID(t *testing.T) {
	for _, id := range []string{"", "A1EXAMPLE", "atvpdkikx0der", " ATVPDKIKX0DER"} {
		if region, ok := MarketplaceRegion(id); ok {
			t.Errorf("MarketplaceRegion(%q) = %q, true; want false", id, region)
		}
	}
}

func TestMarketplaceRegionsHaveEndpoints(t *testing.T) {
	for _, m := range marketplaces {
		if _, err := Endpoint(m.Region, false); err != nil {
			t.Errorf("marketplace %s: %v", m, err)
		}
	}
}

func TestRegionMarketplaces(t *testing.T) {
	var ids []string
	for _, m := range RegionMarketplaces(" FE ") {
		ids = append(ids, m.String())
	}

	want := []string{"A19VAU5U5O7RUS (SG)", "A39IBJ37TRP1C6 (AU)", "A1VC38T7YXB528 (JP)"}
	if !slices.Equal(ids, want) {
		t.Errorf("RegionMarketplaces(fe) = %v, want %v", ids, want)
	}
	if got := RegionMarketplaces("us"); got != nil {
		t.Errorf("RegionMarketplaces(us) = %v, want nil", got)
	}
}

func TestLookupMarketplace(t *testing.T) {
	m, ok := LookupMarketplace("A1F83G8C2ARO7P")

	if !ok {
		t.Fatal("LookupMarketplace(A1F83G8C2ARO7P) found nothing")
	}
	if m.CountryCode != "UK" || m.Region != "eu" {
		t.Errorf("LookupMarketplace(A1F83G8C2ARO7P) = %+v, want UK in eu", m)
	}
}
