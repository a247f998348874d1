package deploy

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/noterp/noterp/internal/config"
	"github.com/noterp/noterp/internal/devstack"
)

// composeFile is the part of the Compose file format that the tests read.
// Decoding is not strict, because Compose files carry x- extension keys.
type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	NetworkMode string            `yaml:"network_mode"`
	Labels      map[string]string `yaml:"labels"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

// noterpServices are the compose services that run the noterp image, by
// subcommand.
var noterpServices = []string{"migrate", "api", "worker", "amazonsim"}

func loadCompose(t *testing.T) composeFile {
	t.Helper()

	docs := yamlDocuments(t, "compose.yaml")
	if len(docs) != 1 {
		t.Fatalf("compose.yaml has %d documents, want 1", len(docs))
	}
	var f composeFile
	if err := docs[0].Decode(&f); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return f
}

// composeEnvironments returns each service's environment as written in
// compose.yaml.
func composeEnvironments(t *testing.T) map[string]map[string]string {
	t.Helper()

	envs := map[string]map[string]string{}
	for name, s := range loadCompose(t).Services {
		envs[name] = s.Environment
	}
	return envs
}

// composeServiceEnv returns the environment a noterp service starts with:
// the image's ENV, overridden by the service's environment.
func composeServiceEnv(t *testing.T, s composeService) map[string]string {
	t.Helper()

	env := dockerfileEnv(t, parseDockerfile(t))
	for name, value := range s.Environment {
		env[name] = value
	}
	return env
}

// flagValues returns the values that follow each occurrence of flag in
// args.
func flagValues(args []string, flag string) []string {
	var values []string
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			values = append(values, args[i+1])
		}
	}
	return values
}

func TestComposeRunsEveryPart(t *testing.T) {
	f := loadCompose(t)

	for _, name := range append([]string{"postgres", "temporal"}, noterpServices...) {
		if _, ok := f.Services[name]; !ok {
			t.Errorf("compose.yaml has no service %s", name)
		}
	}
	for _, name := range noterpServices {
		s := f.Services[name]
		if !strings.HasPrefix(s.Image, "noterp:") {
			t.Errorf("service %s runs image %q, want the noterp image", name, s.Image)
		}
		if !slices.Equal(s.Command, []string{name}) {
			t.Errorf("service %s runs noterp %v, want [%s]", name, s.Command, name)
		}
	}
	for _, name := range []string{"api", "worker"} {
		if got := f.Services[name].DependsOn["migrate"].Condition; got != "service_completed_successfully" {
			t.Errorf("service %s waits for migrate with condition %q, want service_completed_successfully", name, got)
		}
	}
}

func TestComposeServicesConfigLoads(t *testing.T) {
	f := loadCompose(t)

	for _, name := range noterpServices {
		env := composeServiceEnv(t, f.Services[name])
		if _, err := config.Load(lookupIn(env)); err != nil {
			t.Errorf("service %s: `noterp %s` rejects its configuration:\n%v", name, name, err)
		}
	}
}

// TestComposeWorkerReachesSimulatorOnLoopback checks the wiring that lets a
// loopback-only simulator serve a worker in another container: the worker
// joins the simulator's network namespace and both name the same loopback
// address and data directory.
func TestComposeWorkerReachesSimulatorOnLoopback(t *testing.T) {
	f := loadCompose(t)
	worker, sim := f.Services["worker"], f.Services["amazonsim"]

	if worker.NetworkMode != "service:amazonsim" {
		t.Errorf("worker network_mode = %q, want service:amazonsim", worker.NetworkMode)
	}

	workerEnv, simEnv := composeServiceEnv(t, worker), composeServiceEnv(t, sim)
	addr := simEnv[config.EnvAmazonSimAddr]
	host, _, err := net.SplitHostPort(addr)
	if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
		t.Errorf("amazonsim %s=%q, want a loopback address, the only kind `noterp amazonsim` listens on", config.EnvAmazonSimAddr, addr)
	}
	if workerEnv[config.EnvAmazonSimAddr] != addr {
		t.Errorf("worker %s=%q, want the simulator's %q", config.EnvAmazonSimAddr, workerEnv[config.EnvAmazonSimAddr], addr)
	}

	cfg, err := config.Load(lookupIn(workerEnv))
	if err != nil {
		t.Fatalf("worker configuration: %v", err)
	}
	if !cfg.Simulated() {
		t.Error("the compose worker calls Amazon, want the simulator")
	}

	// The worker reads the refresh token that the simulator writes into
	// the secret store, so both mount one volume at the data directory.
	dataDir := workerEnv[config.EnvDataDir]
	if simEnv[config.EnvDataDir] != dataDir {
		t.Errorf("worker and amazonsim use data directories %q and %q, want one", dataDir, simEnv[config.EnvDataDir])
	}
	shared := false
	for _, v := range worker.Volumes {
		if strings.HasSuffix(v, ":"+dataDir) && slices.Contains(sim.Volumes, v) {
			shared = true
		}
	}
	if !shared {
		t.Errorf("worker volumes %v and amazonsim volumes %v share no volume at %s", worker.Volumes, sim.Volumes, dataDir)
	}
}

func TestComposeSimulatorLabelledAsTestDouble(t *testing.T) {
	sim := loadCompose(t).Services["amazonsim"]

	labelled := false
	for _, value := range sim.Labels {
		if strings.Contains(value, "test-double") || strings.Contains(value, "Not Amazon") {
			labelled = true
		}
	}
	if !labelled {
		t.Errorf("amazonsim labels %v do not mark it as a test double", sim.Labels)
	}
}

func TestComposeRegistersSearchAttributes(t *testing.T) {
	command := loadCompose(t).Services["temporal"].Command

	var want []string
	for _, name := range devstack.SearchAttributeNames {
		want = append(want, name+"=Keyword")
	}
	if got := flagValues(command, "--search-attribute"); !slices.Equal(got, want) {
		t.Errorf("temporal registers search attributes %v, want %v", got, want)
	}
}

func TestComposePublishesOnLoopbackOnly(t *testing.T) {
	for name, s := range loadCompose(t).Services {
		for _, port := range s.Ports {
			if !strings.HasPrefix(port, "127.0.0.1:") {
				t.Errorf("service %s publishes %q, want 127.0.0.1:HOST:CONTAINER so that only this machine reaches it", name, port)
			}
		}
	}
}

// TestComposeTemporalWebReachesCodec checks both sides of the codec
// endpoint: Temporal Web calls the API's published port, and the API
// accepts calls from Temporal Web's published port.
func TestComposeTemporalWebReachesCodec(t *testing.T) {
	f := loadCompose(t)
	temporal, apiService := f.Services["temporal"], f.Services["api"]

	apiHostPort := publishedHostPort(t, apiService, 8080)
	endpoints := flagValues(temporal.Command, "--ui-codec-endpoint")
	want := "http://127.0.0.1:" + strconv.Itoa(apiHostPort) + "/codec"
	if len(endpoints) != 1 || endpoints[0] != want {
		t.Errorf("temporal --ui-codec-endpoint = %v, want %s", endpoints, want)
	}

	uiHostPort := publishedHostPort(t, temporal, 8233)
	cfg, err := config.Load(lookupIn(composeServiceEnv(t, apiService)))
	if err != nil {
		t.Fatalf("api configuration: %v", err)
	}
	if cfg.TemporalUIPort != uiHostPort {
		t.Errorf("api %s = %d, but Temporal Web is published on port %d", config.EnvTemporalUIPort, cfg.TemporalUIPort, uiHostPort)
	}
}

// publishedHostPort returns the host port that s publishes containerPort
// on.
func publishedHostPort(t *testing.T, s composeService, containerPort int) int {
	t.Helper()

	for _, mapping := range s.Ports {
		parts := strings.Split(mapping, ":")
		if len(parts) != 3 || parts[2] != strconv.Itoa(containerPort) {
			continue
		}
		port, err := strconv.Atoi(parts[1])
		if err != nil {
			t.Fatalf("port mapping %q: %v", mapping, err)
		}
		return port
	}
	t.Fatalf("ports %v do not publish container port %d", s.Ports, containerPort)
	return 0
}

func TestComposeDecodesMergeKeys(t *testing.T) {
	// compose.yaml shares the image and the database URL through YAML
	// anchors and merge keys; a parser that ignored them would leave the
	// services without an image.
	text := "x-image: &image\n  image: noterp:dev\nservices:\n  api:\n    <<: *image\n    command: [api]\n"
	var f composeFile
	if err := yaml.Unmarshal([]byte(text), &f); err != nil {
		t.Fatal(err)
	}
	if f.Services["api"].Image != "noterp:dev" {
		t.Errorf("api image = %q, want noterp:dev from the merge key", f.Services["api"].Image)
	}
}
