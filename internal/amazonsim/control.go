package amazonsim

import (
	"encoding/json"
	"net/http"
	"time"
)

// maxControlBodyBytes bounds a control API request body.
const maxControlBodyBytes = 1 << 20

// faultWire is the JSON form of a Fault, with the delay as a Go duration
// string such as "5s".
type faultWire struct {
	SellerID  string `json:"sellerId"`
	Operation string `json:"operation"`
	Fault     string `json:"fault"`
	Count     int    `json:"count"`
	Delay     string `json:"delay,omitempty"`
	Mode      string `json:"mode,omitempty"`
}

func (s *Server) handleGetListingState(w http.ResponseWriter, r *http.Request) {
	sellerID, sku := r.PathValue("sellerId"), r.PathValue("sku")
	state, ok := s.Listing(sellerID, sku)
	if !ok {
		writeControlError(w, http.StatusNotFound, "listing %q of seller %s does not exist", sku, sellerID)
		return
	}
	writeJSON(w, http.StatusOK, state, 0)
}

func (s *Server) handlePutListingState(w http.ResponseWriter, r *http.Request) {
	sellerID, sku := r.PathValue("sellerId"), r.PathValue("sku")
	var body struct {
		ProductType string                     `json:"productType"`
		Attributes  map[string]json.RawMessage `json:"attributes"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBodyBytes)).Decode(&body); err != nil {
		writeControlError(w, http.StatusBadRequest, "body is not {\"productType\":…,\"attributes\":{…}}: %v", err)
		return
	}
	if body.ProductType == "" {
		writeControlError(w, http.StatusBadRequest, "productType is missing: use the listing's product type, such as PRODUCT")
		return
	}

	s.PutListing(sellerID, sku, body.ProductType, body.Attributes)
	state, _ := s.Listing(sellerID, sku)
	writeJSON(w, http.StatusOK, state, 0)
}

func (s *Server) handleAddSeller(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SellerID     string `json:"sellerId"`
		RefreshToken string `json:"refreshToken"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBodyBytes)).Decode(&body); err != nil {
		writeControlError(w, http.StatusBadRequest, "body is not {\"sellerId\":…,\"refreshToken\":…}: %v", err)
		return
	}
	if body.SellerID == "" || body.RefreshToken == "" {
		writeControlError(w, http.StatusBadRequest, "sellerId and refreshToken are both required")
		return
	}

	s.AddSeller(body.SellerID, body.RefreshToken)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleRevokeSeller(w http.ResponseWriter, r *http.Request) {
	sellerID := r.PathValue("sellerId")
	if !s.RevokeSeller(sellerID) {
		writeControlError(w, http.StatusNotFound, "seller %s is not registered", sellerID)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleAddFault(w http.ResponseWriter, r *http.Request) {
	var body faultWire
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBodyBytes)).Decode(&body); err != nil {
		writeControlError(w, http.StatusBadRequest, "body is not a fault object: %v", err)
		return
	}

	fault := Fault{SellerID: body.SellerID, Operation: body.Operation, Kind: body.Fault, Count: body.Count, Mode: body.Mode}
	if body.Delay != "" {
		delay, err := time.ParseDuration(body.Delay)
		if err != nil {
			writeControlError(w, http.StatusBadRequest, "delay %q is not a duration: write it like \"5s\"", body.Delay)
			return
		}
		fault.Delay = delay
	}
	if err := s.AddFault(fault); err != nil {
		writeControlError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, toFaultWire(fault), 0)
}

func (s *Server) handleListFaults(w http.ResponseWriter, _ *http.Request) {
	faults := s.Faults()
	wires := make([]faultWire, 0, len(faults))
	for _, f := range faults {
		wires = append(wires, toFaultWire(f))
	}
	writeJSON(w, http.StatusOK, map[string]any{"faults": wires}, 0)
}

func (s *Server) handleClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleCalls(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Calls(), 0)
}

func toFaultWire(f Fault) faultWire {
	wire := faultWire{SellerID: f.SellerID, Operation: f.Operation, Fault: f.Kind, Count: max(f.Count, 1), Mode: f.Mode}
	if f.Delay > 0 {
		wire.Delay = f.Delay.String()
	}
	return wire
}
