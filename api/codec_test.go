package api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

func TestCodecRoundTrip(t *testing.T) {
	h := newHarness(t)
	original, err := converter.GetDefaultDataConverter().ToPayloads(map[string]string{"sku": "DEMO-SKU-001"})
	if err != nil {
		t.Fatalf("ToPayloads: %v", err)
	}
	body, err := protojson.Marshal(original)
	if err != nil {
		t.Fatalf("marshal payloads: %v", err)
	}

	encoded := h.do(http.MethodPost, "/codec/encode", "", string(body), "X-Namespace", "default")
	if encoded.Code != http.StatusOK {
		t.Fatalf("encode: status %d (body %s)", encoded.Code, encoded.Body)
	}
	decoded := h.do(http.MethodPost, "/codec/decode", "", encoded.Body.String(), "X-Namespace", "default")
	if decoded.Code != http.StatusOK {
		t.Fatalf("decode: status %d (body %s)", decoded.Code, decoded.Body)
	}

	var got commonpb.Payloads
	if err := protojson.Unmarshal(decoded.Body.Bytes(), &got); err != nil {
		t.Fatalf("unmarshal decoded payloads: %v", err)
	}
	var value map[string]string
	if err := converter.GetDefaultDataConverter().FromPayloads(&got, &value); err != nil {
		t.Fatalf("FromPayloads: %v", err)
	}
	if value["sku"] != "DEMO-SKU-001" {
		t.Errorf("round trip = %v, want sku DEMO-SKU-001", value)
	}
}

func TestCodecRejectsInvalidBody(t *testing.T) {
	h := newHarness(t)
	rec := h.do(http.MethodPost, "/codec/decode", "", "not payloads")
	if rec.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", rec.Code)
	}
}

func TestCodecPreflightAllowsTemporalWeb(t *testing.T) {
	h := newHarness(t)
	rec := h.do(http.MethodOptions, "/codec/decode", "", "",
		"Origin", "http://localhost:8233",
		"Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type,x-namespace")

	if rec.Code != http.StatusNoContent {
		t.Errorf("status = %d, want 204", rec.Code)
	}
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "http://localhost:8233" {
		t.Errorf("Allow-Origin = %q, want http://localhost:8233", got)
	}
	allowed := strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers"))
	for _, header := range []string{"x-namespace", "content-type"} {
		if !strings.Contains(allowed, header) {
			t.Errorf("Allow-Headers %q lacks %s", allowed, header)
		}
	}
	if !strings.Contains(rec.Header().Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("Allow-Methods = %q, want POST", rec.Header().Get("Access-Control-Allow-Methods"))
	}
}

func TestCodecPreflightRejectsOtherOrigin(t *testing.T) {
	h := newHarness(t)
	rec := h.do(http.MethodOptions, "/codec/decode", "", "",
		"Origin", "https://evil.example",
		"Access-Control-Request-Method", "POST")
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("Allow-Origin = %q for a foreign origin, want none", got)
	}
}

func TestHealthz(t *testing.T) {
	h := newHarness(t)
	if rec := h.do(http.MethodGet, "/healthz", "", ""); rec.Code != http.StatusOK {
		t.Errorf("healthz status = %d, want 200", rec.Code)
	}
}

func TestReadyz(t *testing.T) {
	h := newHarness(t)
	if rec := h.do(http.MethodGet, "/readyz", "", ""); rec.Code != http.StatusOK {
		t.Errorf("readyz status = %d, want 200 (body %s)", rec.Code, rec.Body)
	}

	h.temporal.healthErr = errors.New("connection refused")
	rec := h.do(http.MethodGet, "/readyz", "", "")
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable", "Temporal")
}

func TestUnknownRoute(t *testing.T) {
	h := newHarness(t)
	rec := h.do(http.MethodGet, "/v2/nothing", "", "")
	wantError(t, rec, http.StatusNotFound, "not_found", "no such route")
}

func TestReadyzWithoutPostgreSQL(t *testing.T) {
	h := newHarness(t)
	h.store.Close()
	rec := h.do(http.MethodGet, "/readyz", "", "")
	wantError(t, rec, http.StatusServiceUnavailable, "unavailable", "PostgreSQL")
}
