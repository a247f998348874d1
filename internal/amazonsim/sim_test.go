package amazonsim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for the simulator.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness is a seeded simulator behind an httptest server.
type harness struct {
	t      *testing.T
	sim    *Server
	clock  *clock
	server *httptest.Server
	token  string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, clock: &clock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}}
	h.sim = New(Config{Now: h.clock.Now})
	h.sim.SeedDemo()
	h.server = httptest.NewServer(h.sim.Handler())
	t.Cleanup(h.server.Close)
	h.token = h.accessToken(DemoRefreshToken)
	return h
}

// result is a received HTTP response.
type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (h *harness) do(method, path, contentType, body string, header map[string]string) result {
	h.t.Helper()
	req, err := http.NewRequest(method, h.server.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatalf("build request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for key, value := range header {
		req.Header.Set(key, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: data}
}

func (h *harness) tokenRequest(form url.Values) result {
	h.t.Helper()
	return h.do(http.MethodPost, "/auth/o2/token", "application/x-www-form-urlencoded", form.Encode(), nil)
}

func (h *harness) accessToken(refreshToken string) string {
	h.t.Helper()
	res := h.tokenRequest(url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
		"client_id": {DemoClientID}, "client_secret": {DemoClientSecret},
	})
	if res.status != http.StatusOK {
		h.t.Fatalf("token: HTTP %d %s", res.status, res.body)
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	res.decode(h.t, &body)
	return body.AccessToken
}

func itemPath(sellerID, sku string) string {
	return "/listings/2021-08-01/items/" + url.PathEscape(sellerID) + "/" + url.PathEscape(sku)
}

func (h *harness) get(sku, query string) result {
	h.t.Helper()
	return h.do(http.MethodGet, itemPath(DemoSellerID, sku)+"?"+query, "", "", map[string]string{"x-amz-access-token": h.token})
}

func (h *harness) patch(sku, query, body string) result {
	h.t.Helper()
	return h.do(http.MethodPatch, itemPath(DemoSellerID, sku)+"?"+query, "application/json", body, map[string]string{"x-amz-access-token": h.token})
}

func TestTokenGrantFormAndJSON(t *testing.T) {
	h := newHarness(t)

	jsonBody := `{"grant_type":"refresh_token","refresh_token":"` + DemoRefreshToken + `","client_id":"` + DemoClientID + `","client_secret":"` + DemoClientSecret + `"}`
	res := h.do(http.MethodPost, "/auth/o2/token", "application/json", jsonBody, nil)
	if res.status != http.StatusOK {
		t.Fatalf("JSON grant: HTTP %d %s, want 200", res.status, res.body)
	}
	var body struct {
		AccessToken  string `json:"access_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int    `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
	}
	res.decode(t, &body)
	if !strings.HasPrefix(body.AccessToken, "Atza|") || body.TokenType != "bearer" || body.ExpiresIn != 3600 || body.RefreshToken != DemoRefreshToken {
		t.Errorf("token body = %+v, want Atza| token, bearer, 3600 s and the refresh token", body)
	}
	if h.token == "" || h.token == body.AccessToken {
		t.Errorf("form grant token %q, JSON grant token %q: want two distinct tokens", h.token, body.AccessToken)
	}
}

func TestTokenGrantErrors(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantError  string
	}{
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"Atzr|unknown"}, "client_id": {DemoClientID}, "client_secret": {DemoClientSecret}}, 400, "invalid_grant"},
		{"wrong client secret", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {DemoRefreshToken}, "client_id": {DemoClientID}, "client_secret": {"stale"}}, 401, "invalid_client"},
		{"wrong client id", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {DemoRefreshToken}, "client_id": {"other"}, "client_secret": {DemoClientSecret}}, 401, "invalid_client"},
		{"missing refresh token", url.Values{"grant_type": {"refresh_token"}, "client_id": {DemoClientID}, "client_secret": {DemoClientSecret}}, 400, "invalid_request"},
		{"authorization code grant", url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "client_id": {DemoClientID}, "client_secret": {DemoClientSecret}}, 400, "unsupported_grant_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := h.tokenRequest(tc.form)
			var body oauthError
			res.decode(t, &body)
			if res.status != tc.wantStatus || body.Error != tc.wantError {
				t.Errorf("HTTP %d %q, want %d %q", res.status, body.Error, tc.wantStatus, tc.wantError)
			}
		})
	}
}

