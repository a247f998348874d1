// Package policy holds a tenant's approval policy for one action kind and
// judges a proposed change against it. A policy is data: it is stored
// versioned per tenant and kind, and every proposal records the version it
// was judged under.
package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Defaults applied by Normalize when a stored policy leaves a field empty.
const (
	DefaultApprovalDeadline = 72 * time.Hour
	DefaultReviewWindow     = 7 * 24 * time.Hour
	DefaultReviewDeadline   = 7 * 24 * time.Hour
	DefaultVerifyTimeout    = 15 * time.Minute
)

// Roles a tenant user can hold.
const (
	RoleRequester = "requester"
	RoleApprover  = "approver"
	RoleReviewer  = "reviewer"
	RoleAdmin     = "admin"
	RoleAuditor   = "auditor"
)

// Policy is one version of a tenant's rules for one action kind.
type Policy struct {
	Tenant  string `json:"tenant"`
	Kind    string `json:"kind"`
	Version int    `json:"version"`

	// RequiredApprovals is how many distinct eligible users must approve.
	// Zero means every change is approved automatically, unless a
	// guardrail blocks it.
	RequiredApprovals int `json:"requiredApprovals"`
	// EligibleRoles are the roles whose holders may approve or reject.
	EligibleRoles []string `json:"eligibleRoles"`
	// AutoApproveMaxChangePercent approves a change automatically when the
	// absolute price change is at most this many percent. Nil turns
	// auto-approval off.
	AutoApproveMaxChangePercent *decimal.Decimal `json:"autoApproveMaxChangePercent,omitempty"`
	// MaxChangePercent is a hard guardrail: a change of more than this many
	// percent, up or down, is blocked at proposal. Nil means no limit.
	MaxChangePercent *decimal.Decimal `json:"maxChangePercent,omitempty"`

	ApprovalDeadline Duration `json:"approvalDeadline"`
	ReviewWindow     Duration `json:"reviewWindow"`
	ReviewDeadline   Duration `json:"reviewDeadline"`
	VerifyTimeout    Duration `json:"verifyTimeout"`
}

// Outcome is a policy's decision about a proposal.
type Outcome string

// Outcomes of Evaluate.
const (
	OutcomeRequireApproval Outcome = "require_approval"
	OutcomeAutoApprove     Outcome = "auto_approve"
	OutcomeBlock           Outcome = "block"
)

// Decision is the judgement of one proposal under one policy version.
type Decision struct {
	PolicyVersion     int      `json:"policyVersion"`
	Outcome           Outcome  `json:"outcome"`
	Reasons           []string `json:"reasons"`
	RequiredApprovals int      `json:"requiredApprovals"`
	EligibleRoles     []string `json:"eligibleRoles"`
}

// Default returns the policy a tenant gets before it stores its own: one
// approval from an approver, a 50 % guardrail, 72 h to approve and a 7-day
// review window.
func Default(tenant, kind string) Policy {
	limit := decimal.NewFromInt(50)
	p := Policy{
		Tenant:            tenant,
		Kind:              kind,
		Version:           1,
		RequiredApprovals: 1,
		EligibleRoles:     []string{RoleApprover},
		MaxChangePercent:  &limit,
	}
	p.Normalize()
	return p
}

// Normalize fills empty durations with the package defaults.
func (p *Policy) Normalize() {
	if p.ApprovalDeadline.D == 0 {
		p.ApprovalDeadline.D = DefaultApprovalDeadline
	}
	if p.ReviewWindow.D == 0 {
		p.ReviewWindow.D = DefaultReviewWindow
	}
	if p.ReviewDeadline.D == 0 {
		p.ReviewDeadline.D = DefaultReviewDeadline
	}
	if p.VerifyTimeout.D == 0 {
		p.VerifyTimeout.D = DefaultVerifyTimeout
	}
}

