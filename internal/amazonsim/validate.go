package amazonsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/noterp/noterp/internal/money"
)

// issue is an Issue of Amazon's model.
type issue struct {
	Code           string   `json:"code"`
	Message        string   `json:"message"`
	Severity       string   `json:"severity"`
	AttributeNames []string `json:"attributeNames,omitempty"`
	Categories     []string `json:"categories"`
	MarketplaceIDs []string `json:"marketplaceIds,omitempty"`
}

// invalidAttributesCode is the issue code Amazon returns for attributes
// that fail validation, such as a camelCase attribute name.
const invalidAttributesCode = "90000900"

// Issue categories of Amazon's model.
const (
	categoryInvalidAttribute = "INVALID_ATTRIBUTE"
	categoryMissingAttribute = "MISSING_ATTRIBUTE"
	categoryInvalidPrice     = "INVALID_PRICE"
)

func attributeIssue(category, attribute, format string, args ...any) issue {
	return issue{
		Code:           invalidAttributesCode,
		Message:        fmt.Sprintf(format, args...),
		Severity:       "ERROR",
		AttributeNames: []string{attribute},
		Categories:     []string{category},
	}
}

// patchBody is the wire form of ListingsItemPatchRequest.
type patchBody struct {
	ProductType string `json:"productType"`
	Patches     []struct {
		Op    string          `json:"op"`
		Path  string          `json:"path"`
		Value json.RawMessage `json:"value"`
	} `json:"patches"`
}

// snakeCaseName matches the attribute names Amazon's product type schemas use.
var snakeCaseName = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// parsePatchBody decodes and checks a patchListingsItem body. A body that
// breaks the model's schema returns a message for a 400 response, and an
// attribute Amazon would reject returns issues for a 200 INVALID response.
func parsePatchBody(raw []byte) (string, []patchOperation, []issue, string) {
	var body patchBody
	if err := json.Unmarshal(raw, &body); err != nil {
		return "", nil, nil, "The request body is not a valid ListingsItemPatchRequest: " + err.Error()
	}
	if body.ProductType == "" {
		return "", nil, nil, "The request body is missing the required field productType."
	}
	if len(body.Patches) == 0 {
		return "", nil, nil, "The request body must contain at least one entry in patches."
	}

	var patches []patchOperation
	var issues []issue
	for i, entry := range body.Patches {
		switch entry.Op {
		case "add", "replace", "merge", "delete":
		default:
			return "", nil, nil, fmt.Sprintf("patches[%d].op %q is invalid; use add, replace, merge or delete.", i, entry.Op)
		}

		name, ok := strings.CutPrefix(entry.Path, "/attributes/")
		if !ok || name == "" {
			return "", nil, nil, fmt.Sprintf("patches[%d].path %q is invalid; use /attributes/<attribute_name>.", i, entry.Path)
		}

		entries, present, message := decodePatchValue(entry.Value)
		if message != "" {
			return "", nil, nil, fmt.Sprintf("patches[%d].value %s", i, message)
		}
		if !present && entry.Op != "delete" {
			return "", nil, nil, fmt.Sprintf("patches[%d].value is required for op %s.", i, entry.Op)
		}

		switch {
		case strings.Contains(name, "/"):
			issues = append(issues, attributeIssue(categoryInvalidAttribute, name, "The attributes are invalid. Only top-level attributes can be patched; use /attributes/%s.", strings.SplitN(name, "/", 2)[0]))
			continue
		case !snakeCaseName.MatchString(name):
			issues = append(issues, attributeIssue(categoryInvalidAttribute, name, "The attributes are invalid. '%s' is not an attribute of product type %s.", name, body.ProductType))
			continue
		}
		patches = append(patches, patchOperation{op: entry.Op, name: name, value: entry.Value, entries: entries})
	}
	return body.ProductType, patches, issues, ""
}

// decodePatchValue decodes a patch value, which the model defines as an
// array of objects. It reports whether a value was given and, for a value
// of the wrong shape, a message for a 400 response.
func decodePatchValue(raw json.RawMessage) ([]map[string]any, bool, string) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil, false, ""
	}
	decoder := json.NewDecoder(bytes.NewReader(trimmed))
	decoder.UseNumber()
	var entries []map[string]any
	if err := decoder.Decode(&entries); err != nil {
		return nil, true, "must be an array of objects."
	}
	for _, entry := range entries {
		if entry == nil {
			return nil, true, "must be an array of objects, without null entries."
		}
	}
	return entries, true, ""
}

// validateAttributes checks the values of the two attributes the simulator
// models, purchasable_offer and fulfillment_availability, as Amazon does for
// a submission.
func validateAttributes(patches []patchOperation, marketplaceIDs []string) []issue {
	var issues []issue
	for _, patch := range patches {
		if patch.op == "delete" {
			continue
		}
		switch patch.name {
		case "purchasable_offer":
			issues = append(issues, validatePurchasableOffer(patch.entries, marketplaceIDs)...)
		case "fulfillment_availability":
			issues = append(issues, validateFulfillmentAvailability(patch.entries)...)
		}
	}
	return issues
}