func TestRevokedSellerGetsInvalidGrantAndLosesTokens(t *testing.T) {
	h := newHarness(t)
	h.sim.RevokeSeller(DemoSellerID)

	res := h.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {DemoRefreshToken}, "client_id": {DemoClientID}, "client_secret": {DemoClientSecret}})
	if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "invalid_grant") {
		t.Errorf("refresh after revoke: HTTP %d %s, want 400 invalid_grant", res.status, res.body)
	}
	get := h.get(DemoSKU, "marketplaceIds="+MarketplaceUS)
	if get.status != http.StatusForbidden || !strings.Contains(string(get.body), "revoked, malformed or invalid") {
		t.Errorf("GET with old token: HTTP %d %s, want 403 revoked", get.status, get.body)
	}
}

func TestGetListingsItemIncludedData(t *testing.T) {
	h := newHarness(t)

	res := h.get(DemoSKU, "marketplaceIds="+MarketplaceUS+"&includedData=summaries,attributes,offers,fulfillmentAvailability,issues")
	if res.status != http.StatusOK {
		t.Fatalf("HTTP %d %s, want 200", res.status, res.body)
	}
	var item struct {
		SKU       string `json:"sku"`
		Summaries []struct {
			MarketplaceID, ProductType, ItemName, ConditionType string
			Status                                              []string
		} `json:"summaries"`
		Attributes map[string]json.RawMessage `json:"attributes"`
		Offers     []struct {
			MarketplaceID string `json:"marketplaceId"`
			OfferType     string `json:"offerType"`
			Price         struct{ CurrencyCode, Amount string }
		} `json:"offers"`
		FulfillmentAvailability []struct {
			FulfillmentChannelCode string `json:"fulfillmentChannelCode"`
			Quantity               int    `json:"quantity"`
		} `json:"fulfillmentAvailability"`
		Issues []json.RawMessage `json:"issues"`
	}
	res.decode(t, &item)

	if item.SKU != DemoSKU {
		t.Errorf("sku = %q, want %q", item.SKU, DemoSKU)
	}
	if len(item.Summaries) != 1 || item.Summaries[0].ProductType != "LUGGAGE" || item.Summaries[0].ConditionType != "new_new" {
		t.Errorf("summaries = %+v, want one LUGGAGE new_new summary", item.Summaries)
	}
	if len(item.Offers) != 1 || item.Offers[0].Price.Amount != "24.99" || item.Offers[0].Price.CurrencyCode != "USD" || item.Offers[0].OfferType != "B2C" {
		t.Errorf("offers = %+v, want one B2C offer at 24.99 USD", item.Offers)
	}
	if len(item.FulfillmentAvailability) != 1 || item.FulfillmentAvailability[0].Quantity != 42 {
		t.Errorf("fulfillmentAvailability = %+v, want DEFAULT 42", item.FulfillmentAvailability)
	}
	if _, ok := item.Attributes["purchasable_offer"]; !ok {
		t.Errorf("attributes = %v, want purchasable_offer", item.Attributes)
	}
	if item.Issues == nil {
		t.Errorf("issues missing, want an empty array")
	}
	if res.header.Get("x-amzn-RateLimit-Limit") != "5.0" || res.header.Get("x-amzn-RequestId") == "" {
		t.Errorf("headers = %v, want rate limit 5.0 and a request id", res.header)
	}
}

func TestGetListingsItemDefaultsToSummaries(t *testing.T) {
	h := newHarness(t)

	res := h.get(DemoSKU, "marketplaceIds="+MarketplaceUS)

	var item map[string]json.RawMessage
	res.decode(t, &item)
	if _, ok := item["summaries"]; !ok {
		t.Errorf("item %s has no summaries, want them by default", res.body)
	}
	if _, ok := item["attributes"]; ok {
		t.Errorf("item %s has attributes, want only summaries", res.body)
	}
}

func TestGetListingsItemSpecialCharacterSKU(t *testing.T) {
	h := newHarness(t)

	res := h.get(DemoSpecialSKU, "marketplaceIds="+MarketplaceUS+"&includedData=offers")

	if res.status != http.StatusOK || !strings.Contains(string(res.body), `"amount":"8.99"`) {
		t.Errorf("HTTP %d %s, want 200 with the 8.99 offer", res.status, res.body)
	}
}

