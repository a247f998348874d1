package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/labstack/echo/v4"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/noterp/noterp/activities"
	"github.com/noterp/noterp/api"
	"github.com/noterp/noterp/internal/money"
	"github.com/noterp/noterp/internal/policy"
	"github.com/noterp/noterp/workflows"
)

// specPath is the API reference, relative to this package.
const specPath = "../docs/openapi.yaml"

// specServer is the server URL of the reference. Requests in these tests
// go to it, so the router can match the reference's servers entry.
const specServer = "http://127.0.0.1:8080"

// loadSpec loads and validates the API reference and builds its router.
func loadSpec(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(specPath)
	if err != nil {
		t.Fatalf("load %s: %v", specPath, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("%s is not a valid OpenAPI document: %v", specPath, err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("build router for %s: %v", specPath, err)
	}
	return doc, router
}

// contract sends requests through the real handler and validates each
// request and response against the API reference.
type contract struct {
	h      *harness
	router routers.Router
}

func newContract(t *testing.T) *contract {
	t.Helper()
	_, router := loadSpec(t)
	return &contract{h: newHarness(t), router: router}
}

// call is one request and what the reference must specify about it.
type call struct {
	method, path, token, body string
	// headers are name/value pairs.
	headers []string
	// status is the status the handler must return.
	status int
	// invalid marks a request the reference must reject, such as a body
	// without a required field. The handler must reject it too.
	invalid bool
}

// do serves c and validates it. The response must always match the
// reference, whatever the request.
func (k *contract) do(t *testing.T, c call) *httptest.ResponseRecorder {
	t.Helper()
	name := c.method + " " + c.path

	route, pathParams, err := k.router.FindRoute(newRequest(c))
	if err != nil {
		t.Fatalf("%s: the reference has no such operation: %v", name, err)
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    newRequest(c),
		PathParams: pathParams,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: checkBearer, MultiError: true},
	}
	requestErr := openapi3filter.ValidateRequest(context.Background(), input)
	switch {
	case c.invalid && requestErr == nil:
		t.Errorf("%s: the reference accepts the request %q, want it rejected like the handler does", name, truncateBody(c.body))
	case !c.invalid && requestErr != nil:
		t.Errorf("%s: the reference rejects the request %q: %v", name, truncateBody(c.body), requestErr)
	}

	rec := httptest.NewRecorder()
	k.h.handler.ServeHTTP(rec, newRequest(c))
	if rec.Code != c.status {
		t.Errorf("%s: status = %d, want %d (body %s)", name, rec.Code, c.status, rec.Body)
	}

	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if err != nil {
		t.Errorf("%s: response %d does not match the reference: %v\nbody: %s", name, rec.Code, err, rec.Body)
	}
	return rec
}

// newRequest builds c's request. Each call returns a fresh body reader, so
// the validator and the handler can each read the body.
func newRequest(c call) *http.Request {
	req := httptest.NewRequest(c.method, specServer+c.path, strings.NewReader(c.body))
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(c.headers); i += 2 {
		req.Header.Set(c.headers[i], c.headers[i+1])
	}
	return req
}

// checkBearer accepts a request that carries a bearer token. Whether the
// token is valid only the server can tell.
func checkBearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, token, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token in the Authorization header")
	}
	return nil
}

func truncateBody(body string) string {
	if len(body) > 120 {
		return body[:120] + "…"
	}
	return body
}

// echoPath turns an OpenAPI path template into Echo's form:
// "/actions/{id}" becomes "/actions/:id".
func echoPath(specPath string) string {
	return strings.NewReplacer("{", ":", "}", "").Replace(specPath)
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc, _ := loadSpec(t)
	h := newHarness(t)
	server, err := api.New(api.Config{Store: h.store, Temporal: h.temporal})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	e, ok := server.Handler().(*echo.Echo)
	if !ok {
		t.Fatalf("Server.Handler() is %T, want *echo.Echo to list its routes", server.Handler())
	}

	registered := map[string]bool{}
	for _, r := range e.Routes() {
		// Echo adds catch-all routes of this pseudo-method for groups with
		// middleware. They return 404 and are not part of the API.
		if r.Method == echo.RouteNotFound {
			continue
		}
		registered[r.Method+" "+r.Path] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+echoPath(path)] = true
		}
	}

	for route := range registered {
		if !documented[route] {
			t.Errorf("route %s is served but not documented in %s", route, specPath)
		}
	}
	for route := range documented {
		if !registered[route] {
			t.Errorf("route %s is documented in %s but not served", route, specPath)
		}
	}
	if len(registered) == 0 {
		t.Error("Echo lists no routes")
	}
}

