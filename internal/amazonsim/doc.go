// Package amazonsim is a simulator of the Amazon interfaces NotERP calls:
// the Login with Amazon (LWA) token endpoint and the Listings Items API
// 2021-08-01 operations getListingsItem and patchListingsItem. It is a test
// and demo double that serves on loopback only. It is not Amazon, so a
// request it accepts may still be rejected by Amazon.
//
// The simulator responds with the wire shapes of Amazon's published model
// (listingsItems_2021-08-01.json in amzn/selling-partner-api-models). It
// keeps sellers, access tokens and listings in memory. It enforces the
// published token buckets per seller and operation: getListingsItem rate 5
// burst 10, patchListingsItem rate 5 burst 5. Like Amazon, it applies
// accepted patches asynchronously, after Config.ApplyDelay.
//
// # Amazon endpoints
//
//	POST  /auth/o2/token                                  LWA refresh-token grant (form or JSON body)
//	GET   /listings/2021-08-01/items/{sellerId}/{sku}     getListingsItem
//	PATCH /listings/2021-08-01/items/{sellerId}/{sku}     patchListingsItem
//
// # Control API
//
// Tests and demos steer the simulator with JSON requests under /_sim/:
//
//	GET    /_sim/listings/{sellerId}/{sku}
//	    Returns {"sellerId","sku","productType","attributes":{…},"writes":N,"pendingWrites":N}.
//	    writes counts accepted patchListingsItem submissions (not previews, not
//	    INVALID responses); pendingWrites counts those not yet applied.
//	PUT    /_sim/listings/{sellerId}/{sku}
//	    Body {"productType":"…","attributes":{…}} sets the listing directly, the
//	    way a change in Seller Central would. It is not counted as a write, and
//	    pending writes still apply on top of it.
//	POST   /_sim/sellers
//	    Body {"sellerId":"…","refreshToken":"…"} registers a seller.
//	POST   /_sim/sellers/{sellerId}/revoke
//	    Revokes the seller's authorization: its refresh token gets invalid_grant
//	    and its access tokens are refused.
//	POST   /_sim/faults
//	    Body {"sellerId":"…","operation":"getListingsItem|patchListingsItem|token",
//	    "fault":"…","count":N,"delay":"5s","mode":"…"} makes the next N matching
//	    requests fail (count defaults to 1; an empty sellerId matches every seller).
//	GET    /_sim/faults      Lists the faults not yet used up.
//	DELETE /_sim/faults      Clears every fault.
//	GET    /_sim/calls
//	    Returns the requests received per seller and operation:
//	    {"A1…":{"getListingsItem":3,"token":1}}.
//
// Faults:
//
//	throttle       429 QuotaExceeded, without x-amzn-RateLimit-Limit
//	server_error   500 InternalFailure
//	expired_token  403 with Amazon's "access token you provided has expired" body
//	invalid        patchListingsItem returns 200 status INVALID with an ERROR issue;
//	               "mode" limits it to VALIDATION_PREVIEW requests or to SUBMISSION
//	               (non-preview) requests, empty means both
//	not_applied    patchListingsItem returns ACCEPTED but the change never applies
//	slow_apply     the change applies only after "delay"
//	slow_response  the change is recorded and applied at once, then the HTTP
//	               response is held for "delay" (to kill a caller mid-call)
//
// throttle and server_error apply to every operation, token included.
// expired_token and slow_response apply to both listings operations.
// not_applied and slow_apply apply to non-preview patchListingsItem requests
// only, and invalid to patchListingsItem as its mode field sets.
package amazonsim