func TestGetListingsItemErrors(t *testing.T) {
	h := newHarness(t)
	other := h.sim
	other.AddSeller("A2OTHERSELLER", "Atzr|other")
	otherToken := h.accessToken("Atzr|other")

	cases := []struct {
		name        string
		path        string
		token       string
		wantStatus  int
		wantText    string
		wantRateHdr bool
	}{
		{"unknown SKU", itemPath(DemoSellerID, "NOPE") + "?marketplaceIds=" + MarketplaceUS, h.token, 404, "NOT_FOUND", true},
		{"other marketplace", itemPath(DemoSellerID, DemoSKU) + "?marketplaceIds=A1PA6795UKMFR9", h.token, 404, "NOT_FOUND", true},
		{"missing marketplaceIds", itemPath(DemoSellerID, DemoSKU), h.token, 400, "marketplaceIds", true},
		{"unknown includedData", itemPath(DemoSellerID, DemoSKU) + "?marketplaceIds=" + MarketplaceUS + "&includedData=prices", h.token, 400, "prices", true},
		{"missing token", itemPath(DemoSellerID, DemoSKU) + "?marketplaceIds=" + MarketplaceUS, "", 403, "Access token is missing", false},
		{"malformed token", itemPath(DemoSellerID, DemoSKU) + "?marketplaceIds=" + MarketplaceUS, "Atza|made-up", 403, "revoked, malformed or invalid", false},
		{"token of another seller", itemPath(DemoSellerID, DemoSKU) + "?marketplaceIds=" + MarketplaceUS, otherToken, 403, "Unauthorized", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := h.do(http.MethodGet, tc.path, "", "", map[string]string{"x-amz-access-token": tc.token})
			if res.status != tc.wantStatus || !strings.Contains(string(res.body), tc.wantText) {
				t.Errorf("HTTP %d %s, want %d containing %q", res.status, res.body, tc.wantStatus, tc.wantText)
			}
			if got := res.header.Get("x-amzn-RateLimit-Limit") != ""; got != tc.wantRateHdr {
				t.Errorf("rate limit header present = %v, want %v", got, tc.wantRateHdr)
			}
		})
	}
}

func TestAccessTokenExpires(t *testing.T) {
	h := newHarness(t)
	h.clock.Advance(time.Hour)

	res := h.get(DemoSKU, "marketplaceIds="+MarketplaceUS)

	if res.status != http.StatusForbidden || !strings.Contains(string(res.body), "The access token you provided has expired.") {
		t.Errorf("HTTP %d %s, want 403 expired", res.status, res.body)
	}
}

const priceReplace = `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/purchasable_offer","value":[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":26.59}]}]}]}]}`

func TestReplaceAppliesAfterDelayAndDropsSiblings(t *testing.T) {
	h := newHarness(t)

	res := h.patch(DemoSKU, "marketplaceIds="+MarketplaceUS, priceReplace)
	var submission submissionResponse
	res.decode(t, &submission)
	if res.status != http.StatusOK || submission.Status != "ACCEPTED" || submission.SubmissionID == "" {
		t.Fatalf("HTTP %d %s, want 200 ACCEPTED with a submission id", res.status, res.body)
	}

	state, _ := h.sim.Listing(DemoSellerID, DemoSKU)
	if state.Writes != 1 || state.PendingWrites != 1 || !strings.Contains(string(state.Attributes["purchasable_offer"]), "24.99") {
		t.Errorf("before the delay: writes %d, pending %d, offer %s; want 1, 1 and the old price", state.Writes, state.PendingWrites, state.Attributes["purchasable_offer"])
	}

	h.clock.Advance(DefaultApplyDelay)
	state, _ = h.sim.Listing(DemoSellerID, DemoSKU)
	offer := string(state.Attributes["purchasable_offer"])
	if state.PendingWrites != 0 || !strings.Contains(offer, "26.59") {
		t.Errorf("after the delay: pending %d, offer %s; want 0 and 26.59", state.PendingWrites, offer)
	}
	if strings.Contains(offer, "minimum_seller_allowed_price") || strings.Contains(offer, "discounted_price") {
		t.Errorf("offer %s kept fields the replace did not resend; Amazon drops them", offer)
	}
}

