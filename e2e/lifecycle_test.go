package e2e

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/internal/listing"
	"github.com/noterp/noterp/internal/money"
	"github.com/noterp/noterp/workflows"
)

func TestPriceChangeLifecycleThroughAPI(t *testing.T) {
	s := newStack(t, true)
	path := s.actionsPath()

	id := s.propose("e2e-lifecycle-1", "22.49")

	st := s.waitForStatus(id, workflows.StatusPendingApproval)
	if st.Proposal == nil || st.Proposal.Hash == "" {
		t.Fatalf("pending action has no proposal hash: %s", describe(st))
	}
	if !st.Proposal.Current.Equal(money.MustParse("24.99", "USD")) || st.Proposal.Preview == nil || st.Proposal.Preview.Status != "VALID" {
		t.Fatalf("proposal = current %s, preview %+v; want 24.99 USD and VALID", st.Proposal.Current, st.Proposal.Preview)
	}

	wantStatusCode(t, "approve by the requester", s.call("POST", path+"/"+id+"/approve", "requester", map[string]any{"proposalHash": st.Proposal.Hash}, nil), http.StatusForbidden)
	wrong := s.approve(id, strings.Repeat("0", 64))
	wantStatusCode(t, "approve with another proposal's hash", wrong, http.StatusConflict)
	if !strings.Contains(wrong.errorMessage(), strings.Repeat("0", 64)) {
		t.Errorf("hash conflict message %q does not name the hash", wrong.errorMessage())
	}
	wantStatusCode(t, "review before execution", s.review(id, "effective"), http.StatusConflict)

	wantStatusCode(t, "approve", s.approve(id, st.Proposal.Hash), http.StatusOK)
	wantStatusCode(t, "second approval after the action moved on", s.approve(id, st.Proposal.Hash), http.StatusConflict)

	st = s.waitForOpenReview(id)
	exec := st.Execution
	if exec == nil || exec.Result == nil || exec.Result.Outcome != activities.OutcomeSubmitted {
		t.Fatalf("execution = %s, want submitted", describe(exec))
	}
	resp := exec.Result.Response
	if resp == nil || resp.HTTPStatus != 200 || resp.RequestID == "" || resp.SubmissionID == "" || resp.Status != "ACCEPTED" {
		t.Errorf("Amazon's response not recorded: %s", describe(resp))
	}
	if st.Verification == nil || st.Verification.Outcome != workflows.VerificationVerified {
		t.Errorf("verification = %s, want verified", describe(st.Verification))
	}

	wantStatusCode(t, "review by an approver", s.call("POST", path+"/"+id+"/review", "approver", map[string]any{"verdict": "effective"}, nil), http.StatusForbidden)
	bad := s.review(id, "great")
	wantStatusCode(t, "review with an unknown verdict", bad, http.StatusBadRequest)
	if !strings.Contains(bad.errorMessage(), `"great"`) {
		t.Errorf("verdict error %q does not name the value", bad.errorMessage())
	}
	wantStatusCode(t, "review", s.review(id, "effective"), http.StatusOK)
	st = s.waitForStatus(id, workflows.StatusClosed)
	if st.Review.Verdict != "effective" || st.Review.Reviewer == nil {
		t.Errorf("review = %s", describe(st.Review))
	}

	l := s.listing()
	if l.Writes != 1 {
		t.Errorf("simulator writes = %d, want 1", l.Writes)
	}
	offer := l.Attributes[listing.AttributePurchasableOffer]
	price, err := listing.OurPrice(offer, s.demo.MarketplaceID)
	if err != nil || !price.Equal(money.MustParse("22.49", "USD")) {
		t.Errorf("listing price = %s, %v; want 22.49 USD", price, err)
	}
	for _, kept := range []string{"discounted_price", "minimum_seller_allowed_price", "maximum_seller_allowed_price"} {
		if !strings.Contains(string(offer), kept) {
			t.Errorf("the write lost %s: %s", kept, offer)
		}
	}

	s.checkSearchAttributes(id)

	list := s.call("GET", path+"?status=closed", "reviewer", nil, nil)
	wantStatusCode(t, "list closed actions", list, http.StatusOK)
	if !strings.Contains(string(list.raw), id) {
		t.Errorf("closed list does not contain %s: %s", id, list.raw)
	}
	badList := s.call("GET", path+"?status=done", "reviewer", nil, nil)
	wantStatusCode(t, "list with an unknown status", badList, http.StatusBadRequest)
	if !strings.Contains(badList.errorMessage(), `"done"`) {
		t.Errorf("status error %q does not name the value", badList.errorMessage())
	}

	hist := s.call("GET", path+"/"+id+"/history", "reviewer", nil, nil)
	wantStatusCode(t, "history", hist, http.StatusOK)
	var timeline struct {
		Events []struct {
			Time   string          `json:"time"`
			Type   string          `json:"type"`
			Actor  string          `json:"actor"`
			Detail json.RawMessage `json:"detail"`
		} `json:"events"`
	}
	if err := json.Unmarshal(hist.raw, &timeline); err != nil {
		t.Fatalf("decode history: %v: %s", err, hist.raw)
	}
	actors := map[string]bool{}
	rejectedBy := map[string]bool{}
	var applied bool
	for _, e := range timeline.Events {
		if e.Type == "update.rejected" {
			rejectedBy[e.Actor] = true
		}
		if e.Time == "" || e.Type == "" {
			t.Errorf("history event without time or type: %+v", e)
		}
		actors[e.Actor] = true
		if e.Type == "activity.completed" && strings.Contains(string(e.Detail), `"activity":"ApplyPrice"`) {
			applied = strings.Contains(string(e.Detail), resp.SubmissionID) && strings.Contains(string(e.Detail), resp.RequestID)
		}
	}
	for _, who := range []string{"demo-requester", "demo-approver", "demo-reviewer"} {
		if !rejectedBy[who] {
			t.Errorf("history shows no rejected attempt by %s: %s", who, hist.raw)
		}
	}
	if !applied {
		t.Errorf("history has no ApplyPrice event with Amazon's submission %s and request %s: %s", resp.SubmissionID, resp.RequestID, hist.raw)
	}
	for _, who := range []string{"demo-requester", "demo-approver", "demo-reviewer"} {
		if !actors[who] {
			t.Errorf("history names no event by %s: %s", who, hist.raw)
		}
	}
}

