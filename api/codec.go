package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.temporal.io/sdk/converter"
)

// codecHandler serves Temporal's remote codec protocol: POST .../encode
// and .../decode with a JSON list of payloads.
//
// TODO: it passes payloads through unchanged until the encrypting payload
// codec exists. Once payloads are encrypted, this endpoint must require
// authentication, because it would then return plaintext.
var codecHandler = converter.NewPayloadCodecHTTPHandler()

func (s *Server) codec(c echo.Context) error {
	codecHandler.ServeHTTP(c.Response(), c.Request())
	return nil
}

// codecCORS lets Temporal Web, served from origins, call the codec
// endpoint from the browser. Temporal Web sends the namespace in the
// X-Namespace header.
func (s *Server) codecCORS(origins []string) echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:     origins,
		AllowMethods:     []string{http.MethodPost, http.MethodOptions},
		AllowHeaders:     []string{echo.HeaderContentType, "X-Namespace", echo.HeaderAuthorization},
		AllowCredentials: true,
		MaxAge:           600,
	})
}
