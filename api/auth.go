package api

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/noterp/noterp/internal/store"
	"github.com/noterp/noterp/workflows"
)

const principalKey = "noterp.principal"

// authenticate checks the bearer token and that its tenant is the tenant
// in the path. A token of another tenant gets the same 404 as a tenant
// that does not exist, so the response reveals no tenant's existence.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		header := c.Request().Header.Get(echo.HeaderAuthorization)
		if header == "" {
			return &Error{Status: http.StatusUnauthorized, Code: CodeUnauthenticated, Message: "Authorization header is missing: send Authorization: Bearer <token>"}
		}
		scheme, token, ok := strings.Cut(header, " ")
		token = strings.TrimSpace(token)
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return &Error{Status: http.StatusUnauthorized, Code: CodeUnauthenticated, Message: "Authorization header is not a bearer token: send Authorization: Bearer <token>"}
		}

		p, err := s.store.Authenticate(c.Request().Context(), token)
		if errors.Is(err, store.ErrUnauthenticated) {
			return &Error{Status: http.StatusUnauthorized, Code: CodeUnauthenticated, Message: "bearer token is invalid or revoked: ask a tenant admin for a new token"}
		}
		if err != nil {
			return internal(err)
		}

		tenant := c.Param("tenant")
		if p.Tenant != tenant {
			return notFound("tenant %q was not found, or the token belongs to another tenant: check the tenant id in the path and use a token issued for it", tenant)
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func principalOf(c echo.Context) (workflows.Principal, bool) {
	p, ok := c.Get(principalKey).(workflows.Principal)
	return p, ok
}

// requireRole returns the principal if it holds one of roles, and a 403
// naming the roles otherwise.
func requireRole(c echo.Context, what string, roles ...string) (workflows.Principal, error) {
	p, ok := principalOf(c)
	if !ok {
		return workflows.Principal{}, internal(errors.New("route has no authenticated principal"))
	}
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return p, nil
		}
	}
	held := "no roles"
	if len(p.Roles) > 0 {
		held = strings.Join(p.Roles, ", ")
	}
	return p, &Error{
		Status:  http.StatusForbidden,
		Code:    CodeForbidden,
		Message: "user " + p.UserID + " may not " + what + ": it needs the role " + strings.Join(roles, " or ") + ", and has " + held,
	}
}
