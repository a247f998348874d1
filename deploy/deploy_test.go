// Package deploy holds NotERP's container image, compose file and
// Kubernetes manifests. No Docker engine or Kubernetes cluster runs these
// tests, so they read the files and check them against the code. Every
// NOTERP_* variable must exist in package config, and the API's probes
// must name routes the API serves. No file may carry a secret value, and
// the image must build ./cmd/noterp and run as non-root.
package deploy

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/noterp/noterp/internal/config"
)

// yamlFiles returns the paths of every YAML file under deploy/, relative to
// this directory.
func yamlFiles(t *testing.T) []string {
	t.Helper()

	var paths []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list YAML files under deploy/: %v", err)
	}
	if len(paths) == 0 {
		t.Fatal("no YAML files under deploy/")
	}
	return paths
}

// yamlDocuments parses every document of the YAML file at path. An empty
// document, such as the one after a trailing ---, is skipped.
func yamlDocuments(t *testing.T, path string) []*yaml.Node {
	t.Helper()

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	decoder := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := decoder.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
			continue
		}
		docs = append(docs, &doc)
	}
	return docs
}

// decodeStrict decodes node into out and fails on a field that out does not
// declare, so that a misspelt key such as readinesProbe fails the test
// instead of being dropped.
func decodeStrict(node *yaml.Node, out any) error {
	data, err := yaml.Marshal(node)
	if err != nil {
		return err
	}
	decoder := yaml.NewDecoder(bytes.NewReader(data))
	decoder.KnownFields(true)
	return decoder.Decode(out)
}

// knownVariables returns the names in config.Variables.
func knownVariables() map[string]bool {
	known := make(map[string]bool, len(config.Variables))
	for _, v := range config.Variables {
		known[v.Name] = true
	}
	return known
}

// variablePattern matches a NOTERP_* variable name anywhere in a file.
var variablePattern = regexp.MustCompile(`NOTERP_[A-Z0-9_]+`)

// deployFiles returns the text files that configure a deployment: the
// YAML files and the Dockerfile.
func deployFiles(t *testing.T) []string {
	t.Helper()
	return append(yamlFiles(t), "Dockerfile")
}

func TestYAMLFilesParse(t *testing.T) {
	for _, path := range yamlFiles(t) {
		if docs := yamlDocuments(t, path); len(docs) == 0 {
			t.Errorf("%s holds no YAML document", path)
		}
	}
}

// TestVariablesSetAreKnown checks the variables each file sets: compose
// environments, Kubernetes env entries, ConfigMap keys and Dockerfile ENV.
// A variable that package config renamed or dropped fails here.
func TestVariablesSetAreKnown(t *testing.T) {
	known := knownVariables()
	set := map[string][]string{} // variable → files that set it

	for service, env := range composeEnvironments(t) {
		for name := range env {
			set[name] = append(set[name], "compose.yaml service "+service)
		}
	}
	for _, w := range k8sWorkloads(t) {
		for _, c := range w.Pod.Containers {
			for _, e := range c.Env {
				set[e.Name] = append(set[e.Name], w.File+" container "+c.Name)
			}
		}
	}
	for _, cm := range k8sConfigMaps(t) {
		for name := range cm.Data {
			set[name] = append(set[name], "ConfigMap "+cm.Metadata.Name)
		}
	}
	for name := range dockerfileEnv(t, parseDockerfile(t)) {
		set[name] = append(set[name], "Dockerfile ENV")
	}

	if len(set) == 0 {
		t.Fatal("found no variables in deploy/, want the services' settings")
	}
	for name, where := range set {
		if !strings.HasPrefix(name, "NOTERP_") {
			continue
		}
		if !known[name] {
			t.Errorf("%s is set in %v but is not in config.Variables: rename it to the variable package config reads", name, where)
		}
	}
}

// TestVariablesMentionedAreKnown catches a NOTERP_* name anywhere in the
// deploy files, comments and $(VAR) references included.
func TestVariablesMentionedAreKnown(t *testing.T) {
	known := knownVariables()

	for _, path := range append(deployFiles(t), "README.md", filepath.Join("..", "docs", "operations.md")) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		for _, name := range variablePattern.FindAllString(string(data), -1) {
			if !known[name] {
				t.Errorf("%s mentions %s, which is not in config.Variables", path, name)
			}
		}
	}
}

