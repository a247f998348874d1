package policy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestEvaluateChange(t *testing.T) {
	autoLimit := decimal.NewFromInt(5)
	p := Default("acme", "listing.price.set")
	p.AutoApproveMaxChangePercent = &autoLimit

	cases := []struct {
		change string
		want   Outcome
	}{
		{"-3", OutcomeAutoApprove},
		{"5", OutcomeAutoApprove},
		{"5.01", OutcomeRequireApproval},
		{"-50", OutcomeRequireApproval},
		{"-50.01", OutcomeBlock},
		{"120", OutcomeBlock},
	}
	for _, c := range cases {
		d := p.EvaluateChange(decimal.RequireFromString(c.change))
		if d.Outcome != c.want {
			t.Errorf("change %s%%: outcome %s, want %s (%v)", c.change, d.Outcome, c.want, d.Reasons)
		}
		if d.PolicyVersion != p.Version {
			t.Errorf("change %s%%: policy version %d, want %d", c.change, d.PolicyVersion, p.Version)
		}
	}
}

func TestZeroApprovalsAutoApproves(t *testing.T) {
	p := Default("acme", "listing.price.set")
	p.RequiredApprovals = 0
	if d := p.EvaluateChange(decimal.NewFromInt(30)); d.Outcome != OutcomeAutoApprove {
		t.Fatalf("outcome = %s, want auto_approve", d.Outcome)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	negative := Default("acme", "k")
	negative.RequiredApprovals = -1
	noRoles := Default("acme", "k")
	noRoles.EligibleRoles = nil
	badRole := Default("acme", "k")
	badRole.EligibleRoles = []string{"boss"}
	zero := decimal.Zero
	badLimit := Default("acme", "k")
	badLimit.MaxChangePercent = &zero

	cases := map[string]Policy{"requiredApprovals": negative, "eligibleRoles": noRoles, `"boss"`: badRole, "maxChangePercent": badLimit}
	for part, p := range cases {
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("Validate error = %v, want it to name %s", err, part)
		}
	}
	if err := Default("acme", "k").Validate(); err != nil {
		t.Errorf("default policy invalid: %v", err)
	}
}

func TestPolicyJSON(t *testing.T) {
	in := `{"requiredApprovals":2,"eligibleRoles":["approver","admin"],"approvalDeadline":"24h","reviewWindow":"20s","maxChangePercent":"30"}`
	var p Policy
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	p.Normalize()
	if p.ApprovalDeadline.D != 24*time.Hour || p.ReviewWindow.D != 20*time.Second || p.ReviewDeadline.D != DefaultReviewDeadline {
		t.Errorf("durations = %v %v %v", p.ApprovalDeadline.D, p.ReviewWindow.D, p.ReviewDeadline.D)
	}
	if p.MaxChangePercent == nil || p.MaxChangePercent.String() != "30" {
		t.Errorf("maxChangePercent = %v", p.MaxChangePercent)
	}

	var bad Policy
	err := json.Unmarshal([]byte(`{"approvalDeadline":"3 days"}`), &bad)
	if err == nil || !strings.Contains(err.Error(), `"3 days"`) {
		t.Errorf("bad duration error = %v", err)
	}
}
