// Command noterp runs NotERP. One binary holds every part:
//
//	noterp dev        everything on one machine for development (`make run`)
//	noterp api        the HTTP API
//	noterp worker     the Temporal worker that runs governed actions
//	noterp migrate    create the database if needed and apply migrations
//	noterp amazonsim  the Amazon simulator with its demo seller
//	noterp demo       drive one price change through the API (`make demo`)
//	noterp admin      onboard a tenant: users, API tokens, policies, sellers
//
// Every command reads its settings from NOTERP_* environment variables; see
// docs/configuration.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/noterp/noterp/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, cfg config.Config, logger *zap.Logger, args []string, out io.Writer) error
}

var commands = []command{
	{"dev", "start Temporal, PostgreSQL, the Amazon simulator, the worker and the API, and seed a demo tenant", runDev},
	{"api", "serve the HTTP API", runAPI},
	{"worker", "run the Temporal worker for governed actions", runWorker},
	{"migrate", "create the database if it is missing and apply the migrations", runMigrate},
	{"amazonsim", "serve the Amazon simulator with its demo seller", runAmazonSim},
	{"demo", "drive one price change through the API of a running `noterp dev`", runDemo},
	{"admin", "onboard a tenant: users, API tokens, policies and sellers (`noterp admin help`)", runAdmin},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the subcommand in args and returns the process exit code.
func run(args []string, out, errOut io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(out)
		return 0
	}
	if args[0] == "version" {
		fmt.Fprintln(out, "noterp", version)
		return 0
	}

	cmd, ok := findCommand(args[0])
	if !ok {
		fmt.Fprintf(errOut, "noterp: unknown command %q\n\n", args[0])
		usage(errOut)
		return 2
	}

	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintf(errOut, "noterp %s: invalid configuration:\n%v\n", cmd.name, err)
		return 2
	}
	logger := newLogger(cfg.LogLevel, cmd.name, errOut)
	defer logger.Sync()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	err = cmd.run(ctx, cfg, logger, args[1:], out)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var usageErr *usageError
	if errors.As(err, &usageErr) {
		fmt.Fprintf(errOut, "noterp %s: %v\n", cmd.name, err)
		return 2
	}
	if err != nil {
		fmt.Fprintf(errOut, "noterp %s: %v\n", cmd.name, err)
		return 1
	}
	return 0
}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: noterp <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n", "version", "print the version")
	fmt.Fprintf(w, "\nSettings come from NOTERP_* environment variables:\n")
	for _, v := range config.Variables {
		fmt.Fprintf(w, "  %s\n", v.Name)
	}
	fmt.Fprintf(w, "See docs/configuration.md for what each one sets.\n")
}

// newLogger returns a zap logger at level that writes to w: readable console
// lines for the interactive commands, JSON for the services.
func newLogger(level zapcore.Level, command string, w io.Writer) *zap.Logger {
	encoderConfig := zap.NewProductionEncoderConfig()
	encoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	var encoder zapcore.Encoder
	switch command {
	case "dev", "demo", "migrate", "amazonsim", "admin":
		encoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
		encoder = zapcore.NewConsoleEncoder(encoderConfig)
	default:
		encoder = zapcore.NewJSONEncoder(encoderConfig)
	}
	core := zapcore.NewCore(encoder, zapcore.AddSync(w), level)
	return zap.New(core).With(zap.String("command", command))
}
