package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// modelPath is the Listings Items model inside the shared directory.
const modelPath = "amazon-models/sp-api/models/listings-items-api-model/listingsItems_2021-08-01.json"

// loadModel reads Amazon's Swagger 2.0 model and converts it to OpenAPI 3.
// It fails the test, naming every place it looked, when the model is missing.
func loadModel(t *testing.T) *openapi3.T {
	t.Helper()

	candidates, err := modelCandidates()
	if err != nil {
		t.Fatalf("find Amazon's Listings Items model: %v", err)
	}
	var data []byte
	var found string
	for _, candidate := range candidates {
		if data, err = os.ReadFile(candidate); err == nil {
			found = candidate
			break
		}
	}
	if found == "" {
		t.Fatalf("Amazon's Listings Items model is missing; looked in %v: set NOTERP_SHARED_DIR to the shared directory that holds %s", candidates, modelPath)
	}

	var doc2 openapi2.T
	if err := json.Unmarshal(data, &doc2); err != nil {
		t.Fatalf("decode %s: %v", found, err)
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		t.Fatalf("convert %s to OpenAPI 3: %v", found, err)
	}
	if err := doc3.Validate(context.Background()); err != nil {
		t.Fatalf("model %s is not a valid OpenAPI document after conversion: %v", found, err)
	}
	return doc3
}

// modelCandidates lists where the model may be: under $NOTERP_SHARED_DIR
// when it is set, else under ../shared beside the nearest directory above
// the working directory that holds go.mod.
func modelCandidates() ([]string, error) {
	if dir := os.Getenv("NOTERP_SHARED_DIR"); dir != "" {
		return []string{filepath.Join(dir, modelPath)}, nil
	}

	dir, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("read working directory: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return []string{filepath.Join(dir, "..", "shared", modelPath)}, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("no go.mod above the working directory: set NOTERP_SHARED_DIR to the shared directory that holds %s", modelPath)
		}
		dir = parent
	}
}

func TestModelCandidatesFollowSharedDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NOTERP_SHARED_DIR", dir)

	candidates, err := modelCandidates()

	if err != nil || len(candidates) != 1 || candidates[0] != filepath.Join(dir, modelPath) {
		t.Errorf("candidates = %v, %v; want only %s", candidates, err, filepath.Join(dir, modelPath))
	}
}
