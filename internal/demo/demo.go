// Package demo drives one governed price change through NotERP's HTTP API,
// the way a person following the README would. A requester proposes and an
// approver approves the proposal hash. The worker then executes and verifies
// the change against the Amazon simulator, and a reviewer records the
// outcome. `make demo` runs it against a running `make run`.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/noterp/noterp/internal/devstack"
	"github.com/noterp/noterp/internal/money"
)

// Options configures Run.
type Options struct {
	// EnvFile is the demo.env that `noterp dev` wrote. Required.
	EnvFile string
	// Price is the new price of the demo SKU. Required.
	Price money.Money
	// Out receives the progress report. Default: io.Discard.
	Out io.Writer
	// HTTPClient calls the API. Default: a client with a 30-second timeout.
	HTTPClient *http.Client
	// PollInterval is the pause between two reads of the action. Default 1 s.
	PollInterval time.Duration
	// WaitTimeout bounds each wait for a status. Default 3 minutes, which
	// covers the demo policy's 20-second review window and the simulator's
	// apply delay with room to spare.
	WaitTimeout time.Duration
}

// Result is the outcome of a successful Run.
type Result struct {
	ActionID string
	Status   string
}

// Action is the part of the API's action JSON that the demo reads.
type Action struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Proposal struct {
		Hash string `json:"hash"`
	} `json:"proposal"`
	Review struct {
		OpensAt string `json:"opensAt"`
		Open    bool   `json:"open"`
		Verdict string `json:"verdict"`
	} `json:"review"`
}

// HistoryEvent is one entry of an action's audit timeline.
type HistoryEvent struct {
	Time   string          `json:"time"`
	Type   string          `json:"type"`
	Actor  string          `json:"actor"`
	Detail json.RawMessage `json:"detail"`
}

// endStatuses are the statuses an action never leaves.
var endStatuses = []string{"closed", "blocked", "rejected", "expired", "cancelled", "stale", "failed"}

// Run drives the demo lifecycle and prints each step, the final state, the
// history and a last line naming the action id and its final status. It
// returns an error, which carries the API's message, as soon as a step
// fails, and then the last line names the status the action had.
func Run(ctx context.Context, opts Options) (Result, error) {
	opts = withDefaults(opts)
	if opts.Price.Currency == "" {
		return Result{}, errors.New("demo: price is missing: pass one such as 18.49 USD")
	}
	env, err := devstack.ReadDemoEnv(opts.EnvFile)
	if err != nil {
		return Result{}, err
	}
	d := &run{opts: opts, env: env, out: opts.Out}
	result, err := d.lifecycle(ctx)
	if err != nil && result.ActionID != "" {
		fmt.Fprintf(d.out, "\naction %s: %s (the demo failed)\n", result.ActionID, result.Status)
	}
	return result, err
}

func withDefaults(opts Options) Options {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = 3 * time.Minute
	}
	return opts
}

// run is one demo run.
type run struct {
	opts Options
	env  devstack.DemoEnv
	out  io.Writer
}

func (d *run) as(token string) client {
	return client{base: d.env.API, token: token, http: d.opts.HTTPClient}
}

func (d *run) actionsPath() string {
	return "/v1/tenants/" + url.PathEscape(d.env.Tenant) + "/actions"
}

func (d *run) actionPath(id string) string {
	return d.actionsPath() + "/" + url.PathEscape(id)
}

func (d *run) lifecycle(ctx context.Context) (Result, error) {
	fmt.Fprintf(d.out, "NotERP demo against %s, tenant %s\n\n", d.env.API, d.env.Tenant)

	action, err := d.propose(ctx)
	if err != nil {
		return Result{}, err
	}
	id := action.ID

	action, err = d.waitFor(ctx, "2/6", id, func(a Action) bool { return a.Status == "pending_approval" }, "pending_approval")
	if err != nil {
		return Result{ActionID: id, Status: action.Status}, err
	}

	if err := d.approve(ctx, action); err != nil {
		return Result{ActionID: id, Status: action.Status}, err
	}

	reviewable := func(a Action) bool { return a.Status == "in_review" && a.Review.Open }
	action, err = d.waitFor(ctx, "4/6", id, reviewable, "in_review with the review window open")
	if err != nil {
		return Result{ActionID: id, Status: action.Status}, err
	}

	if err := d.review(ctx, id); err != nil {
		return Result{ActionID: id, Status: action.Status}, err
	}

	action, err = d.waitFor(ctx, "6/6", id, func(a Action) bool { return a.Status == "closed" }, "closed")
	if err != nil {
		return Result{ActionID: id, Status: action.Status}, err
	}

	if err := d.printFinal(ctx, id); err != nil {
		return Result{ActionID: id, Status: action.Status}, err
	}
	fmt.Fprintf(d.out, "\naction %s: %s\n", id, action.Status)
	return Result{ActionID: id, Status: action.Status}, nil
}

