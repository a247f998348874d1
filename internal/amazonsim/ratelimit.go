package amazonsim

import "time"

// usagePlan is the token bucket Amazon publishes for an operation per
// seller and application.
type usagePlan struct {
	rate  float64 // tokens added per second
	burst float64 // bucket size
}

// usagePlans are the Listings Items API 2021-08-01 defaults from Amazon's
// model. patchListingsItem's burst was cut from 10 to 5 in December 2024.
var usagePlans = map[string]usagePlan{
	OperationGetListingsItem:   {rate: 5, burst: 10},
	OperationPatchListingsItem: {rate: 5, burst: 5},
}

type bucketKey struct {
	sellerID, operation string
}

// tokenBucket holds the tokens left for one seller and operation.
type tokenBucket struct {
	tokens  float64
	updated time.Time
}

// takeToken uses one token of the seller's bucket for operation and reports
// whether one was left. The caller holds s.mu.
func (s *Server) takeToken(sellerID, operation string, now time.Time) bool {
	plan := usagePlans[operation]
	key := bucketKey{sellerID, operation}

	bucket, ok := s.buckets[key]
	if !ok {
		bucket = &tokenBucket{tokens: plan.burst, updated: now}
		s.buckets[key] = bucket
	}
	if elapsed := now.Sub(bucket.updated).Seconds(); elapsed > 0 {
		bucket.tokens = min(plan.burst, bucket.tokens+elapsed*plan.rate)
		bucket.updated = now
	}

	if bucket.tokens < 1 {
		return false
	}
	bucket.tokens--
	return true
}
