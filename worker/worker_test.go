package worker_test

import (
	"strings"
	"testing"

	"github.com/noterp/noterp/worker"
)

func TestNewRequiresDependencies(t *testing.T) {
	_, err := worker.New(worker.Config{})
	if err == nil {
		t.Fatal("New without a Temporal client, store and listings client succeeded")
	}
	for _, name := range []string{"Temporal", "Store", "Listings"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}
