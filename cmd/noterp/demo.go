package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/noterp/noterp/internal/config"
	"github.com/noterp/noterp/internal/demo"
	"github.com/noterp/noterp/internal/money"
)

// runDemo drives one governed price change through the API of a running
// `noterp dev`.
func runDemo(ctx context.Context, cfg config.Config, logger *zap.Logger, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("noterp demo", flag.ContinueOnError)
	fs.SetOutput(out)
	envFile := fs.String("env", cfg.DemoEnvFile(), "demo.env written by `noterp dev`")
	price := fs.String("price", "", "new price of the demo SKU, such as 18.49 (default: a price between 22.00 and 27.99 that differs between runs)")
	currency := fs.String("currency", "USD", "ISO 4217 currency of -price")
	wait := fs.Duration("wait", 3*time.Minute, "longest wait for each status")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("noterp demo takes no arguments, got %q", fs.Args())
	}

	amount := *price
	if amount == "" {
		amount = demoPrice(time.Now())
	}
	target, err := money.Parse(amount, *currency)
	if err != nil {
		return fmt.Errorf("-price: %w", err)
	}

	_, err = demo.Run(ctx, demo.Options{EnvFile: *envFile, Price: target, Out: out, WaitTimeout: *wait})
	return err
}

// demoPrice returns a price between 22.00 and 27.99 that changes every
// second, so that consecutive demo runs propose a real change. The
// simulator's demo listing starts at 24.99 USD and allows 19.99 to 39.99, so
// every such price is allowed and far inside the demo policy's 50 %
// guardrail.
func demoPrice(now time.Time) string {
	cents := 2200 + now.Unix()%600
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}
