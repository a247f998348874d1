package devstack

import (
	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
)

// TemporalLogger adapts logger to the Temporal SDK's log.Logger, so that the
// client and worker log through the same zap logger as the rest of NotERP.
// The SDK passes fields as alternating keys and values.
func TemporalLogger(logger *zap.Logger) log.Logger {
	if logger == nil {
		logger = zap.NewNop()
	}
	return temporalLogger{logger.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

type temporalLogger struct {
	sugar *zap.SugaredLogger
}

func (l temporalLogger) Debug(msg string, keyvals ...any) { l.sugar.Debugw(msg, keyvals...) }
func (l temporalLogger) Info(msg string, keyvals ...any)  { l.sugar.Infow(msg, keyvals...) }
func (l temporalLogger) Warn(msg string, keyvals ...any)  { l.sugar.Warnw(msg, keyvals...) }
func (l temporalLogger) Error(msg string, keyvals ...any) { l.sugar.Errorw(msg, keyvals...) }

// With returns a logger that adds keyvals to every message.
func (l temporalLogger) With(keyvals ...any) log.Logger {
	return temporalLogger{l.sugar.With(keyvals...)}
}