func TestOpenAPIOperationsHaveIDs(t *testing.T) {
	doc, _ := loadSpec(t)
	seen := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", where)
				continue
			}
			if other, dup := seen[op.OperationID]; dup {
				t.Errorf("%s and %s share the operationId %s", where, other, op.OperationID)
			}
			seen[op.OperationID] = where
		}
	}
}

func TestOpenAPICreateAction(t *testing.T) {
	k := newContract(t)
	h := k.h
	const path = "/v1/tenants/acme/actions"
	key := func(v string) []string { return []string{api.HeaderIdempotencyKey, v} }
	requester := h.tokens["requester"]

	created := k.do(t, call{method: "POST", path: path, token: requester, body: priceBody("19.99"), headers: key("c1"), status: 201})
	k.do(t, call{method: "POST", path: path, token: requester, body: priceBody("19.990"), headers: key("c1"), status: 200})
	var row struct {
		ID      string          `json:"id"`
		Summary json.RawMessage `json:"summary"`
	}
	decode(t, created, &row)
	if !strings.HasPrefix(row.ID, "act_") || len(row.Summary) == 0 {
		t.Errorf("created row = %s, want an act_ id and the params as summary", created.Body)
	}

	cases := []struct {
		name string
		call call
	}{
		{"missing key", call{token: requester, body: priceBody("19.99"), status: 400, invalid: true}},
		{"key too long", call{token: requester, body: priceBody("19.99"), headers: key(strings.Repeat("k", 201)), status: 400, invalid: true}},
		{"key with space", call{token: requester, body: priceBody("19.99"), headers: key("two words"), status: 400, invalid: true}},
		{"unknown field", call{token: requester, body: strings.Replace(priceBody("19.99"), `"reason"`, `"priority":1,"reason"`, 1), headers: key("c2"), status: 400, invalid: true}},
		{"unknown params field", call{token: requester, body: strings.Replace(priceBody("19.99"), `"sku"`, `"asin":"B0X","sku"`, 1), headers: key("c2"), status: 400, invalid: true}},
		{"missing price", call{token: requester, body: `{"kind":"listing.price.set","params":{"sellerId":"A1EXAMPLESELLER","marketplaceId":"ATVPDKIKX0DER","sku":"DEMO-SKU-001"}}`, headers: key("c2"), status: 400, invalid: true}},
		{"unknown kind", call{token: requester, body: strings.Replace(priceBody("19.99"), "listing.price.set", "listing.delete", 1), headers: key("c2"), status: 400, invalid: true}},
		{"reason too long", call{token: requester, body: strings.Replace(priceBody("19.99"), "match competitor", strings.Repeat("r", 2001), 1), headers: key("c2"), status: 400, invalid: true}},
		{"not JSON", call{token: requester, body: `{"kind":`, headers: key("c2"), status: 400, invalid: true}},
		{"no token", call{body: priceBody("19.99"), headers: key("c2"), status: 401, invalid: true}},
		{"revoked token", call{token: "ntk_not-a-token", body: priceBody("19.99"), headers: key("c2"), status: 401}},
		{"approver may not request", call{token: h.tokens["approver"], body: priceBody("19.99"), headers: key("c2"), status: 403}},
		{"other tenant's token", call{token: h.otherToken, body: priceBody("19.99"), headers: key("c2"), status: 404}},
		{"key reused with another body", call{token: requester, body: priceBody("21.00"), headers: key("c1"), status: 422}},
		{"seller not connected", call{token: requester, body: strings.Replace(priceBody("19.99"), sellerID, "A9UNKNOWNSELLER", 1), headers: key("c3"), status: 422}},
		{"marketplace not enabled", call{token: requester, body: strings.NewReplacer(usMarket, "A1F83G8C2ARO7P", "USD", "GBP").Replace(priceBody("19.99")), headers: key("c4"), status: 422}},
		{"body over 1 MiB", call{token: requester, body: `{"reason":"` + strings.Repeat("r", 1<<20) + `"}`, headers: key("c5"), status: 413, invalid: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.call.method, tc.call.path = "POST", path
			k.do(t, tc.call)
		})
	}

	t.Run("JPY with decimals", func(t *testing.T) {
		body := `{"kind":"listing.price.set","params":{"sellerId":"A1EXAMPLESELLER","marketplaceId":"A1VC38T7YXB528","sku":"DEMO-SKU-001","price":{"amount":"1499.5","currency":"JPY"}}}`
		// NOTE: the reference can't tie the decimal places to the currency,
		// so it accepts this request that the handler rejects.
		k.do(t, call{method: "POST", path: path, token: requester, body: body, headers: key("c6"), status: 400})
	})

	t.Run("workflow start fails", func(t *testing.T) {
		h.temporal.startErr = serviceerror.NewUnavailable("connection refused")
		defer func() { h.temporal.startErr = nil }()
		k.do(t, call{method: "POST", path: path, token: requester, body: priceBody("19.99"), headers: key("c7"), status: 503})

		h.temporal.startErr = nil
		before := len(h.temporal.startCalls())
		k.do(t, call{method: "POST", path: path, token: requester, body: priceBody("19.99"), headers: key("c7"), status: 200})
		if started := len(h.temporal.startCalls()) - before; started != 1 {
			t.Errorf("the replay after a failed start started %d workflows, want 1", started)
		}
	})
}