func (d *run) propose(ctx context.Context) (Action, error) {
	key, err := idempotencyKey()
	if err != nil {
		return Action{}, err
	}
	body := map[string]any{
		"kind": "listing.price.set",
		"params": map[string]any{
			"sellerId":      d.env.SellerID,
			"marketplaceId": d.env.MarketplaceID,
			"sku":           d.env.SKU,
			"price":         d.opts.Price,
		},
		"reason": "NotERP demo: set the demo SKU's price",
	}
	fmt.Fprintf(d.out, "[1/6] requester proposes price %s for SKU %s (seller %s, marketplace %s), Idempotency-Key %s\n",
		d.opts.Price, d.env.SKU, d.env.SellerID, d.env.MarketplaceID, key)

	var action Action
	headers := map[string]string{"Idempotency-Key": key}
	if err := d.as(d.env.RequesterToken).do(ctx, http.MethodPost, d.actionsPath(), headers, body, &action); err != nil {
		return Action{}, fmt.Errorf("propose: %w", err)
	}
	if action.ID == "" {
		return Action{}, errors.New("propose: the API returned an action without an id")
	}
	fmt.Fprintf(d.out, "      action %s created, status %s\n", action.ID, action.Status)
	return action, nil
}

func (d *run) approve(ctx context.Context, action Action) error {
	if action.Proposal.Hash == "" {
		return fmt.Errorf("approve action %s: the action has no proposal hash to approve", action.ID)
	}
	fmt.Fprintf(d.out, "[3/6] approver approves proposal %s\n", action.Proposal.Hash)

	body := map[string]string{"proposalHash": action.Proposal.Hash, "comment": "approved by the NotERP demo"}
	var approved Action
	if err := d.as(d.env.ApproverToken).do(ctx, http.MethodPost, d.actionPath(action.ID)+"/approve", nil, body, &approved); err != nil {
		return fmt.Errorf("approve action %s: %w", action.ID, err)
	}
	if approved.Status != "" {
		fmt.Fprintf(d.out, "      status %s\n", approved.Status)
	}
	return nil
}

func (d *run) review(ctx context.Context, id string) error {
	fmt.Fprintf(d.out, "[5/6] reviewer records verdict effective\n")

	body := map[string]string{"verdict": "effective", "comment": "price shows on the listing; recorded by the NotERP demo"}
	if err := d.as(d.env.ReviewerToken).do(ctx, http.MethodPost, d.actionPath(id)+"/review", nil, body, nil); err != nil {
		return fmt.Errorf("review action %s: %w", id, err)
	}
	return nil
}

// waitFor reads the action until done returns true. It fails when the
// action reaches an end status that done does not accept, or after
// WaitTimeout. It prints each new status as it appears.
func (d *run) waitFor(ctx context.Context, step, id string, done func(Action) bool, want string) (Action, error) {
	fmt.Fprintf(d.out, "[%s] waiting for %s\n", step, want)
	ctx, cancel := context.WithTimeout(ctx, d.opts.WaitTimeout)
	defer cancel()

	var last Action
	seen := ""
	for {
		var action Action
		if err := d.as(d.env.RequesterToken).do(ctx, http.MethodGet, d.actionPath(id), nil, nil, &action); err != nil {
			if ctx.Err() != nil {
				return last, fmt.Errorf("action %s: no %s within %s; last status %q", id, want, d.opts.WaitTimeout, last.Status)
			}
			return last, fmt.Errorf("read action %s: %w", id, err)
		}
		last = action

		label := action.Status
		if action.Status == "in_review" && !action.Review.Open {
			label = "in_review (review window opens at " + action.Review.OpensAt + ")"
		}
		if label != seen {
			fmt.Fprintf(d.out, "      status %s\n", label)
			seen = label
		}
		if done(action) {
			return action, nil
		}
		if slices.Contains(endStatuses, action.Status) {
			return action, fmt.Errorf("action %s ended as %s while the demo waited for %s: see GET %s/history", id, action.Status, want, d.actionPath(id))
		}

		select {
		case <-ctx.Done():
			return last, fmt.Errorf("action %s: no %s within %s; last status %q", id, want, d.opts.WaitTimeout, last.Status)
		case <-time.After(d.opts.PollInterval):
		}
	}
}

// printFinal prints the action's final state and its history timeline.
func (d *run) printFinal(ctx context.Context, id string) error {
	var state json.RawMessage
	if err := d.as(d.env.RequesterToken).do(ctx, http.MethodGet, d.actionPath(id), nil, nil, &state); err != nil {
		return fmt.Errorf("read action %s: %w", id, err)
	}
	pretty, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return fmt.Errorf("format action %s: %w", id, err)
	}
	fmt.Fprintf(d.out, "\nFinal state:\n%s\n", pretty)

	var history struct {
		Events []HistoryEvent `json:"events"`
	}
	if err := d.as(d.env.RequesterToken).do(ctx, http.MethodGet, d.actionPath(id)+"/history", nil, nil, &history); err != nil {
		return fmt.Errorf("read history of action %s: %w", id, err)
	}
	fmt.Fprintf(d.out, "\nHistory:\n")
	for _, e := range history.Events {
		fmt.Fprintf(d.out, "  %-30s %-28s %-20s %s\n", e.Time, e.Type, e.Actor, compactDetail(e.Detail))
	}
	return nil
}

// compactDetail renders an event's detail on one line: a JSON string
// without its quotes, anything else as compact JSON.
func compactDetail(detail json.RawMessage) string {
	if len(detail) == 0 || string(detail) == "null" {
		return ""
	}
	var text string
	if err := json.Unmarshal(detail, &text); err == nil {
		return text
	}
	return strings.Join(strings.Fields(string(detail)), " ")
}

// idempotencyKey returns a new key for each demo run, so that a second run
// starts a new action instead of returning the first one.
func idempotencyKey() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate idempotency key: %w", err)
	}
	return "demo-" + hex.EncodeToString(b), nil
}
