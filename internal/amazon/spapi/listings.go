package spapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Listings Items API 2021-08-01 operations.
const (
	OperationGetListingsItem   = "getListingsItem"
	OperationPatchListingsItem = "patchListingsItem"
)

// ModeValidationPreview makes patchListingsItem validate without saving.
const ModeValidationPreview = "VALIDATION_PREVIEW"

// publishedRate returns the default rate in requests per second that Amazon
// publishes for operation per seller and application (Listings Items API
// 2021-08-01 model), or 1 for an operation this package does not know.
func publishedRate(operation string) float64 {
	switch operation {
	case OperationGetListingsItem, OperationPatchListingsItem:
		return 5
	}
	return 1
}

// GetListingsItemOptions are the query parameters of getListingsItem.
type GetListingsItemOptions struct {
	// MarketplaceIDs names the marketplaces to read. Required.
	MarketplaceIDs []string
	// IncludedData picks the parts of the item to return: "summaries" (the
	// default when empty), "attributes", "issues", "offers",
	// "fulfillmentAvailability", "procurement", "relationships", "productTypes".
	IncludedData []string
	// IssueLocale is the locale of issue messages, such as "en_US". Optional.
	IssueLocale string
}

// PatchListingsItemOptions are the query parameters of patchListingsItem.
type PatchListingsItemOptions struct {
	// MarketplaceIDs names the marketplaces to change. Required.
	MarketplaceIDs []string
	// IncludedData picks the parts of the response: "issues" (the default when
	// empty) and "identifiers" (only with VALIDATION_PREVIEW).
	IncludedData []string
	// Mode is "" to submit the patch or ModeValidationPreview to only
	// validate it.
	Mode string
	// IssueLocale is the locale of issue messages, such as "en_US". Optional.
	IssueLocale string
}

// GetListingsItem reads the listing sku of sellerID. A listing that does not
// exist is an *Error for which IsNotFound is true.
func (c *Client) GetListingsItem(ctx context.Context, sellerID, sku string, opts GetListingsItemOptions) (*Item, Response, error) {
	if err := checkListingArgs(OperationGetListingsItem, sellerID, sku, opts.MarketplaceIDs); err != nil {
		return nil, Response{}, err
	}

	req := call{
		operation: OperationGetListingsItem,
		method:    http.MethodGet,
		sellerID:  sellerID,
		sku:       sku,
		path:      listingsItemPath(sellerID, sku),
		query: map[string][]string{
			"marketplaceIds": opts.MarketplaceIDs,
			"includedData":   opts.IncludedData,
			"issueLocale":    nonEmpty(opts.IssueLocale),
		},
	}
	resp, body, err := c.do(ctx, req)
	if err != nil {
		return nil, resp, err
	}

	var item Item
	if err := json.Unmarshal(body, &item); err != nil {
		return nil, resp, fmt.Errorf("spapi: getListingsItem for seller %s, SKU %q: decode item [amazon request id %s]: %w", sellerID, sku, resp.RequestID, err)
	}
	return &item, resp, nil
}

// PatchListingsItem sends body to change the listing sku of sellerID. A 200
// response returns the SubmissionResponse whatever its Status. ACCEPTED
// means queued for processing, not applied. INVALID carries the issues.
// VALID is the result of a VALIDATION_PREVIEW without errors.
func (c *Client) PatchListingsItem(ctx context.Context, sellerID, sku string, body PatchRequest, opts PatchListingsItemOptions) (*SubmissionResponse, Response, error) {
	if err := checkListingArgs(OperationPatchListingsItem, sellerID, sku, opts.MarketplaceIDs); err != nil {
		return nil, Response{}, err
	}
	if err := checkPatchRequest(sellerID, sku, body, opts.Mode); err != nil {
		return nil, Response{}, err
	}

	payload, err := json.Marshal(body)
	if err != nil {
		return nil, Response{}, fmt.Errorf("spapi: patchListingsItem for seller %s, SKU %q: encode body: %w", sellerID, sku, err)
	}
	req := call{
		operation: OperationPatchListingsItem,
		method:    http.MethodPatch,
		sellerID:  sellerID,
		sku:       sku,
		path:      listingsItemPath(sellerID, sku),
		query: map[string][]string{
			"marketplaceIds": opts.MarketplaceIDs,
			"includedData":   opts.IncludedData,
			"mode":           nonEmpty(opts.Mode),
			"issueLocale":    nonEmpty(opts.IssueLocale),
		},
		body: payload,
	}
	resp, respBody, err := c.do(ctx, req)
	if err != nil {
		return nil, resp, err
	}

	var submission SubmissionResponse
	if err := json.Unmarshal(respBody, &submission); err != nil {
		return nil, resp, fmt.Errorf("spapi: patchListingsItem for seller %s, SKU %q: decode submission response [amazon request id %s]: %w", sellerID, sku, resp.RequestID, err)
	}
	return &submission, resp, nil
}

// listingsItemPath builds /listings/2021-08-01/items/{sellerId}/{sku} with
// both segments escaped.
func listingsItemPath(sellerID, sku string) string {
	return "/listings/2021-08-01/items/" + escapePathSegment(sellerID) + "/" + escapePathSegment(sku)
}

// checkListingArgs rejects calls Amazon would refuse for missing input.
func checkListingArgs(operation, sellerID, sku string, marketplaceIDs []string) error {
	if sellerID == "" {
		return fmt.Errorf("spapi: %s for SKU %q: seller id is empty", operation, sku)
	}
	if sku == "" {
		return fmt.Errorf("spapi: %s for seller %s: SKU is empty", operation, sellerID)
	}
	if len(marketplaceIDs) == 0 {
		return fmt.Errorf("spapi: %s for seller %s, SKU %q: no marketplace id given: name the marketplace, such as ATVPDKIKX0DER", operation, sellerID, sku)
	}
	for _, id := range marketplaceIDs {
		if id == "" {
			return fmt.Errorf("spapi: %s for seller %s, SKU %q: a marketplace id is empty", operation, sellerID, sku)
		}
	}
	return nil
}

// checkPatchRequest rejects a patch body that does not match the model.
func checkPatchRequest(sellerID, sku string, body PatchRequest, mode string) error {
	var problems []error
	if mode != "" && mode != ModeValidationPreview {
		problems = append(problems, fmt.Errorf("mode %q is invalid: use \"\" or %q", mode, ModeValidationPreview))
	}
	if body.ProductType == "" {
		problems = append(problems, errors.New("productType is empty: use the listing's product type, or PRODUCT for offer-only changes"))
	}
	if len(body.Patches) == 0 {
		problems = append(problems, errors.New("patches is empty: send at least one patch operation"))
	}
	for i, patch := range body.Patches {
		switch patch.Op {
		case OpAdd, OpReplace, OpMerge, OpDelete:
		default:
			problems = append(problems, fmt.Errorf("patches[%d].op %q is invalid: use add, replace, merge or delete", i, patch.Op))
		}
		if patch.Path == "" {
			problems = append(problems, fmt.Errorf("patches[%d].path is empty: use /attributes/<attribute_name>", i))
		}
		if len(patch.Value) > 0 && !json.Valid(patch.Value) {
			problems = append(problems, fmt.Errorf("patches[%d].value is not valid JSON", i))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("spapi: patchListingsItem for seller %s, SKU %q: invalid request: %w", sellerID, sku, errors.Join(problems...))
	}
	return nil
}

func nonEmpty(value string) []string {
	if value == "" {
		return nil
	}
	return []string{value}
}