func TestOpenAPIListActions(t *testing.T) {
	k := newContract(t)
	h := k.h
	for i := range 3 {
		h.mustCreate(fmt.Sprintf("l%d", i))
	}
	token := h.tokens["auditor"]

	page := k.do(t, call{method: "GET", path: "/v1/tenants/acme/actions?status=proposed&limit=2", token: token, status: 200})
	var list struct {
		Actions    []json.RawMessage `json:"actions"`
		NextBefore string            `json:"nextBefore"`
	}
	decode(t, page, &list)
	if len(list.Actions) != 2 || list.NextBefore == "" {
		t.Fatalf("first page = %s, want 2 actions and nextBefore", page.Body)
	}
	k.do(t, call{method: "GET", path: "/v1/tenants/acme/actions?before=" + list.NextBefore, token: token, status: 200})
	k.do(t, call{method: "GET", path: "/v1/tenants/acme/actions?status=closed", token: token, status: 200})

	cases := []struct {
		name string
		call call
	}{
		{"unknown status", call{path: "/v1/tenants/acme/actions?status=done", token: token, status: 400, invalid: true}},
		{"limit zero", call{path: "/v1/tenants/acme/actions?limit=0", token: token, status: 400, invalid: true}},
		{"limit above 200", call{path: "/v1/tenants/acme/actions?limit=201", token: token, status: 400, invalid: true}},
		{"limit not a number", call{path: "/v1/tenants/acme/actions?limit=ten", token: token, status: 400, invalid: true}},
		{"unknown before", call{path: "/v1/tenants/acme/actions?before=act_missing", token: token, status: 400}},
		{"no token", call{path: "/v1/tenants/acme/actions", status: 401, invalid: true}},
		{"other tenant's token", call{path: "/v1/tenants/acme/actions", token: h.otherToken, status: 404}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.call.method = "GET"
			k.do(t, tc.call)
		})
	}
}

