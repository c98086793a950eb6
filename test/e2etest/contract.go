package e2etest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/configmat/configmat/api"
)

// Contract checks HTTP answers against the project's OpenAPI document
// (api/openapi.json): the operation's documented status codes, headers and
// body schema. Answers to requests that match no operation (an unknown path,
// or a method the path lacks) must be 404 or 405 with the document's Error
// body, since the product contract promises that body for them too.
type Contract struct {
	doc         *openapi3.T
	router      routers.Router
	errorSchema *openapi3.SchemaRef
}

var (
	contractOnce sync.Once
	contract     *Contract
	contractErr  error
)

// LoadContract parses and validates api/openapi.json once per test process.
func LoadContract(t testing.TB) *Contract {
	t.Helper()
	contractOnce.Do(func() { contract, contractErr = newContract(api.OpenAPIJSON) })
	if contractErr != nil {
		t.Fatalf("api/openapi.json: %v", contractErr)
	}
	return contract
}

func newContract(document []byte) (*Contract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid OpenAPI document: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("build a router: %w", err)
	}
	errorSchema := doc.Components.Schemas["Error"]
	if errorSchema == nil || errorSchema.Value == nil {
		return nil, errors.New("components.schemas.Error is missing")
	}
	return &Contract{doc: doc, router: router, errorSchema: errorSchema}, nil
}

// Operation names the documented operation a request reaches, as
// "METHOD /path/template", or "" when no operation matches. A trailing slash
// is ignored, as the product contract makes it optional on every route.
func (c *Contract) Operation(req *http.Request) string {
	route, _, err := c.router.FindRoute(withoutTrailingSlash(req))
	if err != nil {
		return ""
	}
	return req.Method + " " + route.Path
}

// Check validates one answer (status, headers, body) to req.
func (c *Contract) Check(req *http.Request, status int, header http.Header, body []byte) error {
	routed := withoutTrailingSlash(req)
	route, params, err := c.router.FindRoute(routed)
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		return c.checkUnrouted(http.StatusNotFound, status, header, body)
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return c.checkUnrouted(http.StatusMethodNotAllowed, status, header, body)
	case err != nil:
		return fmt.Errorf("find the operation: %w", err)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    routed,
			PathParams: params,
			Route:      route,
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return fmt.Errorf("%s %s answered %d, which the OpenAPI document does not allow: %w",
			req.Method, route.Path, status, err)
	}
	return nil
}

// checkUnrouted checks the answer to a request that matches no operation.
func (c *Contract) checkUnrouted(want, status int, header http.Header, body []byte) error {
	if status != want {
		return fmt.Errorf("no documented operation matches, so the answer must be %d, got %d", want, status)
	}
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("a %d answer must be application/json, got %q", status, ct)
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return fmt.Errorf("a %d answer must be JSON: %w", status, err)
	}
	if err := c.errorSchema.Value.VisitJSON(value, openapi3.MultiErrors(), openapi3.VisitAsResponse()); err != nil {
		return fmt.Errorf("a %d answer must match components.schemas.Error: %w", status, err)
	}
	return nil
}

// withoutTrailingSlash returns req with one trailing slash removed from its
// path (the document's paths have none).
func withoutTrailingSlash(req *http.Request) *http.Request {
	p := req.URL.Path
	if len(p) <= 1 || !strings.HasSuffix(p, "/") {
		return req
	}
	out := req.Clone(context.Background())
	out.URL.Path = strings.TrimSuffix(p, "/")
	out.URL.RawPath = strings.TrimSuffix(out.URL.RawPath, "/")
	return out
}
