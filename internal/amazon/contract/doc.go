// Package contract holds the contract tests of NotERP's Amazon side: every
// request the spapi client sends and every response the amazonsim simulator
// returns for getListingsItem and patchListingsItem must validate against
// Amazon's published Listings Items API 2021-08-01 model.
//
// The tests read the model from $NOTERP_SHARED_DIR, or else from the shared
// directory beside the repository root
// (<root>/../shared/amazon-models/sp-api/models/listings-items-api-model/listingsItems_2021-08-01.json),
// and fail when it is missing.
package contract