func TestOpenAPIGetAction(t *testing.T) {
	k := newContract(t)
	h := k.h
	id := h.mustCreate("g1")
	path := "/v1/tenants/acme/actions/" + id
	token := h.tokens["requester"]

	t.Run("from the workflow", func(t *testing.T) {
		h.temporal.query = func(string) (any, error) { return fullState(id), nil }
		defer func() { h.temporal.query = nil }()
		rec := k.do(t, call{method: "GET", path: path, token: token, status: 200})
		if got := rec.Header().Get(api.HeaderSource); got != "workflow" {
			t.Errorf("%s = %q, want workflow", api.HeaderSource, got)
		}
	})

	t.Run("from the projection", func(t *testing.T) {
		rec := k.do(t, call{method: "GET", path: path, token: token, status: 200})
		if got := rec.Header().Get(api.HeaderSource); got != "projection" {
			t.Errorf("%s = %q, want projection", api.HeaderSource, got)
		}
	})

	t.Run("while the preview runs", func(t *testing.T) {
		// The workflow publishes the proposal before Amazon's validation
		// preview returns, so the hash is empty and the preview absent.
		state := fullState(id)
		state.Status = workflows.StatusProposed
		state.Proposal.Hash, state.Proposal.Preview = "", nil
		state.Approvals = []workflows.Approval{}
		state.Rejection, state.Cancellation, state.Execution, state.Verification, state.Review = nil, nil, nil, nil, nil
		h.temporal.query = func(string) (any, error) { return state, nil }
		defer func() { h.temporal.query = nil }()
		k.do(t, call{method: "GET", path: path, token: token, status: 200})
	})

	t.Run("while the write runs", func(t *testing.T) {
		// The execution exists with a zero finishedAt until ApplyPrice
		// returns.
		state := fullState(id)
		state.Status = workflows.StatusExecuting
		state.Execution = &workflows.Execution{StartedAt: state.CreatedAt}
		state.Verification, state.Review, state.Rejection, state.Cancellation = nil, nil, nil, nil
		h.temporal.query = func(string) (any, error) { return state, nil }
		defer func() { h.temporal.query = nil }()
		k.do(t, call{method: "GET", path: path, token: token, status: 200})
	})

	t.Run("after failed checks", func(t *testing.T) {
		state := fullState(id)
		state.Status = workflows.StatusVerifying
		state.Execution.Result = &activities.ApplyResult{Outcome: activities.OutcomeSubmissionUnknown, Before: state.Proposal.Snapshot}
		state.Verification = &workflows.Verification{Checks: 3, Error: "Amazon returned 503"}
		state.Review = nil
		h.temporal.query = func(string) (any, error) { return state, nil }
		defer func() { h.temporal.query = nil }()
		k.do(t, call{method: "GET", path: path, token: token, status: 200})
	})

	t.Run("review without verdict", func(t *testing.T) {
		state := fullState(id)
		state.Review = &workflows.ReviewState{OpensAt: state.CreatedAt, DeadlineAt: state.UpdatedAt, Open: true, NoVerdict: true}
		h.temporal.query = func(string) (any, error) { return state, nil }
		defer func() { h.temporal.query = nil }()
		k.do(t, call{method: "GET", path: path, token: token, status: 200})
	})

	k.do(t, call{method: "GET", path: "/v1/tenants/acme/actions/act_missing", token: token, status: 404})
	k.do(t, call{method: "GET", path: path, token: h.otherToken, status: 404})
	k.do(t, call{method: "GET", path: path, status: 401, invalid: true})
}