// Validate reports the first field that makes p unusable.
func (p Policy) Validate() error {
	if p.RequiredApprovals < 0 {
		return fmt.Errorf("policy %s/%s v%d: requiredApprovals is %d: use 0 or more", p.Tenant, p.Kind, p.Version, p.RequiredApprovals)
	}
	if p.RequiredApprovals > 0 && len(p.EligibleRoles) == 0 {
		return fmt.Errorf("policy %s/%s v%d: eligibleRoles is empty but %d approvals are required: name at least one role", p.Tenant, p.Kind, p.Version, p.RequiredApprovals)
	}
	for _, r := range p.EligibleRoles {
		// The API lets only approvers and admins approve or reject, so a
		// policy naming another role could never be satisfied.
		if !slices.Contains([]string{RoleApprover, RoleAdmin}, r) {
			return fmt.Errorf("policy %s/%s v%d: eligible role %q cannot approve: use approver or admin", p.Tenant, p.Kind, p.Version, r)
		}
	}
	for _, d := range []struct {
		name string
		v    Duration
	}{{"approvalDeadline", p.ApprovalDeadline}, {"reviewWindow", p.ReviewWindow}, {"reviewDeadline", p.ReviewDeadline}, {"verifyTimeout", p.VerifyTimeout}} {
		if d.v.D < 0 {
			return fmt.Errorf("policy %s/%s v%d: %s is negative (%s): use a positive duration such as \"72h\"", p.Tenant, p.Kind, p.Version, d.name, d.v.D)
		}
	}
	if p.MaxChangePercent != nil && !p.MaxChangePercent.IsPositive() {
		return fmt.Errorf("policy %s/%s v%d: maxChangePercent is %s: use a positive number or leave it out", p.Tenant, p.Kind, p.Version, p.MaxChangePercent)
	}
	return nil
}

// EvaluateChange judges a change of changePercent percent (signed). A
// guardrail breach blocks; a small enough change is approved automatically;
// anything else needs the policy's approvals.
func (p Policy) EvaluateChange(changePercent decimal.Decimal) Decision {
	d := Decision{
		PolicyVersion:     p.Version,
		RequiredApprovals: p.RequiredApprovals,
		EligibleRoles:     slices.Clone(p.EligibleRoles),
	}
	size := changePercent.Abs()

	if p.MaxChangePercent != nil && size.GreaterThan(*p.MaxChangePercent) {
		d.Outcome = OutcomeBlock
		d.Reasons = append(d.Reasons, fmt.Sprintf("the change of %s%% exceeds the guardrail of %s%%", changePercent.StringFixed(2), p.MaxChangePercent.String()))
		return d
	}
	if p.RequiredApprovals == 0 {
		d.Outcome = OutcomeAutoApprove
		d.Reasons = append(d.Reasons, "the policy requires no approval")
		return d
	}
	if p.AutoApproveMaxChangePercent != nil && size.LessThanOrEqual(*p.AutoApproveMaxChangePercent) {
		d.Outcome = OutcomeAutoApprove
		d.Reasons = append(d.Reasons, fmt.Sprintf("the change of %s%% is within the auto-approval limit of %s%%", changePercent.StringFixed(2), p.AutoApproveMaxChangePercent.String()))
		return d
	}

	d.Outcome = OutcomeRequireApproval
	d.Reasons = append(d.Reasons, fmt.Sprintf("%d approval(s) required from %v", p.RequiredApprovals, p.EligibleRoles))
	return d
}

// CanDecide reports whether a holder of roles may approve or reject under p.
func (p Policy) CanDecide(roles []string) bool {
	for _, r := range roles {
		if slices.Contains(p.EligibleRoles, r) {
			return true
		}
	}
	return false
}

// Duration is a time.Duration that reads and writes JSON as Go duration text
// ("72h", "20s").
type Duration struct{ D time.Duration }

// MarshalJSON writes the duration as text, for example "72h0m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.D.String()) }

// UnmarshalJSON reads duration text such as "72h" or "20s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"72h\": %w", err)
	}
	if s == "" {
		d.D = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q is invalid: write it like \"72h\" or \"20s\"", s)
	}
	d.D = v
	return nil
}