func TestMergeKeepsOtherFields(t *testing.T) {
	h := newHarness(t)
	body := `{"productType":"LUGGAGE","patches":[{"op":"merge","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":10}]}]}`

	res := h.patch(DemoSKU, "marketplaceIds="+MarketplaceUS, body)
	h.clock.Advance(DefaultApplyDelay)

	if res.status != http.StatusOK || !strings.Contains(string(res.body), "ACCEPTED") {
		t.Fatalf("HTTP %d %s, want ACCEPTED", res.status, res.body)
	}
	state, _ := h.sim.Listing(DemoSellerID, DemoSKU)
	var availability []map[string]any
	if err := json.Unmarshal(state.Attributes["fulfillment_availability"], &availability); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(availability) != 1 || availability[0]["quantity"] != 10.0 || availability[0]["lead_time_to_ship_max_days"] != 2.0 {
		t.Errorf("fulfillment_availability = %v, want quantity 10 with lead time 2 kept", availability)
	}
}

func TestDeleteRemovesAttribute(t *testing.T) {
	h := newHarness(t)
	body := `{"productType":"LUGGAGE","patches":[{"op":"delete","path":"/attributes/condition_type"}]}`

	h.patch(DemoSKU, "marketplaceIds="+MarketplaceUS, body)
	h.clock.Advance(DefaultApplyDelay)

	state, _ := h.sim.Listing(DemoSellerID, DemoSKU)
	if _, ok := state.Attributes["condition_type"]; ok {
		t.Errorf("condition_type still present after delete")
	}
}

func TestValidationPreviewDoesNotPersist(t *testing.T) {
	h := newHarness(t)

	res := h.patch(DemoSKU, "marketplaceIds="+MarketplaceUS+"&mode=VALIDATION_PREVIEW&includedData=issues,identifiers", priceReplace)
	h.clock.Advance(DefaultApplyDelay)

	var submission submissionResponse
	res.decode(t, &submission)
	if submission.Status != "VALID" || len(submission.Identifiers) != 1 {
		t.Errorf("submission = %+v, want VALID with one identifier", submission)
	}
	state, _ := h.sim.Listing(DemoSellerID, DemoSKU)
	if state.Writes != 0 || !strings.Contains(string(state.Attributes["purchasable_offer"]), "24.99") {
		t.Errorf("writes %d, offer %s; want 0 and the old price", state.Writes, state.Attributes["purchasable_offer"])
	}
}

func TestInvalidPatchesAnswerInvalid(t *testing.T) {
	cases := []struct {
		name         string
		sku          string
		body         string
		wantCategory string
		wantText     string
	}{
		{"zero price", DemoSKU, strings.Replace(priceReplace, "26.59", "0", 1), categoryInvalidPrice, "greater than 0"},
		{"negative price", DemoSKU, strings.Replace(priceReplace, "26.59", "-1", 1), categoryInvalidPrice, "greater than 0"},
		{"price not a number", DemoSKU, strings.Replace(priceReplace, "26.59", "true", 1), categoryInvalidPrice, "not a number"},
		{"wrong currency", DemoSKU, strings.Replace(priceReplace, `"USD"`, `"EUR"`, 1), categoryInvalidAttribute, "currency"},
		{"marketplace not in request", DemoSKU, strings.Replace(priceReplace, `"marketplace_id":"ATVPDKIKX0DER"`, `"marketplace_id":"A1PA6795UKMFR9"`, 1), categoryInvalidAttribute, "marketplace_id"},
		{"too many decimals for USD", DemoSKU, strings.Replace(priceReplace, "26.59", "26.599", 1), categoryInvalidPrice, "decimal places"},
		{"camelCase attribute", DemoSKU, `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillmentAvailability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":1}]}]}`, categoryInvalidAttribute, "fulfillmentAvailability"},
		{"nested attribute path", DemoSKU, `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/purchasable_offer/0/our_price","value":[{"schedule":[]}]}]}`, categoryInvalidAttribute, "top-level"},
		{"missing channel code", DemoSKU, `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"quantity":1}]}]}`, categoryMissingAttribute, "fulfillment_channel_code"},
		{"negative quantity", DemoSKU, `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/fulfillment_availability","value":[{"fulfillment_channel_code":"DEFAULT","quantity":-3}]}]}`, categoryInvalidAttribute, "quantity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)

			res := h.patch(tc.sku, "marketplaceIds="+MarketplaceUS, tc.body)

			var submission submissionResponse
			res.decode(t, &submission)
			if res.status != http.StatusOK || submission.Status != "INVALID" || len(submission.Issues) == 0 {
				t.Fatalf("HTTP %d %s, want 200 INVALID with issues", res.status, res.body)
			}
			got := submission.Issues[0]
			if got.Code != invalidAttributesCode || got.Severity != "ERROR" || len(got.Categories) != 1 || got.Categories[0] != tc.wantCategory || !strings.Contains(got.Message, tc.wantText) {
				t.Errorf("issue = %+v, want code %s, ERROR, category %s and a message with %q", got, invalidAttributesCode, tc.wantCategory, tc.wantText)
			}
			if state, _ := h.sim.Listing(DemoSellerID, DemoSKU); state.Writes != 0 {
				t.Errorf("writes = %d, want 0 for an INVALID submission", state.Writes)
			}
		})
	}
}