func TestOpenAPIUpdates(t *testing.T) {
	routes := []struct {
		name, user, body string
		// badBody is a body the handler rejects with 400.
		badBody string
		// wrongUser lacks the route's role.
		wrongUser string
	}{
		{"approve", "approver", `{"proposalHash":"hash-1","comment":"fine"}`, `{"comment":"fine"}`, "requester"},
		{"reject", "approver", `{"comment":"too low"}`, `{"comment":7}`, "reviewer"},
		{"cancel", "requester", ``, `{"comment":["x"]}`, "approver"},
		{"review", "reviewer", `{"verdict":"effective","comment":"sales held"}`, `{"verdict":"great"}`, "admin"},
	}
	k := newContract(t)
	h := k.h

	for _, route := range routes {
		t.Run(route.name, func(t *testing.T) {
			fail := func(err error) func(context.Context, client.UpdateWorkflowOptions) error {
				return func(context.Context, client.UpdateWorkflowOptions) error { return err }
			}
			cases := []struct {
				name    string
				user    string
				body    string
				update  func(context.Context, client.UpdateWorkflowOptions) error
				status  int
				invalid bool
			}{
				{name: "accepted", user: route.user, body: route.body, status: 200},
				{name: "bad body", user: route.user, body: route.badBody, status: 400, invalid: true},
				{name: "workflow rejects input", user: route.user, body: route.body, status: 400,
					update: fail(temporal.NewNonRetryableApplicationError("comment is required", workflows.ErrTypeInvalid, nil))},
				{name: "missing role", user: route.wrongUser, body: route.body, status: 403},
				{name: "workflow forbids", user: route.user, body: route.body, status: 403,
					update: fail(temporal.NewNonRetryableApplicationError("the requester may not approve their own action", workflows.ErrTypeForbidden, nil))},
				{name: "wrong status", user: route.user, body: route.body, status: 409,
					update: fail(temporal.NewNonRetryableApplicationError("action is executing", workflows.ErrTypeConflict, nil))},
				{name: "no running workflow", user: route.user, body: route.body, status: 409,
					update: fail(serviceerror.NewNotFound("workflow not found"))},
				{name: "Temporal fails", user: route.user, body: route.body, status: 502,
					update: fail(serviceerror.NewUnavailable("connection refused"))},
				{name: "Update times out", user: route.user, body: route.body, status: 504,
					update: fail(context.DeadlineExceeded)},
			}
			for i, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					id := h.mustCreate(fmt.Sprintf("%s-%d", route.name, i))
					h.temporal.update = tc.update
					h.temporal.query = func(string) (any, error) { return fullState(id), nil }
					defer func() { h.temporal.update, h.temporal.query = nil, nil }()

					k.do(t, call{method: "POST", path: "/v1/tenants/acme/actions/" + id + "/" + route.name,
						token: h.tokens[tc.user], body: tc.body, status: tc.status, invalid: tc.invalid})
				})
			}

			t.Run("finished action", func(t *testing.T) {
				id := h.mustCreate(route.name + "-finished")
				if err := h.store.RecordAction(context.Background(), activities.ActionRecord{ActionID: id, Tenant: tenant, Kind: workflows.KindListingPriceSet,
					Status: string(workflows.StatusRejected), WorkflowID: "action:acme:" + route.name + "-finished", UpdatedAt: time.Now()}); err != nil {
					t.Fatalf("RecordAction: %v", err)
				}
				k.do(t, call{method: "POST", path: "/v1/tenants/acme/actions/" + id + "/" + route.name, token: h.tokens[route.user], body: route.body, status: 409})
			})

			t.Run("state query fails", func(t *testing.T) {
				id := h.mustCreate(route.name + "-projection")
				rec := k.do(t, call{method: "POST", path: "/v1/tenants/acme/actions/" + id + "/" + route.name, token: h.tokens[route.user], body: route.body, status: 200})
				if got := rec.Header().Get(api.HeaderSource); got != "projection" {
					t.Errorf("%s = %q, want projection", api.HeaderSource, got)
				}
			})

			k.do(t, call{method: "POST", path: "/v1/tenants/acme/actions/act_missing/" + route.name, token: h.tokens[route.user], body: route.body, status: 404})
			k.do(t, call{method: "POST", path: "/v1/tenants/acme/actions/act_missing/" + route.name, body: route.body, status: 401, invalid: true})
		})
	}
}

