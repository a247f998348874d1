package deploy

import (
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"go.temporal.io/sdk/client"
	"go.yaml.in/yaml/v3"

	"github.com/noterp/noterp/api"
	"github.com/noterp/noterp/internal/config"
	"github.com/noterp/noterp/internal/devstack"
	"github.com/noterp/noterp/internal/store"
)

// The subset of the Kubernetes API that the manifests use. Decoding is
// strict, so a field these types do not declare fails the test: add it here
// when a manifest needs a new field, after checking its spelling against
// the Kubernetes API reference.

type objectHeader struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
}

type objectMeta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

type deployment struct {
	objectHeader `yaml:",inline"`
	Spec         struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template podTemplate `yaml:"template"`
	} `yaml:"spec"`
}

type job struct {
	objectHeader `yaml:",inline"`
	Spec         struct {
		BackoffLimit            int         `yaml:"backoffLimit"`
		TTLSecondsAfterFinished int         `yaml:"ttlSecondsAfterFinished"`
		Template                podTemplate `yaml:"template"`
	} `yaml:"spec"`
}

type podTemplate struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     podSpec    `yaml:"spec"`
}

type podSpec struct {
	RestartPolicy                 string `yaml:"restartPolicy"`
	AutomountServiceAccountToken  *bool  `yaml:"automountServiceAccountToken"`
	TerminationGracePeriodSeconds int    `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot   *bool  `yaml:"runAsNonRoot"`
		RunAsUser      *int64 `yaml:"runAsUser"`
		RunAsGroup     *int64 `yaml:"runAsGroup"`
		FSGroup        *int64 `yaml:"fsGroup"`
		SeccompProfile struct {
			Type string `yaml:"type"`
		} `yaml:"seccompProfile"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []volume    `yaml:"volumes"`
}

