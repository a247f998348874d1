package devstack

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

// privateClusterOSUser is the unprivileged OS user that owns and runs the
// private cluster when noterp runs as root, because initdb refuses to run
// as root. Debian's postgresql packages create this user.
const privateClusterOSUser = "postgres"

// Postgres is the PostgreSQL server the dev stack uses: either the one that
// accepted connections at the configured URL, or a private cluster under the data
// directory that this process started.
type Postgres struct {
	// URL is the database URL to use. For a private cluster it points at the
	// cluster's port with the database name and parameters of the
	// configured URL.
	URL string
	// Private reports whether the server is the private cluster.
	Private bool

	pgCtl      string
	clusterDir string
	runAs      string
	logger     *zap.Logger
}

// EnsurePostgres returns the PostgreSQL server for databaseURL. If a server
// accepts connections at the URL's host and port, it is used as it is. Otherwise, if
// the URL's host is loopback and PostgreSQL's server binaries are installed,
// EnsurePostgres starts a private cluster in <dataDir>/postgres on a free
// loopback port with trust authentication, creating the cluster on first
// use and reusing it and its port afterwards. Stop stops only a cluster that
// EnsurePostgres started.
func EnsurePostgres(ctx context.Context, databaseURL, dataDir string, logger *zap.Logger) (*Postgres, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL is not valid: %w", err)
	}
	address := u.Host
	if u.Port() == "" {
		address = net.JoinHostPort(u.Hostname(), "5432")
	}

	if listening(address) {
		logger.Info("PostgreSQL accepts connections", zap.String("address", address))
		return &Postgres{URL: databaseURL, logger: logger}, nil
	}
	if !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("no PostgreSQL server accepts connections at %s: start it, or set NOTERP_DATABASE_URL to a server that runs", address)
	}

	bin, err := findPostgresBin()
	if err != nil {
		return nil, fmt.Errorf("no PostgreSQL server accepts connections at %s, and %w", address, err)
	}
	p := &Postgres{
		Private:    true,
		pgCtl:      filepath.Join(bin, "pg_ctl"),
		clusterDir: filepath.Join(dataDir, "postgres"),
		logger:     logger,
	}
	if p.clusterDir, err = filepath.Abs(p.clusterDir); err != nil {
		return nil, fmt.Errorf("private PostgreSQL cluster: %w", err)
	}
	if os.Geteuid() == 0 {
		p.runAs = privateClusterOSUser
	}

	port, err := p.start(ctx, filepath.Join(bin, "initdb"), dataDir)
	if err != nil {
		return nil, err
	}
	p.URL = withHostPort(u, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	logger.Info("private PostgreSQL cluster running", zap.String("dir", p.clusterDir), zap.Int("port", port), zap.String("os_user", p.osUser()))
	return p, nil
}