func TestJapaneseYenPriceMustBeWhole(t *testing.T) {
	h := newHarness(t)
	body := `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/purchasable_offer","value":[{"marketplace_id":"A1VC38T7YXB528","currency":"JPY","our_price":[{"schedule":[{"value_with_tax":1499.5}]}]}]}]}`

	invalid := h.patch(DemoJPSKU, "marketplaceIds="+MarketplaceJP, body)
	valid := h.patch(DemoJPSKU, "marketplaceIds="+MarketplaceJP, strings.Replace(body, "1499.5", "1499", 1))

	if !strings.Contains(string(invalid.body), `"status":"INVALID"`) {
		t.Errorf("1499.5 JPY: %s, want INVALID", invalid.body)
	}
	if !strings.Contains(string(valid.body), `"status":"ACCEPTED"`) {
		t.Errorf("1499 JPY: %s, want ACCEPTED", valid.body)
	}
}

func TestMalformedPatchesAnswer400(t *testing.T) {
	cases := []struct {
		name, query, body string
	}{
		{"not JSON", "marketplaceIds=" + MarketplaceUS, `{`},
		{"missing productType", "marketplaceIds=" + MarketplaceUS, `{"patches":[{"op":"delete","path":"/attributes/item_name"}]}`},
		{"empty patches", "marketplaceIds=" + MarketplaceUS, `{"productType":"PRODUCT","patches":[]}`},
		{"unknown op", "marketplaceIds=" + MarketplaceUS, `{"productType":"PRODUCT","patches":[{"op":"move","path":"/attributes/item_name","value":[{}]}]}`},
		{"path outside attributes", "marketplaceIds=" + MarketplaceUS, `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/productType","value":[{}]}]}`},
		{"value not an array", "marketplaceIds=" + MarketplaceUS, `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/item_name","value":{"value":"x"}}]}`},
		{"replace without value", "marketplaceIds=" + MarketplaceUS, `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/item_name"}]}`},
		{"missing marketplaceIds", "", priceReplace},
		{"unknown mode", "marketplaceIds=" + MarketplaceUS + "&mode=DRY_RUN", priceReplace},
		{"identifiers without preview", "marketplaceIds=" + MarketplaceUS + "&includedData=identifiers", priceReplace},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)

			res := h.patch(DemoSKU, tc.query, tc.body)

			if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "InvalidInput") {
				t.Errorf("HTTP %d %s, want 400 InvalidInput", res.status, res.body)
			}
		})
	}
}

func TestPatchRequiresJSONContentType(t *testing.T) {
	h := newHarness(t)

	res := h.do(http.MethodPatch, itemPath(DemoSellerID, DemoSKU)+"?marketplaceIds="+MarketplaceUS, "text/plain", priceReplace, map[string]string{"x-amz-access-token": h.token})

	if res.status != http.StatusUnsupportedMediaType {
		t.Errorf("HTTP %d, want 415", res.status)
	}
}

func TestPatchOfUnknownSKUIsInvalid(t *testing.T) {
	h := newHarness(t)

	res := h.patch("NO-SUCH-SKU", "marketplaceIds="+MarketplaceUS, priceReplace)

	if res.status != http.StatusOK || !strings.Contains(string(res.body), `"status":"INVALID"`) {
		t.Errorf("HTTP %d %s, want 200 INVALID", res.status, res.body)
	}
}

