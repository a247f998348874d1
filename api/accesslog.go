package api

import (
	"time"

	"github.com/labstack/echo/v4"
	"go.uber.org/zap"
)

// accessLog writes one log line per request after the response is written.
// It logs the path without the query string and never a header, so no
// bearer token reaches the log.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}

		req := c.Request()
		fields := []zap.Field{
			zap.String("method", req.Method),
			zap.String("path", req.URL.Path),
			zap.String("route", c.Path()),
			zap.Int("status", c.Response().Status),
			zap.Int64("bytes", c.Response().Size),
			zap.Duration("duration", time.Since(start)),
			zap.String("request_id", requestID(c)),
			zap.String("remote_ip", c.RealIP()),
		}
		if p, ok := principalOf(c); ok {
			fields = append(fields, zap.String("tenant", p.Tenant), zap.String("user_id", p.UserID))
		}
		if id := c.Param("id"); id != "" {
			fields = append(fields, zap.String("action_id", id))
		}
		s.logger.Info("request", fields...)
		return nil
	}
}
