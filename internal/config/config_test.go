package config

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
)

// env returns a lookup function over a fixed set of variables.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		value, ok := vars[name]
		return value, ok
	}
}

func TestLoadDefaultsUseSimulator(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load with no variables: %v", err)
	}

	checks := []struct{ name, got, want string }{
		{"DatabaseURL", c.DatabaseURL, DefaultDatabaseURL},
		{"APIAddr", c.APIAddr, "127.0.0.1:8080"},
		{"TemporalAddress", c.TemporalAddress, "127.0.0.1:7233"},
		{"TemporalNamespace", c.TemporalNamespace, "default"},
		{"AmazonSimAddr", c.AmazonSimAddr, "127.0.0.1:8090"},
		{"LWATokenURL", c.LWATokenURL, "http://127.0.0.1:8090/auth/o2/token"},
		{"DataDir", c.DataDir, ".data"},
		{"SecretsFile", c.SecretsFile, filepath.Join(".data", "secrets.json")},
		{"SecretsKeyFile", c.SecretsKeyFile, filepath.Join(".data", "secrets.key")},
		{"CodecEndpoint", c.CodecEndpoint(), "http://127.0.0.1:8080/codec"},
		{"DemoEnvFile", c.DemoEnvFile(), filepath.Join(".data", "demo.env")},
	}
	for _, check := range checks {
		if check.got != check.want {
			t.Errorf("%s = %q, want %q", check.name, check.got, check.want)
		}
	}
	if c.TemporalUIPort != 8233 {
		t.Errorf("TemporalUIPort = %d, want 8233", c.TemporalUIPort)
	}
	if !c.Simulated() {
		t.Error("Simulated() = false with no endpoint and no region, want true")
	}
	if c.SecretsKey != nil {
		t.Errorf("SecretsKey = %d bytes, want nil so that the key file is used", len(c.SecretsKey))
	}
	if c.LogLevel != zapcore.InfoLevel {
		t.Errorf("LogLevel = %v, want info", c.LogLevel)
	}
}

