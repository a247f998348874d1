package worker

import (
	"fmt"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
)

// NewLogger adapts a zap logger to the Temporal SDK's logger interface, for
// client.Options.Logger. Key-value pairs become zap fields.
func NewLogger(z *zap.Logger) log.Logger {
	return &zapAdapter{z: z.WithOptions(zap.AddCallerSkip(1))}
}

type zapAdapter struct{ z *zap.Logger }

func (a *zapAdapter) fields(keyvals []any) []zap.Field {
	fields := make([]zap.Field, 0, len(keyvals)/2+1)
	for i := 0; i < len(keyvals); i += 2 {
		if i+1 == len(keyvals) {
			fields = append(fields, zap.Any("extra", keyvals[i]))
			break
		}
		fields = append(fields, zap.Any(fmt.Sprint(keyvals[i]), keyvals[i+1]))
	}
	return fields
}

func (a *zapAdapter) Debug(msg string, keyvals ...any) { a.z.Debug(msg, a.fields(keyvals)...) }
func (a *zapAdapter) Info(msg string, keyvals ...any)  { a.z.Info(msg, a.fields(keyvals)...) }
func (a *zapAdapter) Warn(msg string, keyvals ...any)  { a.z.Warn(msg, a.fields(keyvals)...) }
func (a *zapAdapter) Error(msg string, keyvals ...any) { a.z.Error(msg, a.fields(keyvals)...) }

// With returns a logger that adds keyvals to every entry.
func (a *zapAdapter) With(keyvals ...any) log.Logger {
	return &zapAdapter{z: a.z.With(a.fields(keyvals)...)}
}