func TestTokenBucketsPerSellerAndOperation(t *testing.T) {
	h := newHarness(t)
	query := "marketplaceIds=" + MarketplaceUS

	for i := range 10 {
		if res := h.get(DemoSKU, query); res.status != http.StatusOK {
			t.Fatalf("GET %d: HTTP %d, want 200 within the burst of 10", i+1, res.status)
		}
	}
	throttled := h.get(DemoSKU, query)
	if throttled.status != http.StatusTooManyRequests || !strings.Contains(string(throttled.body), "QuotaExceeded") {
		t.Errorf("GET 11: HTTP %d %s, want 429 QuotaExceeded", throttled.status, throttled.body)
	}
	if throttled.header.Get("x-amzn-RateLimit-Limit") != "" {
		t.Errorf("429 carries x-amzn-RateLimit-Limit; Amazon sends none on 429")
	}

	for i := range 5 {
		if res := h.patch(DemoSKU, query+"&mode=VALIDATION_PREVIEW", priceReplace); res.status != http.StatusOK {
			t.Fatalf("PATCH %d: HTTP %d, want 200 within the burst of 5", i+1, res.status)
		}
	}
	if res := h.patch(DemoSKU, query+"&mode=VALIDATION_PREVIEW", priceReplace); res.status != http.StatusTooManyRequests {
		t.Errorf("PATCH 6: HTTP %d, want 429", res.status)
	}

	h.clock.Advance(200 * time.Millisecond)
	if res := h.get(DemoSKU, query); res.status != http.StatusOK {
		t.Errorf("GET after 200 ms: HTTP %d, want 200 from one refilled token", res.status)
	}
}

