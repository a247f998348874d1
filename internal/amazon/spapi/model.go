package spapi

import "encoding/json"

// The types below follow the Listings Items API 2021-08-01 model
// (listingsItems_2021-08-01.json in amzn/selling-partner-api-models). JSON
// names are the model's.

// Item is a listing as getListingsItem returns it. Which fields are filled
// depends on the includedData the request named.
type Item struct {
	SKU                     string                         `json:"sku"`
	Summaries               []ItemSummary                  `json:"summaries,omitempty"`
	Attributes              map[string]json.RawMessage     `json:"attributes,omitempty"`
	Issues                  []Issue                        `json:"issues,omitempty"`
	Offers                  []ItemOffer                    `json:"offers,omitempty"`
	FulfillmentAvailability []FulfillmentAvailability      `json:"fulfillmentAvailability,omitempty"`
	Procurement             []ItemProcurement              `json:"procurement,omitempty"`
	Relationships           []ItemRelationshipsByMarket    `json:"relationships,omitempty"`
	ProductTypes            []ItemProductTypeByMarketplace `json:"productTypes,omitempty"`
}

// ItemSummary is the summary of a listing in one marketplace.
type ItemSummary struct {
	MarketplaceID   string     `json:"marketplaceId"`
	ASIN            string     `json:"asin,omitempty"`
	ProductType     string     `json:"productType"`
	ConditionType   string     `json:"conditionType,omitempty"`
	Status          []string   `json:"status"`
	FnSKU           string     `json:"fnSku,omitempty"`
	ItemName        string     `json:"itemName,omitempty"`
	CreatedDate     string     `json:"createdDate"`
	LastUpdatedDate string     `json:"lastUpdatedDate"`
	MainImage       *ItemImage `json:"mainImage,omitempty"`
}

// ItemImage is the main image of a listing.
type ItemImage struct {
	Link   string `json:"link"`
	Height int    `json:"height"`
	Width  int    `json:"width"`
}

// ItemOffer is an offer of a listing in one marketplace, as Amazon derives it
// from the purchasable_offer attribute.
type ItemOffer struct {
	MarketplaceID string    `json:"marketplaceId"`
	OfferType     string    `json:"offerType"`
	Price         Money     `json:"price"`
	Points        *Points   `json:"points,omitempty"`
	Audience      *Audience `json:"audience,omitempty"`
}

// Money is the model's money: the amount is a decimal string such as "24.99".
type Money struct {
	CurrencyCode string `json:"currencyCode"`
	Amount       string `json:"amount"`
}

// Points is the Amazon Points offer of a listing (Japan only).
type Points struct {
	PointsNumber int `json:"pointsNumber"`
}

// Audience is the buyer segment an offer targets, such as "ALL" or "B2B".
type Audience struct {
	Value       string `json:"value,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
}

// FulfillmentAvailability is the quantity of a listing for one fulfillment
// channel.
type FulfillmentAvailability struct {
	FulfillmentChannelCode string `json:"fulfillmentChannelCode"`
	Quantity               *int   `json:"quantity,omitempty"`
}

// ItemProcurement is the vendor procurement cost of a listing.
type ItemProcurement struct {
	CostPrice Money `json:"costPrice"`
}

// ItemRelationshipsByMarket lists the relationships of a listing in one
// marketplace.
type ItemRelationshipsByMarket struct {
	MarketplaceID string             `json:"marketplaceId"`
	Relationships []ItemRelationship `json:"relationships"`
}

// ItemRelationship is a parent or child relationship of a listing.
type ItemRelationship struct {
	ChildSKUs      []string            `json:"childSkus,omitempty"`
	ParentSKUs     []string            `json:"parentSkus,omitempty"`
	VariationTheme *ItemVariationTheme `json:"variationTheme,omitempty"`
	Type           string              `json:"type"`
}

// ItemVariationTheme names the attributes that define a variation family.
type ItemVariationTheme struct {
	Attributes []string `json:"attributes"`
	Theme      string   `json:"theme"`
}

// ItemProductTypeByMarketplace is the product type of a listing in one
// marketplace.
type ItemProductTypeByMarketplace struct {
	MarketplaceID string `json:"marketplaceId"`
	ProductType   string `json:"productType"`
}

// Issue is a problem Amazon found with a listing or a submission.
type Issue struct {
	Code           string             `json:"code"`
	Message        string             `json:"message"`
	Severity       string             `json:"severity"`
	AttributeNames []string           `json:"attributeNames,omitempty"`
	Categories     []string           `json:"categories"`
	Enforcements   *IssueEnforcements `json:"enforcements,omitempty"`
	MarketplaceIDs []string           `json:"marketplaceIds,omitempty"`
}

// Issue severities.
const (
	SeverityError   = "ERROR"
	SeverityWarning = "WARNING"
	SeverityInfo    = "INFO"
)

// IssueEnforcements are the actions Amazon took on a listing because of an
// issue, and whether the listing is exempt from them.
type IssueEnforcements struct {
	Actions   []IssueEnforcementAction `json:"actions"`
	Exemption IssueExemption           `json:"exemption"`
}

// IssueEnforcementAction is one enforcement, such as "LISTING_SUPPRESSED".
type IssueEnforcementAction struct {
	Action string `json:"action"`
}

// IssueExemption states whether and until when a listing is exempt from
// enforcement.
type IssueExemption struct {
	Status     string `json:"status"`
	ExpiryDate string `json:"expiryDate,omitempty"`
}

// PatchRequest is the body of patchListingsItem.
type PatchRequest struct {
	ProductType string           `json:"productType"`
	Patches     []PatchOperation `json:"patches"`
}

// PatchOperation changes one top-level attribute. Op is "add", "replace",
// "merge" or "delete"; Path is "/attributes/<snake_case_name>"; Value is a
// JSON array of objects.
type PatchOperation struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Patch operations.
const (
	OpAdd     = "add"
	OpReplace = "replace"
	OpMerge   = "merge"
	OpDelete  = "delete"
)

// SubmissionResponse is Amazon's response to patchListingsItem. A 200 response
// may still carry Status INVALID; the caller decides what that means.
type SubmissionResponse struct {
	SKU          string           `json:"sku"`
	Status       string           `json:"status"`
	SubmissionID string           `json:"submissionId"`
	Issues       []Issue          `json:"issues,omitempty"`
	Identifiers  []ItemIdentifier `json:"identifiers,omitempty"`
}

// Submission statuses.
const (
	// StatusAccepted means Amazon accepted the patch for asynchronous
	// processing; it is not yet applied.
	StatusAccepted = "ACCEPTED"
	// StatusInvalid means Amazon rejected the patch; Issues explains why.
	StatusInvalid = "INVALID"
	// StatusValid means a VALIDATION_PREVIEW found no error.
	StatusValid = "VALID"
)

// HasErrorIssue reports whether any issue of r has severity ERROR.
func (r *SubmissionResponse) HasErrorIssue() bool {
	for _, issue := range r.Issues {
		if issue.Severity == SeverityError {
			return true
		}
	}
	return false
}

// ItemIdentifier is the ASIN of a listing in one marketplace.
type ItemIdentifier struct {
	MarketplaceID string `json:"marketplaceId,omitempty"`
	ASIN          string `json:"asin,omitempty"`
}

// errorList is the model's ErrorList body of every non-2xx response.
type errorList struct {
	Errors []ErrorDetail `json:"errors"`
}
