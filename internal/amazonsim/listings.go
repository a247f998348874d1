package amazonsim

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"time"
)

// getIncludedData are the includedData values of getListingsItem.
var getIncludedData = []string{"summaries", "attributes", "issues", "offers", "fulfillmentAvailability", "procurement", "relationships", "productTypes"}

// conditionTypes are the conditionType values of Amazon's model.
var conditionTypes = []string{"new_new", "new_open_box", "new_oem", "refurbished_refurbished", "used_like_new", "used_very_good", "used_good", "used_acceptable", "collectible_like_new", "collectible_very_good", "collectible_good", "collectible_acceptable", "club_club"}

// handleGetListingsItem serves getListingsItem.
func (s *Server) handleGetListingsItem(w http.ResponseWriter, r *http.Request, req apiRequest) {
	query := r.URL.Query()
	marketplaceIDs, problem := parseMarketplaceIDs(query.Get("marketplaceIds"))
	if problem != "" {
		writeErrors(w, http.StatusBadRequest, req.rate, errorEntry{Code: "InvalidInput", Message: problem})
		return
	}
	included := splitCSV(query.Get("includedData"))
	if len(included) == 0 {
		included = []string{"summaries"}
	}
	for _, value := range included {
		if !contains(getIncludedData, value) {
			writeErrors(w, http.StatusBadRequest, req.rate, errorEntry{Code: "InvalidInput", Message: fmt.Sprintf("includedData value '%s' is invalid; use %s.", value, strings.Join(getIncludedData, ", "))})
			return
		}
	}

	s.mu.Lock()
	l := s.listingLocked(req.sellerID, req.sku, s.now())
	var body map[string]any
	if l != nil && l.inAnyMarketplace(marketplaceIDs) {
		body = buildItem(req.sellerID, req.sku, l, marketplaceIDs, included)
	}
	s.mu.Unlock()

	holdResponse(r, req.fault)
	if body == nil {
		writeErrors(w, http.StatusNotFound, req.rate, errorEntry{Code: "NOT_FOUND", Message: fmt.Sprintf("SKU '%s' not found in marketplace %s", req.sku, strings.Join(marketplaceIDs, ","))})
		return
	}
	writeJSON(w, http.StatusOK, body, req.rate)
}

// buildItem renders l as an Item of Amazon's model with the parts included
// names, for the given marketplaces. The caller holds s.mu.
func buildItem(sellerID, sku string, l *listing, marketplaceIDs, included []string) map[string]any {
	attributes := l.attributesFor(marketplaceIDs)
	item := map[string]any{"sku": sku}

	for _, part := range included {
		switch part {
		case "summaries":
			item["summaries"] = buildSummaries(sellerID, sku, l, attributes, marketplaceIDs)
		case "attributes":
			item["attributes"] = attributes
		case "issues":
			item["issues"] = []issue{}
		case "offers":
			item["offers"] = buildOffers(attributes)
		case "fulfillmentAvailability":
			item["fulfillmentAvailability"] = buildFulfillmentAvailability(attributes)
		case "procurement":
			// Procurement is for vendors; seller listings have none.
			item["procurement"] = []any{}
		case "relationships":
			relationships := make([]map[string]any, 0, len(marketplaceIDs))
			for _, id := range marketplaceIDs {
				relationships = append(relationships, map[string]any{"marketplaceId": id, "relationships": []any{}})
			}
			item["relationships"] = relationships
		case "productTypes":
			productTypes := make([]map[string]string, 0, len(marketplaceIDs))
			for _, id := range marketplaceIDs {
				productTypes = append(productTypes, map[string]string{"marketplaceId": id, "productType": l.productType})
			}
			item["productTypes"] = productTypes
		}
	}
	return item
}

func buildSummaries(sellerID, sku string, l *listing, attributes map[string]json.RawMessage, marketplaceIDs []string) []map[string]any {
	offers := buildOffers(attributes)
	summaries := make([]map[string]any, 0, len(marketplaceIDs))
	for _, id := range marketplaceIDs {
		status := []string{"DISCOVERABLE"}
		for _, offer := range offers {
			if offer["marketplaceId"] == id {
				status = []string{"BUYABLE", "DISCOVERABLE"}
				break
			}
		}
		summary := map[string]any{
			"marketplaceId":   id,
			"asin":            fakeASIN(sellerID, sku),
			"productType":     l.productType,
			"status":          status,
			"createdDate":     l.created.UTC().Format(time.RFC3339),
			"lastUpdatedDate": l.updated.UTC().Format(time.RFC3339),
		}
		if name := firstValue(attributes["item_name"]); name != "" {
			summary["itemName"] = name
		}
		if condition := firstValue(attributes["condition_type"]); contains(conditionTypes, condition) {
			summary["conditionType"] = condition
		}
		summaries = append(summaries, summary)
	}
	return summaries
}