type container struct {
	Name            string   `yaml:"name"`
	Image           string   `yaml:"image"`
	ImagePullPolicy string   `yaml:"imagePullPolicy"`
	Command         []string `yaml:"command"`
	Args            []string `yaml:"args"`
	Ports           []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	Env            []envVar `yaml:"env"`
	ReadinessProbe *probe   `yaml:"readinessProbe"`
	LivenessProbe  *probe   `yaml:"livenessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type envVar struct {
	Name      string  `yaml:"name"`
	Value     *string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef *keyRef `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

// keyRef names one key of a Secret.
type keyRef struct {
	Name string `yaml:"name"`
	Key  string `yaml:"key"`
}

type probe struct {
	HTTPGet *struct {
		Path string      `yaml:"path"`
		Port intOrString `yaml:"port"`
	} `yaml:"httpGet"`
	InitialDelaySeconds int `yaml:"initialDelaySeconds"`
	PeriodSeconds       int `yaml:"periodSeconds"`
	TimeoutSeconds      int `yaml:"timeoutSeconds"`
	FailureThreshold    int `yaml:"failureThreshold"`
}

// intOrString is a port given as a number or as a container port's name.
type intOrString string

func (p *intOrString) UnmarshalYAML(value *yaml.Node) error {
	*p = intOrString(value.Value)
	return nil
}

type volume struct {
	Name   string `yaml:"name"`
	Secret *struct {
		SecretName  string `yaml:"secretName"`
		Optional    bool   `yaml:"optional"`
		DefaultMode int    `yaml:"defaultMode"`
		Items       []struct {
			Key  string `yaml:"key"`
			Path string `yaml:"path"`
		} `yaml:"items"`
	} `yaml:"secret"`
}

type service struct {
	objectHeader `yaml:",inline"`
	Spec         struct {
		Type     string            `yaml:"type"`
		Selector map[string]string `yaml:"selector"`
		Ports    []struct {
			Name       string      `yaml:"name"`
			Port       int         `yaml:"port"`
			TargetPort intOrString `yaml:"targetPort"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type configMap struct {
	objectHeader `yaml:",inline"`
	Data         map[string]string `yaml:"data"`
}

type kustomization struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Resources  []string `yaml:"resources"`
	Images     []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	} `yaml:"images"`
}

// workload is a Deployment or a Job, with its pod spec.
type workload struct {
	File     string
	Kind     string
	Name     string
	Replicas int
	Labels   map[string]string
	Selector map[string]string
	Pod      podSpec
}

// k8sDir holds the Kubernetes manifests.
const k8sDir = "k8s"

// k8sManifest is one decoded document of a manifest file.
type k8sManifest struct {
	File string
	Doc  *yaml.Node
	objectHeader
}

// k8sManifests returns every document in deploy/k8s except the
// kustomization.
func k8sManifests(t *testing.T) []k8sManifest {
	t.Helper()

	paths, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests in deploy/%s: %v", k8sDir, err)
	}
	var manifests []k8sManifest
	for _, path := range paths {
		if filepath.Base(path) == "kustomization.yaml" {
			continue
		}
		for _, doc := range yamlDocuments(t, path) {
			m := k8sManifest{File: path, Doc: doc}
			if err := doc.Decode(&m.objectHeader); err != nil {
				t.Fatalf("%s: read apiVersion, kind and metadata: %v", path, err)
			}
			manifests = append(manifests, m)
		}
	}
	return manifests
}

// k8sWorkloads returns the Deployments and Jobs, decoded strictly.
func k8sWorkloads(t *testing.T) []workload {
	t.Helper()

	var workloads []workload
	for _, m := range k8sManifests(t) {
		switch m.Kind {
		case "Deployment":
			var d deployment
			if err := decodeStrict(m.Doc, &d); err != nil {
				t.Fatalf("%s: Deployment %s: %v", m.File, m.Metadata.Name, err)
			}
			workloads = append(workloads, workload{
				File: m.File, Kind: m.Kind, Name: d.Metadata.Name, Replicas: d.Spec.Replicas,
				Labels: d.Spec.Template.Metadata.Labels, Selector: d.Spec.Selector.MatchLabels, Pod: d.Spec.Template.Spec,
			})
		case "Job":
			var j job
			if err := decodeStrict(m.Doc, &j); err != nil {
				t.Fatalf("%s: Job %s: %v", m.File, m.Metadata.Name, err)
			}
			workloads = append(workloads, workload{
				File: m.File, Kind: m.Kind, Name: j.Metadata.Name, Replicas: 1,
				Labels: j.Spec.Template.Metadata.Labels, Pod: j.Spec.Template.Spec,
			})
		}
	}
	return workloads
}

// k8sConfigMaps returns the ConfigMaps, decoded strictly.
func k8sConfigMaps(t *testing.T) []configMap {
	t.Helper()

	var maps []configMap
	for _, m := range k8sManifests(t) {
		if m.Kind != "ConfigMap" {
			continue
		}
		var cm configMap
		if err := decodeStrict(m.Doc, &cm); err != nil {
			t.Fatalf("%s: ConfigMap %s: %v", m.File, m.Metadata.Name, err)
		}
		maps = append(maps, cm)
	}
	return maps
}

// k8sServices returns the Services, decoded strictly.
func k8sServices(t *testing.T) []service {
	t.Helper()

	var services []service
	for _, m := range k8sManifests(t) {
		if m.Kind != "Service" {
			continue
		}
		var s service
		if err := decodeStrict(m.Doc, &s); err != nil {
			t.Fatalf("%s: Service %s: %v", m.File, m.Metadata.Name, err)
		}
		services = append(services, s)
	}
	return services
}

// findWorkload returns the workload whose noterp container runs subcommand.
func findWorkload(t *testing.T, kind, subcommand string) (workload, container) {
	t.Helper()

	for _, w := range k8sWorkloads(t) {
		if w.Kind != kind {
			continue
		}
		for _, c := range w.Pod.Containers {
			if slices.Equal(c.Args, []string{subcommand}) {
				return w, c
			}
		}
	}
	t.Fatalf("no %s runs `noterp %s`", kind, subcommand)
	return workload{}, container{}
}

// sampleSecretValues stand in for the values of the Secret keys, so that
// the tests can load a container's configuration. None is a real secret.
var sampleSecretValues = map[string]string{
	"database-url":      "postgres://noterp@postgres.internal:5432/noterp?sslmode=require",
	"lwa-client-secret": "sample-client-secret",
	"secrets-key":       base64.StdEncoding.EncodeToString(make([]byte, config.SecretsKeySize)),
}

// containerEnv returns the environment a container starts with: the
// image's ENV, then its ConfigMaps, then its env entries, the later
// winning as in Kubernetes. Secret references take sampleSecretValues.
func containerEnv(t *testing.T, c container) map[string]string {
	t.Helper()

	env := dockerfileEnv(t, parseDockerfile(t))
	maps := map[string]configMap{}
	for _, cm := range k8sConfigMaps(t) {
		maps[cm.Metadata.Name] = cm
	}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil {
			continue
		}
		cm, ok := maps[from.ConfigMapRef.Name]
		if !ok {
			t.Fatalf("container %s loads ConfigMap %s, which deploy/k8s does not define", c.Name, from.ConfigMapRef.Name)
		}
		for name, value := range cm.Data {
			env[name] = value
		}
	}
	for _, e := range c.Env {
		switch {
		case e.Value != nil:
			env[e.Name] = *e.Value
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			value, ok := sampleSecretValues[e.ValueFrom.SecretKeyRef.Key]
			if !ok {
				t.Fatalf("container %s reads key %s of Secret %s: add a sample value to sampleSecretValues", c.Name, e.ValueFrom.SecretKeyRef.Key, e.ValueFrom.SecretKeyRef.Name)
			}
			env[e.Name] = value
		default:
			t.Fatalf("container %s: env %s has neither a value nor a Secret reference", c.Name, e.Name)
		}
	}
	return env
}

func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		value, ok := env[name]
		return value, ok
	}
}

func TestK8sManifestKindsAreKnown(t *testing.T) {
	want := map[string]bool{"Deployment": true, "Job": true, "Service": true, "ConfigMap": true}
	for _, m := range k8sManifests(t) {
		if !want[m.Kind] {
			t.Errorf("%s: kind %q: the tests of deploy/ check Deployment, Job, Service and ConfigMap only: add checks for it", m.File, m.Kind)
		}
		if m.Metadata.Name == "" {
			t.Errorf("%s: a %s has no metadata.name", m.File, m.Kind)
		}
	}
}

func TestDecodeStrictRejectsMisspeltField(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("name: api\nreadinesProbe:\n  httpGet:\n    path: /readyz\n"), &doc); err != nil {
		t.Fatal(err)
	}
	var c container
	if err := decodeStrict(&doc, &c); err == nil {
		t.Error("decodeStrict accepted readinesProbe, want an error for the unknown field")
	}
}

func TestKustomizationListsLongRunningParts(t *testing.T) {
	docs := yamlDocuments(t, filepath.Join(k8sDir, "kustomization.yaml"))
	if len(docs) != 1 {
		t.Fatalf("kustomization.yaml has %d documents, want 1", len(docs))
	}
	var k kustomization
	if err := decodeStrict(docs[0], &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}

	for _, resource := range k.Resources {
		if _, err := os.Stat(filepath.Join(k8sDir, resource)); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", resource, err)
		}
	}
	kinds := map[string][]string{}
	for _, m := range k8sManifests(t) {
		kinds[filepath.Base(m.File)] = append(kinds[filepath.Base(m.File)], m.Kind)
	}
	for file, fileKinds := range kinds {
		listed := slices.Contains(k.Resources, file)
		isJob := slices.Contains(fileKinds, "Job")
		if isJob && listed {
			t.Errorf("kustomization.yaml lists %s, but its Job must complete before the rollout, not beside it", file)
		}
		if !isJob && !listed {
			t.Errorf("kustomization.yaml does not list %s, so `kubectl apply -k` skips its %v", file, fileKinds)
		}
	}
}

func TestDeploymentsRunTwoReplicas(t *testing.T) {
	deployments := 0
	for _, w := range k8sWorkloads(t) {
		if w.Kind != "Deployment" {
			continue
		}
		deployments++
		if w.Replicas < 2 {
			t.Errorf("Deployment %s has %d replicas, want at least 2 so that one pod can restart while another serves", w.Name, w.Replicas)
		}
		for key, value := range w.Selector {
			if w.Labels[key] != value {
				t.Errorf("Deployment %s selects %s=%s, but its pod template has %s=%q", w.Name, key, value, key, w.Labels[key])
			}
		}
	}
	if deployments != 2 {
		t.Errorf("found %d Deployments, want 2: the API and the worker", deployments)
	}
}

func TestWorkloadsRunNonRootReadOnly(t *testing.T) {
	for _, w := range k8sWorkloads(t) {
		sc := w.Pod.SecurityContext
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s %s: securityContext.runAsNonRoot is not true", w.Kind, w.Name)
		}
		if sc.RunAsUser == nil || *sc.RunAsUser == 0 {
			t.Errorf("%s %s: securityContext.runAsUser is unset or 0, want the image's non-root uid", w.Kind, w.Name)
		}
		if sc.SeccompProfile.Type != "RuntimeDefault" {
			t.Errorf("%s %s: seccompProfile.type = %q, want RuntimeDefault", w.Kind, w.Name, sc.SeccompProfile.Type)
		}
		if w.Pod.AutomountServiceAccountToken == nil || *w.Pod.AutomountServiceAccountToken {
			t.Errorf("%s %s: automountServiceAccountToken is not false, but no part of NotERP calls the Kubernetes API", w.Kind, w.Name)
		}

		for _, c := range w.Pod.Containers {
			csc := c.SecurityContext
			if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
				t.Errorf("%s %s container %s: readOnlyRootFilesystem is not true", w.Kind, w.Name, c.Name)
			}
			if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
				t.Errorf("%s %s container %s: allowPrivilegeEscalation is not false", w.Kind, w.Name, c.Name)
			}
			if !slices.Contains(csc.Capabilities.Drop, "ALL") {
				t.Errorf("%s %s container %s: capabilities.drop = %v, want ALL", w.Kind, w.Name, c.Name, csc.Capabilities.Drop)
			}
			for _, resource := range []string{"cpu", "memory"} {
				if c.Resources.Requests[resource] == "" {
					t.Errorf("%s %s container %s: no %s request", w.Kind, w.Name, c.Name, resource)
				}
				if c.Resources.Limits[resource] == "" {
					t.Errorf("%s %s container %s: no %s limit", w.Kind, w.Name, c.Name, resource)
				}
			}
		}
	}
}

func TestNoterpContainersRunKnownSubcommands(t *testing.T) {
	subcommands := []string{"api", "worker", "migrate"}
	var images []string
	for _, w := range k8sWorkloads(t) {
		for _, c := range w.Pod.Containers {
			if !strings.HasPrefix(c.Image, "noterp:") {
				continue
			}
			images = append(images, c.Image)
			if len(c.Command) > 0 {
				t.Errorf("%s %s container %s overrides the command %v, want the image's ENTRYPOINT /noterp", w.Kind, w.Name, c.Name, c.Command)
			}
			if len(c.Args) != 1 || !slices.Contains(subcommands, c.Args[0]) {
				t.Errorf("%s %s container %s runs noterp %v, want one of %v", w.Kind, w.Name, c.Name, c.Args, subcommands)
			}
		}
	}
	if len(images) == 0 {
		t.Fatal("no container runs the noterp image")
	}
	for _, image := range images {
		if image != images[0] {
			t.Errorf("containers run %s and %s, want one image for every part, so that migrations match the code", images[0], image)
		}
	}
}

// stubTemporal satisfies client.Client for building the API's routes; the
// tests never call it.
type stubTemporal struct{ client.Client }

// apiRoutes returns the method and path of every route the API serves.
func apiRoutes(t *testing.T) (http.Handler, []string) {
	t.Helper()

	srv, err := api.New(api.Config{Store: &store.Store{}, Temporal: stubTemporal{}})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	e, ok := srv.Handler().(*echo.Echo)
	if !ok {
		t.Fatalf("api.Server.Handler is %T, want *echo.Echo to list its routes", srv.Handler())
	}
	var routes []string
	for _, r := range e.Routes() {
		routes = append(routes, r.Method+" "+r.Path)
	}
	return srv.Handler(), routes
}

func TestAPIProbesNameServedRoutes(t *testing.T) {
	w, c := findWorkload(t, "Deployment", "api")
	handler, routes := apiRoutes(t)

	probes := []struct {
		name  string
		probe *probe
		path  string
	}{
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
		{"livenessProbe", c.LivenessProbe, "/healthz"},
	}
	for _, p := range probes {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("Deployment %s: no %s.httpGet", w.Name, p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("Deployment %s: %s path = %q, want %q", w.Name, p.name, p.probe.HTTPGet.Path, p.path)
		}
		if !slices.Contains(routes, "GET "+p.probe.HTTPGet.Path) {
			t.Errorf("Deployment %s: %s path %q is not a GET route of the API; routes: %v", w.Name, p.name, p.probe.HTTPGet.Path, routes)
		}
		if port := containerPort(c, p.probe.HTTPGet.Port); port == 0 {
			t.Errorf("Deployment %s: %s port %q is not a port of container %s", w.Name, p.name, p.probe.HTTPGet.Port, c.Name)
		}
	}

	// The liveness endpoint must respond without PostgreSQL or Temporal,
	// because otherwise an outage of either would restart every API pod.
	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if recorder.Code != http.StatusOK {
		t.Errorf("GET /healthz with no database = %d, want 200", recorder.Code)
	}
}

// containerPort resolves a probe or Service port, given by number or by
// name, to a port of c. It returns 0 when c has no such port.
func containerPort(c container, port intOrString) int {
	for _, p := range c.Ports {
		if string(port) == p.Name || string(port) == strconv.Itoa(p.ContainerPort) {
			return p.ContainerPort
		}
	}
	return 0
}

func TestAPIListensOnContainerPort(t *testing.T) {
	w, c := findWorkload(t, "Deployment", "api")
	env := containerEnv(t, c)

	addr := env[config.EnvAPIAddr]
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("Deployment %s: %s=%q: %v", w.Name, config.EnvAPIAddr, addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsLoopback() {
		t.Errorf("Deployment %s: %s=%q, want an address such as 0.0.0.0 that the kubelet and the Service reach", w.Name, config.EnvAPIAddr, addr)
	}
	if containerPort(c, intOrString(port)) == 0 {
		t.Errorf("Deployment %s: the API listens on port %s, which container %s does not declare", w.Name, port, c.Name)
	}
}

func TestAPIServiceTargetsAPIPods(t *testing.T) {
	w, c := findWorkload(t, "Deployment", "api")
	services := k8sServices(t)
	if len(services) != 1 {
		t.Fatalf("found %d Services, want 1 for the API", len(services))
	}
	s := services[0]

	for key, value := range s.Spec.Selector {
		if w.Labels[key] != value {
			t.Errorf("Service %s selects %s=%s, which the API pods do not carry", s.Metadata.Name, key, value)
		}
	}
	if len(s.Spec.Ports) == 0 {
		t.Fatalf("Service %s has no ports", s.Metadata.Name)
	}
	for _, p := range s.Spec.Ports {
		if containerPort(c, p.TargetPort) == 0 {
			t.Errorf("Service %s targets port %q, which container %s does not declare", s.Metadata.Name, p.TargetPort, c.Name)
		}
	}
}

// TestAPIGetsNoAmazonCredentials keeps least privilege: the API never calls
// Amazon, so it gets neither the LWA client secret nor the secret store.
func TestAPIGetsNoAmazonCredentials(t *testing.T) {
	w, c := findWorkload(t, "Deployment", "api")
	env := containerEnv(t, c)

	for _, name := range []string{config.EnvLWAClientSecret, config.EnvSecretsKey, config.EnvSecretsFile, config.EnvSPAPIRegion, config.EnvSPAPIEndpoint} {
		if _, ok := env[name]; ok {
			t.Errorf("Deployment %s sets %s, which only the worker needs", w.Name, name)
		}
	}
	if len(w.Pod.Volumes) > 0 {
		t.Errorf("Deployment %s mounts volumes %v, want none", w.Name, w.Pod.Volumes)
	}
	if _, err := config.Load(lookupIn(env)); err != nil {
		t.Errorf("Deployment %s: its configuration does not load:\n%v", w.Name, err)
	}
}

// TestWorkerConfigLoadsOnceClientIDSet checks that the worker's settings
// are valid for Amazon's hosts, except the LWA client id, which the
// operator fills in and whose absence stops the worker at start.
func TestWorkerConfigLoadsOnceClientIDSet(t *testing.T) {
	w, c := findWorkload(t, "Deployment", "worker")
	env := containerEnv(t, c)

	empty, err := config.Load(lookupIn(env))
	if err != nil {
		t.Fatalf("Deployment %s: its configuration does not load:\n%v", w.Name, err)
	}
	err = empty.CheckAmazonCredentials()
	if err == nil || !strings.Contains(err.Error(), config.EnvLWAClientID) {
		t.Errorf("Deployment %s with an empty %s passed the worker's credential check with error %v, want an error that names it", w.Name, config.EnvLWAClientID, err)
	}

	env[config.EnvLWAClientID] = "amzn1.application-oa2-client.sample"
	cfg, err := config.Load(lookupIn(env))
	if err != nil {
		t.Fatalf("Deployment %s: its configuration does not load:\n%v", w.Name, err)
	}
	if err := cfg.CheckAmazonCredentials(); err != nil {
		t.Errorf("Deployment %s with the client id set and the secret from its Secret: %v", w.Name, err)
	}
	if cfg.Simulated() {
		t.Errorf("Deployment %s talks to the simulator, want Amazon's hosts of a region", w.Name)
	}
	if cfg.SecretsKey == nil {
		t.Errorf("Deployment %s has no %s, so the worker would write a key file into its read-only filesystem", w.Name, config.EnvSecretsKey)
	}
}

// TestWorkerSecretStoreIsMounted checks that NOTERP_SECRETS_FILE names the
// file that the worker's Secret volume mounts.
func TestWorkerSecretStoreIsMounted(t *testing.T) {
	w, c := findWorkload(t, "Deployment", "worker")
	file := containerEnv(t, c)[config.EnvSecretsFile]
	if file == "" {
		t.Fatalf("Deployment %s sets no %s", w.Name, config.EnvSecretsFile)
	}

	var mounted []string
	for _, m := range c.VolumeMounts {
		for _, v := range w.Pod.Volumes {
			if v.Name != m.Name || v.Secret == nil {
				continue
			}
			if !m.ReadOnly {
				t.Errorf("Deployment %s mounts Secret volume %s writable, want readOnly", w.Name, v.Name)
			}
			for _, item := range v.Secret.Items {
				mounted = append(mounted, filepath.Join(m.MountPath, item.Path))
			}
		}
	}
	if !slices.Contains(mounted, file) {
		t.Errorf("Deployment %s: %s=%s, but its Secret volumes mount %v", w.Name, config.EnvSecretsFile, file, mounted)
	}
}

func TestSearchAttributesJobMatchesWorkflows(t *testing.T) {
	for _, w := range k8sWorkloads(t) {
		if w.Name != "noterp-search-attributes" {
			continue
		}
		args := w.Pod.Containers[0].Args
		var names []string
		for i := 0; i+1 < len(args); i++ {
			switch args[i] {
			case "--name":
				names = append(names, args[i+1])
			case "--type":
				if args[i+1] != "Keyword" {
					t.Errorf("Job %s registers type %s, want Keyword", w.Name, args[i+1])
				}
			}
		}
		if !slices.Equal(names, devstack.SearchAttributeNames) {
			t.Errorf("Job %s registers %v, want %v", w.Name, names, devstack.SearchAttributeNames)
		}
		return
	}
	t.Error("no Job noterp-search-attributes")
}
