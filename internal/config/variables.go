package config

// Variable describes one environment variable that NotERP reads.
type Variable struct {
	Name        string
	Default     string
	Description string
}

// Environment variable names.
const (
	EnvDatabaseURL       = "NOTERP_DATABASE_URL"
	EnvAPIAddr           = "NOTERP_API_ADDR"
	EnvTemporalAddress   = "NOTERP_TEMPORAL_ADDRESS"
	EnvTemporalNamespace = "NOTERP_TEMPORAL_NAMESPACE"
	EnvTemporalUIPort    = "NOTERP_TEMPORAL_UI_PORT"
	EnvTemporalCLI       = "NOTERP_TEMPORAL_CLI"
	EnvAmazonSimAddr     = "NOTERP_AMAZONSIM_ADDR"
	EnvSPAPIEndpoint     = "NOTERP_SPAPI_ENDPOINT"
	EnvSPAPIRegion       = "NOTERP_SPAPI_REGION"
	EnvSPAPISandbox      = "NOTERP_SPAPI_SANDBOX"
	EnvLWATokenURL       = "NOTERP_LWA_TOKEN_URL"
	EnvLWAClientID       = "NOTERP_LWA_CLIENT_ID"
	EnvLWAClientSecret   = "NOTERP_LWA_CLIENT_SECRET"
	EnvDataDir           = "NOTERP_DATA_DIR"
	EnvSecretsFile       = "NOTERP_SECRETS_FILE"
	EnvSecretsKey        = "NOTERP_SECRETS_KEY"
	EnvLogLevel          = "NOTERP_LOG_LEVEL"
)

// Defaults for the variables that have one.
const (
	DefaultDatabaseURL       = "postgres://postgres@127.0.0.1:5432/noterp?sslmode=disable"
	DefaultAPIAddr           = "127.0.0.1:8080"
	DefaultTemporalAddress   = "127.0.0.1:7233"
	DefaultTemporalNamespace = "default"
	DefaultTemporalUIPort    = 8233
	DefaultAmazonSimAddr     = "127.0.0.1:8090"
	DefaultLWATokenURL       = "https://api.amazon.com/auth/o2/token"
	DefaultDataDir           = ".data"
	DefaultLogLevel          = "info"
)

// Variables lists every environment variable in the order the documentation
// presents them. docs/configuration.md and the README table describe the same
// set, and a test keeps them in step.
var Variables = []Variable{
	{EnvDatabaseURL, DefaultDatabaseURL, "PostgreSQL connection URL. `noterp dev` and `noterp migrate` create the database if it is missing."},
	{EnvAPIAddr, DefaultAPIAddr, "host:port the HTTP API listens on. Temporal Web reaches the codec endpoint at http://<addr>/codec."},
	{EnvTemporalAddress, DefaultTemporalAddress, "host:port of the Temporal frontend. `noterp dev` starts its dev server there."},
	{EnvTemporalNamespace, DefaultTemporalNamespace, "Temporal namespace for the governed action workflows."},
	{EnvTemporalUIPort, "8233", "Port of Temporal Web started by `noterp dev`."},
	{EnvTemporalCLI, "`bin/temporal`, then `temporal` on PATH", "Path of the Temporal CLI that `noterp dev` and the tests run."},
	{EnvAmazonSimAddr, DefaultAmazonSimAddr, "host:port of the Amazon simulator (`noterp dev`, `noterp amazonsim`)."},
	{EnvSPAPIEndpoint, "the simulator", "SP-API base URL. Overrides the region. Leave empty, with no region, to use the simulator at NOTERP_AMAZONSIM_ADDR."},
	{EnvSPAPIRegion, "", "Amazon's SP-API region: `na`, `eu` or `fe`. Setting it points the worker at Amazon's real hosts and requires the LWA client id and secret."},
	{EnvSPAPISandbox, "false", "`true` uses the region's SP-API sandbox host."},
	{EnvLWATokenURL, "the simulator, or " + DefaultLWATokenURL + " with a region", "Login with Amazon token endpoint."},
	{EnvLWAClientID, "", "LWA client id of the SP-API application. Required by `noterp worker` with a region or endpoint."},
	{EnvLWAClientSecret, "", "LWA client secret of the SP-API application. Required by `noterp worker` with a region or endpoint. Never logged."},
	{EnvDataDir, DefaultDataDir, "Directory for local state: Temporal's database, the private PostgreSQL cluster, the secret store, demo.env and logs."},
	{EnvSecretsFile, "<data dir>/secrets.json", "Encrypted development secret store for seller refresh tokens."},
	{EnvSecretsKey, "generated into <data dir>/secrets.key", "Base64 of the 32-byte AES-256 key of the secret store."},
	{EnvLogLevel, DefaultLogLevel, "Log level: debug, info, warn or error."},
}