// start creates the cluster if needed and starts it, returning its port. A
// cluster left running by an earlier process that died is reused.
func (p *Postgres) start(ctx context.Context, initdb, dataDir string) (int, error) {
	portFile := filepath.Join(dataDir, "postgres.port")
	port, err := readPort(portFile)
	if err != nil {
		if port, err = freePort(); err != nil {
			return 0, fmt.Errorf("private PostgreSQL cluster: %w", err)
		}
		if err := os.WriteFile(portFile, []byte(strconv.Itoa(port)+"\n"), 0o644); err != nil {
			return 0, fmt.Errorf("private PostgreSQL cluster: %w", err)
		}
	}

	if err := p.prepareDir(); err != nil {
		return 0, err
	}
	if _, err := os.Stat(filepath.Join(p.clusterDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		p.logger.Info("creating private PostgreSQL cluster", zap.String("dir", p.clusterDir))
		if out, err := p.run(ctx, initdb, "-D", p.clusterDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-instructions"); err != nil {
			return 0, fmt.Errorf("initdb %s: %w\n%s", p.clusterDir, err, out)
		}
	}

	if _, err := p.run(ctx, p.pgCtl, "-D", p.clusterDir, "status"); err == nil {
		p.logger.Info("private PostgreSQL cluster already running; reusing it", zap.String("dir", p.clusterDir))
		return port, nil
	}

	// Listen on loopback TCP only; an empty socket directory list turns Unix
	// sockets off, so no socket file lands outside the cluster directory.
	options := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=''", port)
	logFile := filepath.Join(p.clusterDir, "server.log")
	if out, err := p.run(ctx, p.pgCtl, "-D", p.clusterDir, "-l", logFile, "-o", options, "-w", "-t", "60", "start"); err != nil {
		return 0, fmt.Errorf("start private PostgreSQL cluster %s on port %d: %w\n%s\nsee %s", p.clusterDir, port, err, out, logFile)
	}
	return port, nil
}

// prepareDir creates the cluster directory and, when running as root, hands
// it to the unprivileged OS user.
func (p *Postgres) prepareDir() error {
	if err := os.MkdirAll(p.clusterDir, 0o700); err != nil {
		return fmt.Errorf("private PostgreSQL cluster: %w", err)
	}
	if p.runAs == "" {
		return nil
	}

	account, err := user.Lookup(p.runAs)
	if err != nil {
		return fmt.Errorf("private PostgreSQL cluster: running as root, and initdb refuses to run as root, so the cluster runs as OS user %q, which does not exist: create it (`useradd --system %s`) or start PostgreSQL yourself", p.runAs, p.runAs)
	}
	uid, _ := strconv.Atoi(account.Uid)
	gid, _ := strconv.Atoi(account.Gid)
	if err := os.Chown(p.clusterDir, uid, gid); err != nil {
		return fmt.Errorf("private PostgreSQL cluster: hand %s to OS user %s: %w", p.clusterDir, p.runAs, err)
	}
	if out, err := p.run(context.Background(), "test", "-w", p.clusterDir); err != nil {
		return fmt.Errorf("private PostgreSQL cluster: OS user %s cannot write %s (%v %s): make every parent directory searchable (chmod o+x) or set NOTERP_DATA_DIR to a directory it can reach", p.runAs, p.clusterDir, err, out)
	}
	return nil
}

// Stop stops the private cluster. It does nothing for a server that
// EnsurePostgres found running.
func (p *Postgres) Stop(ctx context.Context) error {
	if !p.Private {
		return nil
	}
	if out, err := p.run(ctx, p.pgCtl, "-D", p.clusterDir, "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("stop private PostgreSQL cluster %s: %w\n%s", p.clusterDir, err, out)
	}
	p.logger.Info("private PostgreSQL cluster stopped", zap.String("dir", p.clusterDir))
	return nil
}

// run runs a command as p.runAs, or as the current user when runAs is empty,
// and returns its combined output.
func (p *Postgres) run(ctx context.Context, name string, args ...string) (string, error) {
	if p.runAs != "" {
		args = append([]string{"-u", p.runAs, "--", name}, args...)
		name = "runuser"
	}
	cmd := exec.CommandContext(ctx, name, args...)
	// The server must outlive a Ctrl-C to the terminal's process group, so
	// that noterp can stop it after the services that use it.
	configureChild(cmd)
	cmd.SysProcAttr.Pdeathsig = 0
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (p *Postgres) osUser() string {
	if p.runAs != "" {
		return p.runAs
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return strconv.Itoa(os.Geteuid())
}

// findPostgresBin returns the directory that holds initdb and pg_ctl: the
// one on PATH, else the newest /usr/lib/postgresql/<version>/bin.
func findPostgresBin() (string, error) {
	if initdb, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(initdb)
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return dir, nil
		}
	}

	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "pg_ctl")) {
			return dir, nil
		}
	}
	return "", errors.New("PostgreSQL's server binaries (initdb, pg_ctl) are neither on PATH nor under /usr/lib/postgresql/*/bin: install PostgreSQL (`apt-get install postgresql`) or set NOTERP_DATABASE_URL to a server that runs")
}

// versionOf returns the major version in /usr/lib/postgresql/<version>/bin.
func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode()&0o111 != 0
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// readPort reads the port a private cluster was given on its first start.
func readPort(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	port, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || port < 1 || port > 65535 {
		return 0, fmt.Errorf("%s contains %q, which is not a port", path, data)
	}
	return port, nil
}

// freePort returns a loopback TCP port that the kernel reports as free.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// withHostPort returns u with its host replaced by hostPort and its user set
// to postgres, the superuser of a private cluster.
func withHostPort(u *url.URL, hostPort string) string {
	out := *u
	out.Host = hostPort
	out.User = url.User("postgres")
	return out.String()
}