func TestFaults(t *testing.T) {
	cases := []struct {
		name       string
		fault      Fault
		patch      bool
		wantStatus int
		wantText   string
	}{
		{"throttle", Fault{Operation: OperationGetListingsItem, Kind: FaultThrottle}, false, 429, "QuotaExceeded"},
		{"server error", Fault{Operation: OperationGetListingsItem, Kind: FaultServerError}, false, 500, "InternalFailure"},
		{"expired token", Fault{Operation: OperationPatchListingsItem, Kind: FaultExpiredToken}, true, 403, "has expired"},
		{"invalid", Fault{Operation: OperationPatchListingsItem, Kind: FaultInvalid}, true, 200, `"status":"INVALID"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if err := h.sim.AddFault(tc.fault); err != nil {
				t.Fatalf("AddFault: %v", err)
			}

			call := func() result {
				if tc.patch {
					return h.patch(DemoSKU, "marketplaceIds="+MarketplaceUS, priceReplace)
				}
				return h.get(DemoSKU, "marketplaceIds="+MarketplaceUS)
			}
			first, second := call(), call()

			if first.status != tc.wantStatus || !strings.Contains(string(first.body), tc.wantText) {
				t.Errorf("first call: HTTP %d %s, want %d containing %q", first.status, first.body, tc.wantStatus, tc.wantText)
			}
			if second.status != http.StatusOK || strings.Contains(string(second.body), "INVALID") {
				t.Errorf("second call: HTTP %d %s, want a normal answer once the fault is used up", second.status, second.body)
			}
		})
	}
}

func TestWriteFaults(t *testing.T) {
	h := newHarness(t)

	if err := h.sim.AddFault(Fault{SellerID: DemoSellerID, Operation: OperationPatchListingsItem, Kind: FaultNotApplied}); err != nil {
		t.Fatalf("AddFault: %v", err)
	}
	h.patch(DemoSKU, "marketplaceIds="+MarketplaceUS, priceReplace)
	h.clock.Advance(time.Hour)
	h.token = h.accessToken(DemoRefreshToken)
	state, _ := h.sim.Listing(DemoSellerID, DemoSKU)
	if state.Writes != 1 || state.PendingWrites != 0 || !strings.Contains(string(state.Attributes["purchasable_offer"]), "24.99") {
		t.Errorf("not_applied: writes %d, pending %d, offer %s; want 1, 0 and the old price", state.Writes, state.PendingWrites, state.Attributes["purchasable_offer"])
	}

	if err := h.sim.AddFault(Fault{Operation: OperationPatchListingsItem, Kind: FaultSlowApply, Delay: 10 * time.Minute}); err != nil {
		t.Fatalf("AddFault: %v", err)
	}
	h.patch(DemoSKU, "marketplaceIds="+MarketplaceUS, priceReplace)
	h.clock.Advance(9 * time.Minute)
	if state, _ := h.sim.Listing(DemoSellerID, DemoSKU); state.PendingWrites != 1 {
		t.Errorf("slow_apply after 9 min: pending %d, want 1", state.PendingWrites)
	}
	h.clock.Advance(time.Minute)
	if state, _ := h.sim.Listing(DemoSellerID, DemoSKU); state.PendingWrites != 0 || !strings.Contains(string(state.Attributes["purchasable_offer"]), "26.59") {
		t.Errorf("slow_apply after 10 min: pending %d, offer %s; want 0 and 26.59", state.PendingWrites, state.Attributes["purchasable_offer"])
	}
}

func TestSlowResponseAppliesBeforeAnswering(t *testing.T) {
	h := newHarness(t)
	if err := h.sim.AddFault(Fault{Operation: OperationPatchListingsItem, Kind: FaultSlowResponse, Delay: time.Hour}); err != nil {
		t.Fatalf("AddFault: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, h.server.URL+itemPath(DemoSellerID, DemoSKU)+"?marketplaceIds="+MarketplaceUS, strings.NewReader(priceReplace))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-amz-access-token", h.token)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()

	for {
		state, _ := h.sim.Listing(DemoSellerID, DemoSKU)
		if state.Writes == 1 {
			if !strings.Contains(string(state.Attributes["purchasable_offer"]), "26.59") {
				t.Errorf("offer %s, want 26.59 applied while the response is held", state.Attributes["purchasable_offer"])
			}
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Errorf("client got an answer, want the response held until the client gave up")
	}
}

func TestInvalidFaultModes(t *testing.T) {
	h := newHarness(t)
	if err := h.sim.AddFault(Fault{Operation: OperationPatchListingsItem, Kind: FaultInvalid, Mode: FaultModeSubmission}); err != nil {
		t.Fatalf("AddFault: %v", err)
	}

	preview := h.patch(DemoSKU, "marketplaceIds="+MarketplaceUS+"&mode=VALIDATION_PREVIEW", priceReplace)
	submission := h.patch(DemoSKU, "marketplaceIds="+MarketplaceUS, priceReplace)

	if !strings.Contains(string(preview.body), `"status":"VALID"`) {
		t.Errorf("preview: %s, want VALID", preview.body)
	}
	if !strings.Contains(string(submission.body), `"status":"INVALID"`) {
		t.Errorf("submission: %s, want INVALID", submission.body)
	}
}

func TestAddFaultRejectsBadFaults(t *testing.T) {
	sim := New(Config{})
	cases := []Fault{
		{Operation: "getOrders", Kind: FaultThrottle},
		{Operation: OperationToken, Kind: FaultInvalid},
		{Operation: OperationGetListingsItem, Kind: FaultNotApplied},
		{Operation: OperationPatchListingsItem, Kind: FaultSlowApply},
		{Operation: OperationPatchListingsItem, Kind: FaultThrottle, Mode: FaultModePreview},
		{Operation: OperationPatchListingsItem, Kind: FaultThrottle, Count: -1},
	}
	for _, f := range cases {
		if err := sim.AddFault(f); err == nil {
			t.Errorf("AddFault(%+v) = nil, want an error", f)
		}
	}
}

func TestTokenFaults(t *testing.T) {
	h := newHarness(t)
	if err := h.sim.AddFault(Fault{SellerID: DemoSellerID, Operation: OperationToken, Kind: FaultServerError, Count: 2}); err != nil {
		t.Fatalf("AddFault: %v", err)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {DemoRefreshToken}, "client_id": {DemoClientID}, "client_secret": {DemoClientSecret}}

	statuses := []int{h.tokenRequest(form).status, h.tokenRequest(form).status, h.tokenRequest(form).status}

	if statuses[0] != 500 || statuses[1] != 500 || statuses[2] != 200 {
		t.Errorf("statuses = %v, want [500 500 200]", statuses)
	}
}

func TestControlAPI(t *testing.T) {
	h := newHarness(t)

	put := h.do(http.MethodPut, "/_sim/listings/"+DemoSellerID+"/"+url.PathEscape("NEW SKU/1"), "application/json",
		`{"productType":"PRODUCT","attributes":{"purchasable_offer":[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","our_price":[{"schedule":[{"value_with_tax":5}]}]}]}}`, nil)
	if put.status != http.StatusOK {
		t.Fatalf("PUT listing: HTTP %d %s", put.status, put.body)
	}
	h.patch("NEW SKU/1", "marketplaceIds="+MarketplaceUS, priceReplace)

	got := h.do(http.MethodGet, "/_sim/listings/"+DemoSellerID+"/"+url.PathEscape("NEW SKU/1"), "", "", nil)
	var state ListingState
	got.decode(t, &state)
	if state.SKU != "NEW SKU/1" || state.ProductType != "PRODUCT" || state.Writes != 1 || state.PendingWrites != 1 {
		t.Errorf("state = %+v, want the new SKU with 1 write pending", state)
	}

	fault := h.do(http.MethodPost, "/_sim/faults", "application/json", `{"sellerId":"`+DemoSellerID+`","operation":"getListingsItem","fault":"throttle","count":2}`, nil)
	if fault.status != http.StatusCreated {
		t.Fatalf("POST fault: HTTP %d %s", fault.status, fault.body)
	}
	if res := h.get(DemoSKU, "marketplaceIds="+MarketplaceUS); res.status != http.StatusTooManyRequests {
		t.Errorf("GET with throttle fault: HTTP %d, want 429", res.status)
	}
	if res := h.do(http.MethodDelete, "/_sim/faults", "", "", nil); res.status != http.StatusNoContent {
		t.Errorf("DELETE faults: HTTP %d, want 204", res.status)
	}
	if res := h.get(DemoSKU, "marketplaceIds="+MarketplaceUS); res.status != http.StatusOK {
		t.Errorf("GET after clearing faults: HTTP %d, want 200", res.status)
	}

	bad := h.do(http.MethodPost, "/_sim/faults", "application/json", `{"operation":"patchListingsItem","fault":"slow_apply","delay":"soon"}`, nil)
	if bad.status != http.StatusBadRequest {
		t.Errorf("POST fault with bad delay: HTTP %d, want 400", bad.status)
	}

	var calls map[string]map[string]int
	h.do(http.MethodGet, "/_sim/calls", "", "", nil).decode(t, &calls)
	if calls[DemoSellerID][OperationGetListingsItem] != 2 || calls[DemoSellerID][OperationPatchListingsItem] != 1 || calls[DemoSellerID][OperationToken] != 1 {
		t.Errorf("calls = %v, want 2 GETs, 1 PATCH and 1 token request", calls)
	}

	missing := h.do(http.MethodGet, "/_sim/listings/"+DemoSellerID+"/NOPE", "", "", nil)
	if missing.status != http.StatusNotFound {
		t.Errorf("GET unknown listing state: HTTP %d, want 404", missing.status)
	}
}

func TestListenAndServeRejectsNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:8080"} {
		if err := ListenAndServe(context.Background(), addr, New(Config{})); err == nil {
			t.Errorf("ListenAndServe(%q) = nil, want a loopback error", addr)
		}
	}
}

func TestListenAndServeStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ListenAndServe(ctx, "127.0.0.1:0", New(Config{})) }()

	cancel()

	if err := <-done; err != nil {
		t.Errorf("ListenAndServe after cancel = %v, want nil", err)
	}
}

func TestReplaceKeepsOtherMarketplacesEntries(t *testing.T) {
	h := newHarness(t)
	h.sim.PutListing(DemoSellerID, "NOTERP-NA-001", "PRODUCT", map[string]json.RawMessage{
		"purchasable_offer": json.RawMessage(`[` +
			`{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":10.00}]}]},` +
			`{"marketplace_id":"A2EUQ1WTGCTBG2","currency":"CAD","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":13.50}]}]}]`),
	})

	body := `{"productType":"PRODUCT","patches":[{"op":"replace","path":"/attributes/purchasable_offer",` +
		`"value":[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","audience":"ALL","our_price":[{"schedule":[{"value_with_tax":9.50}]}]}]}]}`
	if res := h.patch("NOTERP-NA-001", "marketplaceIds=ATVPDKIKX0DER", body); res.status != http.StatusOK {
		t.Fatalf("patch: HTTP %d %s", res.status, res.body)
	}
	h.clock.Advance(DefaultApplyDelay)

	state, _ := h.sim.Listing(DemoSellerID, "NOTERP-NA-001")
	offer := string(state.Attributes["purchasable_offer"])
	if !strings.Contains(offer, "9.5") || strings.Contains(offer, `"value_with_tax":10`) {
		t.Errorf("US offer after replace = %s, want 9.50 only", offer)
	}
	if !strings.Contains(offer, "A2EUQ1WTGCTBG2") || !strings.Contains(offer, "13.5") {
		t.Errorf("replace for the US dropped the Canadian offer: %s", offer)
	}
}
