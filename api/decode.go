package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/labstack/echo/v4"
)

// decodeBody reads the JSON request body into dst. It rejects unknown
// fields, a second JSON value and type mismatches with a message that names
// the field. The message lists fields as the accepted ones.
func decodeBody(c echo.Context, dst any, fields string) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()

	err := dec.Decode(dst)
	if err == nil {
		if dec.Decode(&struct{}{}) != io.EOF {
			return invalid("request body holds more than one JSON value: send a single object with %s", fields)
		}
		return nil
	}

	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return invalid("request body is empty: send a JSON object with %s", fields)
	case errors.As(err, &syntaxErr):
		return invalid("request body is not valid JSON (at byte %d): send a JSON object with %s", syntaxErr.Offset, fields)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return invalid("request body is a JSON %s: send a JSON object with %s", typeErr.Value, fields)
		}
		return invalid("%s is a JSON %s: send a %s", typeErr.Field, typeErr.Value, jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return invalid("request body has the unknown field %s: send only %s", name, fields)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("request body ends early: send a complete JSON object with %s", fields)
	}

	var httpErr *echo.HTTPError
	if errors.As(err, &httpErr) {
		// The body limit middleware's reader reports 413 this way.
		return httpErr
	}
	return invalid("request body is invalid: %v", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "bool":
		return "boolean"
	}
	return fmt.Sprintf("%s value", goKind)
}