func TestLoadRegionUsesAmazonTokenURL(t *testing.T) {
	c, err := Load(env(map[string]string{
		EnvSPAPIRegion:       "EU",
		EnvSPAPISandbox:      "true",
		EnvLWAClientID:       "amzn1.application-oa2-client.example",
		EnvLWAClientSecret:   "example-secret",
		EnvDataDir:           "/var/lib/noterp",
		EnvTemporalUIPort:    "9233",
		EnvLogLevel:          "debug",
		EnvTemporalCLI:       "/opt/temporal",
		EnvTemporalAddress:   "temporal.internal:7233",
		EnvTemporalNamespace: "noterp-prod",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	if c.Simulated() {
		t.Error("Simulated() = true with a region, want false")
	}
	if c.SPAPIRegion != "eu" {
		t.Errorf("SPAPIRegion = %q, want eu", c.SPAPIRegion)
	}
	if !c.SPAPISandbox {
		t.Error("SPAPISandbox = false, want true")
	}
	if c.LWATokenURL != DefaultLWATokenURL {
		t.Errorf("LWATokenURL = %q, want %q", c.LWATokenURL, DefaultLWATokenURL)
	}
	if c.SecretsFile != "/var/lib/noterp/secrets.json" {
		t.Errorf("SecretsFile = %q, want it under the data dir", c.SecretsFile)
	}
	if c.TemporalUIPort != 9233 {
		t.Errorf("TemporalUIPort = %d, want 9233", c.TemporalUIPort)
	}
	if c.LogLevel != zapcore.DebugLevel {
		t.Errorf("LogLevel = %v, want debug", c.LogLevel)
	}
}

func TestLoadSecretsKeyDecodes(t *testing.T) {
	key := make([]byte, SecretsKeySize)
	for i := range key {
		key[i] = byte(i)
	}

	c, err := Load(env(map[string]string{EnvSecretsKey: base64.StdEncoding.EncodeToString(key)}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if string(c.SecretsKey) != string(key) {
		t.Errorf("SecretsKey = %x, want %x", c.SecretsKey, key)
	}
}

func TestLoadRejectsInvalidValues(t *testing.T) {
	shortKey := base64.StdEncoding.EncodeToString([]byte("too short"))
	cases := []struct {
		name string
		vars map[string]string
		// want are fragments the error must contain: the variable, the
		// value and the fix.
		want []string
	}{
		{"database URL scheme", map[string]string{EnvDatabaseURL: "mysql://localhost/noterp"}, []string{EnvDatabaseURL, "mysql://localhost/noterp", "write it like"}},
		{"database URL without database", map[string]string{EnvDatabaseURL: "postgres://postgres@127.0.0.1:5432"}, []string{EnvDatabaseURL, "names no database"}},
		{"database URL password redacted", map[string]string{EnvDatabaseURL: "mysql://u:hunter2@h/db"}, []string{"xxxxx"}},
		{"API address without port", map[string]string{EnvAPIAddr: "127.0.0.1"}, []string{EnvAPIAddr, `"127.0.0.1"`, "host:port"}},
		{"API address without host", map[string]string{EnvAPIAddr: ":8080"}, []string{EnvAPIAddr, "127.0.0.1:8080"}},
		{"Temporal address bad port", map[string]string{EnvTemporalAddress: "127.0.0.1:99999"}, []string{EnvTemporalAddress, "1 to 65535"}},
		{"simulator address", map[string]string{EnvAmazonSimAddr: "sim"}, []string{EnvAmazonSimAddr, `"sim"`}},
		{"UI port", map[string]string{EnvTemporalUIPort: "web"}, []string{EnvTemporalUIPort, `"web"`, "1 to 65535"}},
		{"region", map[string]string{EnvSPAPIRegion: "us"}, []string{EnvSPAPIRegion, `"us"`, "na, eu or fe"}},
		{"region and endpoint", map[string]string{EnvSPAPIRegion: "na", EnvSPAPIEndpoint: "https://example.test", EnvLWAClientID: "id", EnvLWAClientSecret: "s"}, []string{EnvSPAPIRegion, EnvSPAPIEndpoint, "set only one"}},
		{"endpoint relative", map[string]string{EnvSPAPIEndpoint: "sellingpartnerapi-na.amazon.com", EnvLWAClientID: "id", EnvLWAClientSecret: "s"}, []string{EnvSPAPIEndpoint, "absolute"}},
		{"endpoint plain http", map[string]string{EnvSPAPIEndpoint: "http://sellingpartnerapi-na.amazon.com", EnvLWAClientID: "id", EnvLWAClientSecret: "s"}, []string{EnvSPAPIEndpoint, "use https"}},
		{"sandbox", map[string]string{EnvSPAPISandbox: "yes please"}, []string{EnvSPAPISandbox, `"yes please"`, "true or false"}},
		{"secrets key base64", map[string]string{EnvSecretsKey: "not base64!"}, []string{EnvSecretsKey, "base64", "openssl rand -base64 32"}},
		{"secrets key length", map[string]string{EnvSecretsKey: shortKey}, []string{EnvSecretsKey, "9 bytes", "32"}},
		{"log level", map[string]string{EnvLogLevel: "loud"}, []string{EnvLogLevel, `"loud"`, "debug, info, warn or error"}},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(tc.vars))
			if err == nil {
				t.Fatalf("Load(%v) succeeded, want an error", tc.vars)
			}
			for _, fragment := range tc.want {
				if !strings.Contains(err.Error(), fragment) {
					t.Errorf("error %q does not contain %q", err, fragment)
				}
			}
		})
	}
}

func TestLoadRegionWithoutLWAClient(t *testing.T) {
	c, err := Load(env(map[string]string{EnvSPAPIRegion: "na"}))
	if err != nil {
		t.Fatalf("Load with a region and no LWA client: %v, want success so that commands other than the worker run", err)
	}

	err = c.CheckAmazonCredentials()
	if err == nil {
		t.Fatal("CheckAmazonCredentials with a region and no LWA client succeeded, want an error")
	}
	for _, fragment := range []string{EnvLWAClientID, EnvLWAClientSecret, "missing"} {
		if !strings.Contains(err.Error(), fragment) {
			t.Errorf("error %q does not contain %q", err, fragment)
		}
	}
}

func TestCheckAmazonCredentials(t *testing.T) {
	cases := []struct {
		name string
		vars map[string]string
		// missing are the variables the error must name; none means no
		// error.
		missing []string
	}{
		{"simulator", nil, nil},
		{"simulator with client", map[string]string{EnvLWAClientID: "id", EnvLWAClientSecret: "s"}, nil},
		{"region with client", map[string]string{EnvSPAPIRegion: "eu", EnvLWAClientID: "id", EnvLWAClientSecret: "s"}, nil},
		{"region without secret", map[string]string{EnvSPAPIRegion: "fe", EnvLWAClientID: "id"}, []string{EnvLWAClientSecret}},
		{"region without id", map[string]string{EnvSPAPIRegion: "fe", EnvLWAClientSecret: "s"}, []string{EnvLWAClientID}},
		{"endpoint without client", map[string]string{EnvSPAPIEndpoint: "https://sellingpartnerapi-na.amazon.com"}, []string{EnvLWAClientID, EnvLWAClientSecret}},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(env(tc.vars))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}

			err = c.CheckAmazonCredentials()

			if len(tc.missing) == 0 {
				if err != nil {
					t.Errorf("CheckAmazonCredentials = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckAmazonCredentials succeeded, want an error naming %v", tc.missing)
			}
			for _, name := range tc.missing {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
		})
	}
}

func TestCheckAmazonCredentialsHidesSecret(t *testing.T) {
	c, err := Load(env(map[string]string{EnvSPAPIRegion: "na", EnvLWAClientSecret: "amzn1.oa2-cs.v1.hunter2"}))
	if err != nil {
		t.Fatal(err)
	}

	err = c.CheckAmazonCredentials()

	if err == nil {
		t.Fatal("CheckAmazonCredentials without a client id succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q contains the client secret", err)
	}
}

func TestLoadSecretsKeyNotInError(t *testing.T) {
	secret := "c2VjcmV0LWtleS10aGF0LWlzLXRvby1zaG9ydA=="

	_, err := Load(env(map[string]string{EnvSecretsKey: secret}))
	if err == nil {
		t.Fatal("Load with a short key succeeded, want an error")
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q contains the key value", err)
	}
}

func TestLoadReportsAllProblems(t *testing.T) {
	_, err := Load(env(map[string]string{EnvAPIAddr: "nope", EnvLogLevel: "loud"}))
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	for _, name := range []string{EnvAPIAddr, EnvLogLevel} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestVariablesDocumented(t *testing.T) {
	for _, doc := range []string{"../../docs/configuration.md", "../../README.md"} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatalf("read %s: %v", doc, err)
		}
		for _, v := range Variables {
			if !strings.Contains(string(text), v.Name) {
				t.Errorf("%s does not document %s", doc, v.Name)
			}
		}
	}
}