func TestOpenAPIHistory(t *testing.T) {
	k := newContract(t)
	h := k.h
	id := h.mustCreate("h1")
	path := "/v1/tenants/acme/actions/" + id + "/history"
	token := h.tokens["auditor"]

	t.Run("from the workflow", func(t *testing.T) {
		h.temporal.history = sampleHistory(t)
		defer func() { h.temporal.history = nil }()
		rec := k.do(t, call{method: "GET", path: path, token: token, status: 200})
		if got := rec.Header().Get(api.HeaderSource); got != "workflow" {
			t.Errorf("%s = %q, want workflow", api.HeaderSource, got)
		}
	})

	t.Run("from the ledger", func(t *testing.T) {
		h.temporal.historyErr = serviceerror.NewNotFound("workflow not found")
		defer func() { h.temporal.historyErr = nil }()
		rec := k.do(t, call{method: "GET", path: path, token: token, status: 200})
		if got := rec.Header().Get(api.HeaderSource); got != "ledger" {
			t.Errorf("%s = %q, want ledger", api.HeaderSource, got)
		}
	})

	t.Run("Temporal fails", func(t *testing.T) {
		h.temporal.historyErr = serviceerror.NewUnavailable("connection refused")
		defer func() { h.temporal.historyErr = nil }()
		k.do(t, call{method: "GET", path: path, token: token, status: 502})
	})

	k.do(t, call{method: "GET", path: "/v1/tenants/acme/actions/act_missing/history", token: token, status: 404})
	k.do(t, call{method: "GET", path: path, status: 401, invalid: true})
}

func TestOpenAPIHealth(t *testing.T) {
	k := newContract(t)
	k.do(t, call{method: "GET", path: "/healthz", status: 200})
	k.do(t, call{method: "GET", path: "/readyz", status: 200})

	k.h.temporal.healthErr = errors.New("connection refused")
	k.do(t, call{method: "GET", path: "/readyz", status: 503})
}

func TestOpenAPICodec(t *testing.T) {
	k := newContract(t)
	payloads, err := converter.GetDefaultDataConverter().ToPayloads(map[string]string{"sku": "DEMO-SKU-001"})
	if err != nil {
		t.Fatalf("ToPayloads: %v", err)
	}
	body, err := protojson.Marshal(payloads)
	if err != nil {
		t.Fatalf("marshal payloads: %v", err)
	}

	for _, path := range []string{"/codec/encode", "/codec/decode"} {
		t.Run(path, func(t *testing.T) {
			k.do(t, call{method: "POST", path: path, body: string(body), headers: []string{"X-Namespace", "default"}, status: 200})
			k.do(t, call{method: "POST", path: path, body: `{"payloads":"none"}`, status: 400, invalid: true})
			k.do(t, call{method: "OPTIONS", path: path, headers: []string{"Origin", "http://localhost:8233", "Access-Control-Request-Method", "POST"}, status: 204})
			k.do(t, call{method: "OPTIONS", path: path, headers: []string{"Origin", "https://other.example", "Access-Control-Request-Method", "POST"}, status: 204})
		})
	}
}

// TestOpenAPIRejectsUndocumentedStatus checks that the validation in these
// tests can fail: a response status the reference does not list for an
// operation must not pass.
func TestOpenAPIRejectsUndocumentedStatus(t *testing.T) {
	_, router := loadSpec(t)
	req := httptest.NewRequest(http.MethodGet, specServer+"/healthz", nil)
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("FindRoute /healthz: %v", err)
	}
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route}

	responses := []struct {
		name   string
		status int
		body   string
	}{
		{"undocumented status", http.StatusTeapot, `{"status":"ok"}`},
		{"body off the schema", http.StatusOK, `{"status":"fine"}`},
		{"unknown field", http.StatusOK, `{"status":"ok","uptime":3}`},
	}
	for _, resp := range responses {
		t.Run(resp.name, func(t *testing.T) {
			err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
				RequestValidationInput: input,
				Status:                 resp.status,
				Header:                 http.Header{"Content-Type": {"application/json"}},
				Body:                   io.NopCloser(strings.NewReader(resp.body)),
				Options:                &openapi3filter.Options{IncludeResponseStatus: true},
			})
			if err == nil {
				t.Errorf("response %d %s passed validation, want an error", resp.status, resp.body)
			}
		})
	}
}