func TestIdempotencyKeyReturnsSameAction(t *testing.T) {
	s := newStack(t, true)
	path := s.actionsPath()
	key := map[string]string{"Idempotency-Key": "e2e-idem-1"}

	first := s.call("POST", path, "requester", s.priceRequest("23.49"), key)
	wantStatusCode(t, "first request", first, http.StatusCreated)
	again := s.call("POST", path, "requester", s.priceRequest("23.49"), key)
	wantStatusCode(t, "same key and body", again, http.StatusOK)
	if first.body["id"] != again.body["id"] {
		t.Fatalf("same key and body gave actions %v and %v", first.body["id"], again.body["id"])
	}
	other := s.call("POST", path, "requester", s.priceRequest("21.00"), key)
	wantStatusCode(t, "same key, other body", other, http.StatusUnprocessableEntity)
	if !strings.Contains(other.errorMessage(), "e2e-idem-1") {
		t.Errorf("conflict message %q does not name the key", other.errorMessage())
	}

	wantStatusCode(t, "no idempotency key", s.call("POST", path, "requester", s.priceRequest("23.49"), nil), http.StatusBadRequest)
	wantStatusCode(t, "no token", s.call("POST", path, "", s.priceRequest("23.49"), map[string]string{"Idempotency-Key": "e2e-idem-2"}), http.StatusUnauthorized)
	wantStatusCode(t, "approver proposing", s.call("POST", path, "approver", s.priceRequest("23.49"), map[string]string{"Idempotency-Key": "e2e-idem-3"}), http.StatusForbidden)
	jpy := s.priceRequest("1499.5")
	jpy["params"].(map[string]any)["price"] = map[string]any{"amount": "1499.5", "currency": "JPY"}
	badMoney := s.call("POST", path, "requester", jpy, map[string]string{"Idempotency-Key": "e2e-idem-4"})
	wantStatusCode(t, "fractional yen", badMoney, http.StatusBadRequest)
	if !strings.Contains(badMoney.errorMessage(), "1499.5") {
		t.Errorf("money error %q does not name the amount", badMoney.errorMessage())
	}

	id, _ := first.body["id"].(string)
	s.waitForStatus(id, workflows.StatusPendingApproval)
	wantStatusCode(t, "cancel", s.call("POST", path+"/"+id+"/cancel", "requester", map[string]any{"comment": "test over"}, nil), http.StatusOK)
	s.waitForStatus(id, workflows.StatusCancelled)
	if w := s.listing().Writes; w != 0 {
		t.Errorf("simulator writes = %d after a cancelled action, want 0", w)
	}
	late := s.approve(id, "x")
	wantStatusCode(t, "approve after cancel", late, http.StatusConflict)
}

// checkSearchAttributes checks that the workflow's search attributes, which
// the payload codec does not encrypt, carry NotERP's four identifiers and
// no token, secret or price.
func (s *stack) checkSearchAttributes(id string) {
	s.t.Helper()
	desc, err := s.temporal.DescribeWorkflow(context.Background(), workflows.WorkflowID(tenant, "e2e-lifecycle-1"), "")
	if err != nil {
		s.t.Fatalf("describe workflow of %s: %v", id, err)
	}
	fields := desc.RawResponse.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	want := map[string]string{
		workflows.SearchAttrTenant:   tenant,
		workflows.SearchAttrKind:     workflows.KindListingPriceSet,
		workflows.SearchAttrStatus:   string(workflows.StatusClosed),
		workflows.SearchAttrResource: "listing:" + s.demo.SellerID + ":" + s.demo.MarketplaceID + ":" + s.demo.SKU,
	}
	forbidden := append(slices.Collect(maps.Values(s.tokens)), s.demo.RefreshToken, s.demo.ClientSecret, "22.49", "24.99")
	for name, payload := range fields {
		value := string(payload.GetData())
		for _, secret := range forbidden {
			if strings.Contains(value, secret) {
				s.t.Errorf("search attribute %s carries %q", name, secret)
			}
		}
		if strings.HasPrefix(name, "NotERP") {
			if w, ok := want[name]; !ok || value != `"`+w+`"` {
				s.t.Errorf("search attribute %s = %s, want %q", name, value, w)
			}
			delete(want, name)
			continue
		}
		if !strings.HasPrefix(name, "Temporal") && name != "BuildIds" {
			s.t.Errorf("unexpected search attribute %s = %s", name, value)
		}
	}
	for name := range want {
		s.t.Errorf("search attribute %s missing", name)
	}
}
