package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// listingsItemPath is the model's path of getListingsItem and patchListingsItem.
const listingsItemPath = "/listings/2021-08-01/items/{sellerId}/{sku}"

// exchange is one validated request and response.
type exchange struct {
	operation string
	status    int
}

// validatingTransport sits between the spapi client and the simulator. It
// validates each request before sending it and each response before
// handing it back, and reports every violation of the model as a test
// error.
type validatingTransport struct {
	t    *testing.T
	doc  *openapi3.T
	base http.RoundTripper

	mu        sync.Mutex
	exchanges []exchange
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	route, pathParams, err := v.route(req)
	if err != nil {
		v.t.Errorf("%s %s: %v", req.Method, req.URL.EscapedPath(), err)
		return v.base.RoundTrip(req)
	}
	name := fmt.Sprintf("%s %s", route.Operation.OperationID, req.URL.RequestURI())

	var requestBody []byte
	if req.Body != nil {
		requestBody, err = io.ReadAll(req.Body)
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		req.Body = io.NopCloser(bytes.NewReader(requestBody))
	}
	validationReq := req.Clone(context.Background())
	validationReq.Body = io.NopCloser(bytes.NewReader(requestBody))
	input := &openapi3filter.RequestValidationInput{
		Request:    validationReq,
		PathParams: pathParams,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
		v.t.Errorf("request %s breaks the model: %v\nbody: %s", name, err, requestBody)
	}

	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	responseBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(responseBody))

	if err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(responseBody)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}); err != nil {
		v.t.Errorf("response %d to %s breaks the model: %v\nbody: %s", resp.StatusCode, name, err, responseBody)
	}

	v.mu.Lock()
	v.exchanges = append(v.exchanges, exchange{operation: route.Operation.OperationID, status: resp.StatusCode})
	v.mu.Unlock()
	return resp, nil
}

// route finds the model operation of req. It splits the escaped path
// itself, because a router that matches the decoded path would see the "/"
// of a SKU such as "HC/BRUSH#2 PINK" as a segment boundary.
func (v *validatingTransport) route(req *http.Request) (*routers.Route, map[string]string, error) {
	const prefix = "/listings/2021-08-01/items/"

	rest, ok := strings.CutPrefix(req.URL.EscapedPath(), prefix)
	segments := strings.Split(rest, "/")
	if !ok || len(segments) != 2 {
		return nil, nil, fmt.Errorf("path is not %s", listingsItemPath)
	}
	pathParams := map[string]string{}
	for i, name := range []string{"sellerId", "sku"} {
		value, err := url.PathUnescape(segments[i])
		if err != nil {
			return nil, nil, fmt.Errorf("path parameter %s %q is not valid percent-encoding: %w", name, segments[i], err)
		}
		pathParams[name] = value
	}

	pathItem := v.doc.Paths.Value(listingsItemPath)
	if pathItem == nil {
		return nil, nil, fmt.Errorf("model has no path %s", listingsItemPath)
	}
	operation := pathItem.GetOperation(req.Method)
	if operation == nil {
		return nil, nil, fmt.Errorf("model has no %s operation on %s", req.Method, listingsItemPath)
	}
	return &routers.Route{Spec: v.doc, Path: listingsItemPath, PathItem: pathItem, Method: req.Method, Operation: operation}, pathParams, nil
}

// seen reports whether an exchange of operation with status was validated.
func (v *validatingTransport) seen(operation string, status int) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, e := range v.exchanges {
		if e.operation == operation && e.status == status {
			return true
		}
	}
	return false
}
