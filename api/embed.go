// Package api holds the OpenAPI description of the ConfigMat HTTP API.
package api

import _ "embed"

// OpenAPIJSON is the OpenAPI document served at GET /api/v1/openapi.json.
//
//go:embed openapi.json
var OpenAPIJSON []byte