// priceFields are the purchasable_offer fields that hold a price schedule.
var priceFields = []string{"our_price", "discounted_price", "minimum_seller_allowed_price", "maximum_seller_allowed_price"}

// validatePurchasableOffer checks each offer entry: its marketplace must be
// one the request named, its currency that marketplace's, and every
// schedule value_with_tax a positive number with no more decimals than the
// currency has.
func validatePurchasableOffer(entries []map[string]any, marketplaceIDs []string) []issue {
	const attribute = "purchasable_offer"

	var issues []issue
	for i, entry := range entries {
		marketplaceID := marketplaceIDs[0]
		if value, ok := entry["marketplace_id"]; ok {
			id, _ := value.(string)
			if !contains(marketplaceIDs, id) {
				issues = append(issues, attributeIssue(categoryInvalidAttribute, attribute, "purchasable_offer[%d].marketplace_id '%v' is not one of the marketplaceIds of the request (%s).", i, value, strings.Join(marketplaceIDs, ",")))
				continue
			}
			marketplaceID = id
		}

		currency := marketplaceCurrencies[marketplaceID]
		if value, ok := entry["currency"]; ok && value != currency {
			issues = append(issues, attributeIssue(categoryInvalidAttribute, attribute, "purchasable_offer[%d].currency '%v' is not the currency of marketplace %s; use %s.", i, value, marketplaceID, currency))
			continue
		}

		for _, field := range priceFields {
			value, ok := entry[field]
			if !ok {
				continue
			}
			for _, problem := range checkPriceSchedules(value, currency) {
				issues = append(issues, attributeIssue(categoryInvalidPrice, attribute, "purchasable_offer[%d].%s %s", i, field, problem))
			}
		}
	}
	return issues
}

// checkPriceSchedules checks a price field shaped [{"schedule":[{"value_with_tax":N}]}].
func checkPriceSchedules(value any, currency string) []string {
	prices, ok := value.([]any)
	if !ok || len(prices) == 0 {
		return []string{"must be a non-empty array of {\"schedule\":[{\"value_with_tax\":…}]}."}
	}

	var problems []string
	for _, price := range prices {
		object, _ := price.(map[string]any)
		schedules, ok := object["schedule"].([]any)
		if !ok || len(schedules) == 0 {
			problems = append(problems, "needs a non-empty schedule array.")
			continue
		}
		for _, schedule := range schedules {
			entry, _ := schedule.(map[string]any)
			if problem := checkPriceValue(entry["value_with_tax"], currency); problem != "" {
				problems = append(problems, problem)
			}
		}
	}
	return problems
}

// checkPriceValue checks one value_with_tax. Amazon's schema declares a
// number; a numeric string is accepted too, because sellers report that
// Amazon accepts one.
func checkPriceValue(value any, currency string) string {
	var text string
	switch v := value.(type) {
	case json.Number:
		text = v.String()
	case string:
		text = v
	case nil:
		return "value_with_tax is missing."
	default:
		return fmt.Sprintf("value_with_tax '%v' is not a number.", v)
	}

	amount, err := decimal.NewFromString(text)
	if err != nil {
		return fmt.Sprintf("value_with_tax '%s' is not a number.", text)
	}
	if !amount.IsPositive() {
		return fmt.Sprintf("value_with_tax '%s' must be greater than 0.", text)
	}
	if scale, ok := money.Scale(currency); ok && !amount.Equal(amount.Truncate(scale)) {
		return fmt.Sprintf("value_with_tax '%s' has more decimal places than %s allows (%d).", text, currency, scale)
	}
	return ""
}

// validateFulfillmentAvailability checks that each entry names its
// fulfillment channel and, if it has one, a whole non-negative quantity.
func validateFulfillmentAvailability(entries []map[string]any) []issue {
	const attribute = "fulfillment_availability"

	var issues []issue
	for i, entry := range entries {
		code, _ := entry["fulfillment_channel_code"].(string)
		if code == "" {
			issues = append(issues, attributeIssue(categoryMissingAttribute, attribute, "fulfillment_availability[%d].fulfillment_channel_code is required but not supplied.", i))
		}
		value, ok := entry["quantity"]
		if !ok {
			continue
		}
		number, isNumber := value.(json.Number)
		quantity, err := number.Int64()
		if !isNumber || err != nil || quantity < 0 {
			issues = append(issues, attributeIssue(categoryInvalidAttribute, attribute, "fulfillment_availability[%d].quantity '%v' must be a whole number of at least 0.", i, value))
		}
	}
	return issues
}
