// Package config loads NotERP's settings from environment variables, fills
// in defaults for local development and validates every value. An invalid
// value is reported with the variable's name, the value and what to set.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"go.uber.org/zap/zapcore"
)

// SecretsKeySize is the length in bytes of the secret store's AES-256 key.
const SecretsKeySize = 32

// Config holds every setting of the noterp binary. Load builds it; the zero
// value is not valid.
type Config struct {
	DatabaseURL       string
	APIAddr           string
	TemporalAddress   string
	TemporalNamespace string
	TemporalUIPort    int
	// TemporalCLI is the Temporal CLI executable. Empty means: look for
	// bin/temporal, then temporal on PATH.
	TemporalCLI   string
	AmazonSimAddr string

	// SPAPIEndpoint is an explicit SP-API base URL. Empty with an empty
	// SPAPIRegion means the simulator.
	SPAPIEndpoint string
	// SPAPIRegion is na, eu or fe when the worker talks to Amazon's hosts.
	SPAPIRegion  string
	SPAPISandbox bool

	LWATokenURL     string
	LWAClientID     string
	LWAClientSecret string

	DataDir     string
	SecretsFile string
	// SecretsKey is the decoded key of NOTERP_SECRETS_KEY, or nil when the
	// key is to be read from or generated into SecretsKeyFile.
	SecretsKey     []byte
	SecretsKeyFile string

	LogLevel zapcore.Level
}

// Simulated reports whether the worker talks to the Amazon simulator rather
// than to Amazon, which is the case when neither an SP-API endpoint nor a
// region is configured.
func (c Config) Simulated() bool {
	return c.SPAPIEndpoint == "" && c.SPAPIRegion == ""
}

// SimulatorURL returns the base URL of the simulator at AmazonSimAddr.
func (c Config) SimulatorURL() string {
	return "http://" + c.AmazonSimAddr
}

// CodecEndpoint returns the URL of the API's payload codec endpoint, which
// Temporal Web calls to decode payloads.
func (c Config) CodecEndpoint() string {
	return "http://" + c.APIAddr + "/codec"
}

// DemoEnvFile returns the path of the file that `noterp dev` writes for
// `noterp demo`: the API URL, the demo tenant and its users' tokens.
func (c Config) DemoEnvFile() string {
	return filepath.Join(c.DataDir, "demo.env")
}

// FromEnv loads the configuration from the process environment.
func FromEnv() (Config, error) {
	return Load(os.LookupEnv)
}

// Load builds the configuration from lookup, which returns a variable's value
// and whether it is set, and validates it. All invalid variables are reported
// together, joined with errors.Join.
func Load(lookup func(string) (string, bool)) (Config, error) {
	get := func(name, fallback string) string {
		value, ok := lookup(name)
		value = strings.TrimSpace(value)
		if !ok || value == "" {
			return fallback
		}
		return value
	}

	var problems []error
	c := Config{
		DatabaseURL:       get(EnvDatabaseURL, DefaultDatabaseURL),
		APIAddr:           get(EnvAPIAddr, DefaultAPIAddr),
		TemporalAddress:   get(EnvTemporalAddress, DefaultTemporalAddress),
		TemporalNamespace: get(EnvTemporalNamespace, DefaultTemporalNamespace),
		TemporalCLI:       get(EnvTemporalCLI, ""),
		AmazonSimAddr:     get(EnvAmazonSimAddr, DefaultAmazonSimAddr),
		SPAPIEndpoint:     strings.TrimRight(get(EnvSPAPIEndpoint, ""), "/"),
		SPAPIRegion:       strings.ToLower(get(EnvSPAPIRegion, "")),
		LWAClientID:       get(EnvLWAClientID, ""),
		LWAClientSecret:   get(EnvLWAClientSecret, ""),
		DataDir:           get(EnvDataDir, DefaultDataDir),
	}
	c.SecretsFile = get(EnvSecretsFile, filepath.Join(c.DataDir, "secrets.json"))
	c.SecretsKeyFile = filepath.Join(c.DataDir, "secrets.key")

	defaultTokenURL := DefaultLWATokenURL
	if c.Simulated() {
		defaultTokenURL = c.SimulatorURL() + "/auth/o2/token"
	}
	c.LWATokenURL = get(EnvLWATokenURL, defaultTokenURL)

	port, err := parsePort(EnvTemporalUIPort, get(EnvTemporalUIPort, strconv.Itoa(DefaultTemporalUIPort)))
	if err != nil {
		problems = append(problems, err)
	}
	c.TemporalUIPort = port

	sandbox, err := parseBool(EnvSPAPISandbox, get(EnvSPAPISandbox, "false"))
	if err != nil {
		problems = append(problems, err)
	}
	c.SPAPISandbox = sandbox

	key, err := decodeSecretsKey(get(EnvSecretsKey, ""))
	if err != nil {
		problems = append(problems, err)
	}
	c.SecretsKey = key

	level, err := zapcore.ParseLevel(get(EnvLogLevel, DefaultLogLevel))
	if err != nil {
		problems = append(problems, fmt.Errorf("%s=%q is not a log level: use debug, info, warn or error", EnvLogLevel, get(EnvLogLevel, "")))
	}
	c.LogLevel = level

	problems = append(problems, c.validate()...)
	if len(problems) > 0 {
		return Config{}, errors.Join(problems...)
	}
	return c, nil
}