// fullState is an action state with every phase filled in, so that the
// schema of each nested object is checked.
func fullState(id string) workflows.ActionState {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	requester := workflows.Principal{UserID: "requester", Tenant: tenant, Roles: []string{policy.RoleRequester}}
	approver := workflows.Principal{UserID: "approver", Tenant: tenant, Roles: []string{policy.RoleApprover}}
	reviewer := workflows.Principal{UserID: "reviewer", Tenant: tenant, Roles: []string{policy.RoleReviewer}}
	params := workflows.PriceSetParams{SellerID: sellerID, MarketplaceID: usMarket, SKU: "DEMO-SKU-001", Price: money.MustParse("19.99", "USD")}
	issue := activities.Issue{Code: "99022", Message: "price is far from the reference price", Severity: "WARNING", AttributeNames: []string{"purchasable_offer"}, Categories: []string{"INVALID_PRICE"}}
	read := activities.AmazonResponse{Operation: "getListingsItem", HTTPStatus: 200, RequestID: "req-1"}
	snapshot := activities.OfferSnapshot{
		ProductType:      "PRODUCT",
		PurchasableOffer: json.RawMessage(`[{"marketplace_id":"ATVPDKIKX0DER","currency":"USD","our_price":[{"schedule":[{"value_with_tax":20.99}]}]}]`),
		OurPrice:         money.MustParse("20.99", "USD"),
		Issues:           []activities.Issue{issue},
		ObservedAt:       at,
		Response:         read,
	}
	submitted := activities.AmazonResponse{Operation: "patchListingsItem", HTTPStatus: 200, RequestID: "req-2", SubmissionID: "sub-1", Status: "ACCEPTED", Issues: []activities.Issue{issue}}
	reviewedAt := at.Add(8 * 24 * time.Hour)

	return workflows.ActionState{
		ID: id, WorkflowID: "action:acme:k", Tenant: tenant, Kind: workflows.KindListingPriceSet,
		Status: workflows.StatusClosed, StatusReason: "reviewed as effective",
		Resource: params.Resource(), IdempotencyKey: "k", Reason: "match competitor",
		Params: params, Requester: requester, CreatedAt: at, UpdatedAt: reviewedAt,
		Proposal: &workflows.Proposal{
			Hash: "hash-1", Snapshot: snapshot, Current: snapshot.OurPrice, Target: params.Price, ChangePercent: "-4.76",
			Preview:    &activities.PreviewResult{Status: "VALID", Response: activities.AmazonResponse{Operation: "patchListingsItem", HTTPStatus: 200, RequestID: "req-p", Status: "VALID"}},
			Policy:     policy.Decision{PolicyVersion: 1, Outcome: policy.OutcomeRequireApproval, Reasons: []string{"1 approval(s) required from [approver]"}, RequiredApprovals: 1, EligibleRoles: []string{policy.RoleApprover}},
			ProposedAt: at, ApprovalDeadline: at.Add(72 * time.Hour),
		},
		Approvals:    []workflows.Approval{{Actor: approver, ProposalHash: "hash-1", Comment: "fine", At: at.Add(time.Hour)}},
		Rejection:    &workflows.Decision{Actor: approver, At: at.Add(time.Hour)},
		Cancellation: &workflows.Decision{Actor: requester, Comment: "typo", At: at.Add(time.Hour)},
		Execution: &workflows.Execution{StartedAt: at.Add(2 * time.Hour), FinishedAt: at.Add(2*time.Hour + time.Second),
			Result: &activities.ApplyResult{Outcome: activities.OutcomeSubmitted, Before: snapshot, Sent: snapshot.PurchasableOffer, Response: &submitted}},
		Verification: &workflows.Verification{Outcome: workflows.VerificationVerified, Checks: 2,
			Last: &activities.Observation{OurPrice: params.Price, ObservedAt: at.Add(3 * time.Hour), Response: read}},
		Review: &workflows.ReviewState{OpensAt: at.Add(7 * 24 * time.Hour), DeadlineAt: at.Add(14 * 24 * time.Hour), Open: true,
			Verdict: workflows.VerdictEffective, Comment: "sales held", Reviewer: &reviewer, At: &reviewedAt},
	}
}