// buildOffers derives offers from purchasable_offer the way Amazon does:
// one offer per entry with an our_price, priced at its first schedule's
// value_with_tax.
func buildOffers(attributes map[string]json.RawMessage) []map[string]any {
	offers := []map[string]any{}
	for _, entry := range decodeEntries(attributes["purchasable_offer"]) {
		amount := firstPrice(entry["our_price"])
		marketplaceID, _ := entry["marketplace_id"].(string)
		currency, _ := entry["currency"].(string)
		if amount == "" || marketplaceID == "" {
			continue
		}
		if currency == "" {
			currency = marketplaceCurrencies[marketplaceID]
		}

		audience, _ := entry["audience"].(string)
		offerType, displayName := "B2C", "Sell on Amazon"
		if audience == "B2B" {
			offerType, displayName = "B2B", "Amazon Business"
		}
		if audience == "" {
			audience = "ALL"
		}
		offers = append(offers, map[string]any{
			"marketplaceId": marketplaceID,
			"offerType":     offerType,
			"price":         map[string]string{"currencyCode": currency, "amount": amount},
			"audience":      map[string]string{"value": audience, "displayName": displayName},
		})
	}
	return offers
}

func buildFulfillmentAvailability(attributes map[string]json.RawMessage) []map[string]any {
	availability := []map[string]any{}
	for _, entry := range decodeEntries(attributes["fulfillment_availability"]) {
		code, _ := entry["fulfillment_channel_code"].(string)
		if code == "" {
			continue
		}
		row := map[string]any{"fulfillmentChannelCode": code}
		if quantity, ok := entry["quantity"].(json.Number); ok {
			row["quantity"] = quantity
		}
		availability = append(availability, row)
	}
	return availability
}

// firstPrice returns the first schedule's value_with_tax of a price field
// as a decimal string, or "".
func firstPrice(value any) string {
	prices, _ := value.([]any)
	if len(prices) == 0 {
		return ""
	}
	price, _ := prices[0].(map[string]any)
	schedules, _ := price["schedule"].([]any)
	if len(schedules) == 0 {
		return ""
	}
	schedule, _ := schedules[0].(map[string]any)
	switch v := schedule["value_with_tax"].(type) {
	case json.Number:
		return v.String()
	case string:
		return v
	}
	return ""
}

// firstValue returns the "value" of the first entry of an attribute such as
// item_name, or "".
func firstValue(raw json.RawMessage) string {
	entries := decodeEntries(raw)
	if len(entries) == 0 {
		return ""
	}
	value, _ := entries[0]["value"].(string)
	return value
}

// attributesFor returns the attributes with array entries of other
// marketplaces left out. Entries without marketplace_id apply everywhere.
func (l *listing) attributesFor(marketplaceIDs []string) map[string]json.RawMessage {
	result := make(map[string]json.RawMessage, len(l.attributes))
	for name, raw := range l.attributes {
		entries := decodeEntries(raw)
		if entries == nil {
			result[name] = raw
			continue
		}
		var kept []map[string]any
		for _, entry := range entries {
			id, ok := entry["marketplace_id"].(string)
			if !ok || contains(marketplaceIDs, id) {
				kept = append(kept, entry)
			}
		}
		if len(kept) > 0 {
			result[name] = encodeEntries(kept)
		}
	}
	return result
}

// inAnyMarketplace reports whether the listing exists in one of
// marketplaceIDs: when some attribute names marketplaces, the listing
// exists in those only.
func (l *listing) inAnyMarketplace(marketplaceIDs []string) bool {
	named := false
	for _, raw := range l.attributes {
		for _, entry := range decodeEntries(raw) {
			id, ok := entry["marketplace_id"].(string)
			if !ok {
				continue
			}
			if contains(marketplaceIDs, id) {
				return true
			}
			named = true
		}
	}
	return !named
}

// fakeASIN returns a stable made-up ASIN for a listing.
func fakeASIN(sellerID, sku string) string {
	hash := fnv.New32a()
	_, _ = hash.Write([]byte(sellerID + "\x00" + sku))
	return fmt.Sprintf("B0%08X", hash.Sum32())
}

// parseMarketplaceIDs reads the marketplaceIds parameter: one or more known
// marketplace ids, comma-separated.
func parseMarketplaceIDs(value string) ([]string, string) {
	ids := splitCSV(value)
	if len(ids) == 0 {
		return nil, "Missing required parameter marketplaceIds."
	}
	for _, id := range ids {
		if _, ok := marketplaceCurrencies[id]; !ok {
			return nil, fmt.Sprintf("marketplaceIds value '%s' is not a known marketplace id.", id)
		}
	}
	return ids, ""
}

func splitCSV(value string) []string {
	var parts []string
	for _, part := range strings.Split(value, ",") {
		if part = strings.TrimSpace(part); part != "" {
			parts = append(parts, part)
		}
	}
	return parts
}