// validate checks the string settings that Load copied unparsed.
func (c Config) validate() []error {
	var problems []error
	add := func(err error) {
		if err != nil {
			problems = append(problems, err)
		}
	}

	add(checkDatabaseURL(c.DatabaseURL))
	add(checkHostPort(EnvAPIAddr, c.APIAddr))
	add(checkHostPort(EnvTemporalAddress, c.TemporalAddress))
	add(checkHostPort(EnvAmazonSimAddr, c.AmazonSimAddr))
	add(checkEndpoint(EnvSPAPIEndpoint, c.SPAPIEndpoint))
	add(checkEndpoint(EnvLWATokenURL, c.LWATokenURL))

	switch c.SPAPIRegion {
	case "", "na", "eu", "fe":
	default:
		add(fmt.Errorf("%s=%q is not an SP-API region: use na, eu or fe, or leave it empty to use the simulator", EnvSPAPIRegion, c.SPAPIRegion))
	}
	if c.SPAPIRegion != "" && c.SPAPIEndpoint != "" {
		add(fmt.Errorf("%s=%q and %s=%q are both set: set only one, the region for Amazon's hosts or the endpoint for another host", EnvSPAPIRegion, c.SPAPIRegion, EnvSPAPIEndpoint, c.SPAPIEndpoint))
	}
	if c.TemporalNamespace == "" {
		add(fmt.Errorf("%s is empty: name a Temporal namespace, such as %q", EnvTemporalNamespace, DefaultTemporalNamespace))
	}
	return problems
}

// CheckAmazonCredentials returns an error naming each missing LWA client
// setting when the worker calls an SP-API host other than the simulator.
// Load does not check them, because only the worker calls SP-API, and the
// api, migrate and admin commands must run without them.
func (c Config) CheckAmazonCredentials() error {
	if c.Simulated() {
		return nil
	}

	var problems []error
	if c.LWAClientID == "" {
		problems = append(problems, fmt.Errorf("%s is missing: Amazon's hosts need the LWA client id of your SP-API application", EnvLWAClientID))
	}
	if c.LWAClientSecret == "" {
		problems = append(problems, fmt.Errorf("%s is missing: Amazon's hosts need the LWA client secret of your SP-API application", EnvLWAClientSecret))
	}
	return errors.Join(problems...)
}

func checkDatabaseURL(value string) error {
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return fmt.Errorf("%s=%q is not a PostgreSQL URL: write it like %q", EnvDatabaseURL, redactURL(value), DefaultDatabaseURL)
	}
	if strings.TrimPrefix(u.Path, "/") == "" {
		return fmt.Errorf("%s=%q names no database: add one after the host, like %q", EnvDatabaseURL, redactURL(value), DefaultDatabaseURL)
	}
	return nil
}

func checkHostPort(name, value string) error {
	host, port, err := net.SplitHostPort(value)
	if err != nil {
		return fmt.Errorf("%s=%q is not a host:port address: write it like \"127.0.0.1:8080\"", name, value)
	}
	if host == "" {
		return fmt.Errorf("%s=%q has no host: write \"127.0.0.1:%s\" to listen on loopback only", name, value, port)
	}
	if _, err := parsePort(name, port); err != nil {
		return fmt.Errorf("%s=%q has an invalid port: use a number from 1 to 65535", name, value)
	}
	return nil
}

// checkEndpoint accepts an empty value, an https URL, or an http URL whose
// host is a loopback address (the simulator or a test server).
func checkEndpoint(name, value string) error {
	if value == "" {
		return nil
	}

	u, err := url.Parse(value)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%s=%q is not an absolute http(s) URL: write it like \"https://sellingpartnerapi-na.amazon.com\"", name, value)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return fmt.Errorf("%s=%q uses plain http to a host that is not loopback: use https", name, value)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func parsePort(name, value string) (int, error) {
	port, err := strconv.Atoi(value)
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port: use a number from 1 to 65535", name, value)
	}
	return port, nil
}

func parseBool(name, value string) (bool, error) {
	b, err := strconv.ParseBool(value)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not a boolean: use true or false", name, value)
	}
	return b, nil
}

// decodeSecretsKey decodes a standard base64 key. The value itself is never
// put into an error message.
func decodeSecretsKey(value string) ([]byte, error) {
	if value == "" {
		return nil, nil
	}

	key, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return nil, fmt.Errorf("%s is not valid base64: generate a key with `openssl rand -base64 32`", EnvSecretsKey)
	}
	if len(key) != SecretsKeySize {
		return nil, fmt.Errorf("%s decodes to %d bytes, but AES-256 needs %d: generate a key with `openssl rand -base64 32`", EnvSecretsKey, len(key), SecretsKeySize)
	}
	return key, nil
}

// redactURL hides the password of a database URL so that it can appear in
// an error message.
func redactURL(value string) string {
	u, err := url.Parse(value)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
