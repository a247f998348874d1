package amazonsim

import (
	"encoding/json"
	"time"
)

type listingKey struct {
	sellerID, sku string
}

// listing is the stored state of one SKU of one seller.
type listing struct {
	productType string
	attributes  map[string]json.RawMessage
	created     time.Time
	updated     time.Time
	// writes counts accepted patchListingsItem submissions.
	writes  int
	pending []pendingWrite
}

// pendingWrite is an accepted patch that applies at applyAt.
type pendingWrite struct {
	applyAt time.Time
	patches []patchOperation
}

// ListingState is a listing as the control API shows it.
type ListingState struct {
	SellerID    string                     `json:"sellerId"`
	SKU         string                     `json:"sku"`
	ProductType string                     `json:"productType"`
	Attributes  map[string]json.RawMessage `json:"attributes"`
	// Writes counts accepted patchListingsItem submissions.
	Writes int `json:"writes"`
	// PendingWrites counts accepted submissions not yet applied.
	PendingWrites int `json:"pendingWrites"`
}

// PutListing sets the listing sku of sellerID directly, the way a change in
// Seller Central would. It is not counted as a write, and pending writes
// still apply on top of it.
func (s *Server) PutListing(sellerID, sku, productType string, attributes map[string]json.RawMessage) {
	now := s.now()

	s.mu.Lock()
	defer s.mu.Unlock()

	copied := make(map[string]json.RawMessage, len(attributes))
	for name, value := range attributes {
		copied[name] = append(json.RawMessage(nil), value...)
	}

	key := listingKey{sellerID, sku}
	existing, ok := s.listings[key]
	if !ok {
		s.listings[key] = &listing{productType: productType, attributes: copied, created: now, updated: now}
		return
	}
	existing.productType = productType
	existing.attributes = copied
	existing.updated = now
}

// Listing returns the state of the listing sku of sellerID, after applying
// the writes that are due, and whether it exists.
func (s *Server) Listing(sellerID, sku string) (ListingState, bool) {
	now := s.now()

	s.mu.Lock()
	defer s.mu.Unlock()

	l := s.listingLocked(sellerID, sku, now)
	if l == nil {
		return ListingState{}, false
	}

	attributes := make(map[string]json.RawMessage, len(l.attributes))
	for name, value := range l.attributes {
		attributes[name] = append(json.RawMessage(nil), value...)
	}
	return ListingState{
		SellerID:      sellerID,
		SKU:           sku,
		ProductType:   l.productType,
		Attributes:    attributes,
		Writes:        l.writes,
		PendingWrites: len(l.pending),
	}, true
}

// listingLocked returns the listing with its due writes applied, or nil.
// The caller holds s.mu.
func (s *Server) listingLocked(sellerID, sku string, now time.Time) *listing {
	l, ok := s.listings[listingKey{sellerID, sku}]
	if !ok {
		return nil
	}
	l.applyDue(now)
	return l
}

// applyDue applies, in submission order, every pending write whose time
// has come.
func (l *listing) applyDue(now time.Time) {
	kept := l.pending[:0]
	for _, write := range l.pending {
		if now.Before(write.applyAt) {
			kept = append(kept, write)
			continue
		}
		l.attributes = applyPatches(l.attributes, write.patches)
		l.updated = write.applyAt
	}
	l.pending = kept
}