// TestNoLiteralLWAClientSecret checks that the LWA client secret reaches a
// container only through a Secret reference.
func TestNoLiteralLWAClientSecret(t *testing.T) {
	name := config.EnvLWAClientSecret
	referenced := false

	for _, w := range k8sWorkloads(t) {
		for _, c := range w.Pod.Containers {
			for _, e := range c.Env {
				if e.Name != name {
					continue
				}
				if e.Value != nil {
					t.Errorf("%s container %s sets %s to a literal value, want valueFrom.secretKeyRef", w.File, c.Name, name)
				}
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
					t.Errorf("%s container %s takes %s from somewhere other than a Secret", w.File, c.Name, name)
					continue
				}
				referenced = true
			}
		}
	}
	if !referenced {
		t.Errorf("no workload takes %s from a Secret, want the worker to", name)
	}

	for _, cm := range k8sConfigMaps(t) {
		if _, ok := cm.Data[name]; ok {
			t.Errorf("ConfigMap %s holds %s, want it only in a Secret", cm.Metadata.Name, name)
		}
	}
	for service, env := range composeEnvironments(t) {
		if value, ok := env[name]; ok && !isInterpolation(value) {
			t.Errorf("compose.yaml service %s sets %s to a literal value, want ${%s} from the shell", service, name, name)
		}
	}
	if _, ok := dockerfileEnv(t, parseDockerfile(t))[name]; ok {
		t.Errorf("the Dockerfile sets %s, which bakes it into the image", name)
	}
}

// isInterpolation reports whether a compose value is one ${VAR} reference,
// so that the value comes from the shell that runs compose.
func isInterpolation(value string) bool {
	return interpolationPattern.MatchString(value)
}

// interpolationPattern matches ${VAR}, ${VAR:-default} and ${VAR:?message}.
var interpolationPattern = regexp.MustCompile(`^\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}$`)

func TestIsInterpolation(t *testing.T) {
	cases := []struct {
		value string
		want  bool
	}{
		{"${NOTERP_LWA_CLIENT_SECRET}", true},
		{"${NOTERP_LWA_CLIENT_SECRET:?set it}", true},
		{"amzn1.oa2-cs.v1.abcdef", false},
		{"prefix-${NOTERP_LWA_CLIENT_SECRET}", false},
		{"", false},
	}
	for _, tc := range cases {
		if got := isInterpolation(tc.value); got != tc.want {
			t.Errorf("isInterpolation(%q) = %v, want %v", tc.value, got, tc.want)
		}
	}
}

// TestNoSecretObjects keeps secret values out of the repository: the
// manifests reference Secrets that the operator creates.
func TestNoSecretObjects(t *testing.T) {
	for _, path := range yamlFiles(t) {
		for _, doc := range yamlDocuments(t, path) {
			var header objectHeader
			if err := doc.Decode(&header); err != nil {
				continue
			}
			if header.Kind == "Secret" {
				t.Errorf("%s defines Secret %s: create it with kubectl instead (docs/operations.md), so that no value is committed", path, header.Metadata.Name)
			}
		}
	}
}

// TestSecretsDocumented checks that docs/operations.md creates every Secret
// key the manifests reference, with the same names.
func TestSecretsDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "operations.md"))
	if err != nil {
		t.Fatalf("read docs/operations.md: %v", err)
	}
	doc := string(data)

	refs := secretReferences(t)
	if len(refs) == 0 {
		t.Fatal("the manifests reference no Secret, want the database URL and the LWA client secret")
	}
	for _, ref := range refs {
		if !strings.Contains(doc, "kubectl create secret generic "+ref.Name) {
			t.Errorf("docs/operations.md does not create Secret %s", ref.Name)
		}
		if !strings.Contains(doc, "--from-literal="+ref.Key+"=") && !strings.Contains(doc, "--from-file="+ref.Key+"=") {
			t.Errorf("docs/operations.md does not set key %s of Secret %s", ref.Key, ref.Name)
		}
	}
}

// secretReferences returns every (Secret, key) pair that a workload reads.
func secretReferences(t *testing.T) []keyRef {
	t.Helper()

	var refs []keyRef
	add := func(ref keyRef) {
		if !slices.Contains(refs, ref) {
			refs = append(refs, ref)
		}
	}
	for _, w := range k8sWorkloads(t) {
		for _, c := range w.Pod.Containers {
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					add(*e.ValueFrom.SecretKeyRef)
				}
			}
		}
		for _, v := range w.Pod.Volumes {
			if v.Secret == nil {
				continue
			}
			for _, item := range v.Secret.Items {
				add(keyRef{Name: v.Secret.SecretName, Key: item.Key})
			}
		}
	}
	return refs
}
