package api

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// contractRoutes lists every route of the product contract (API.md, whose
// machine-readable form is this package's openapi.json) and the document
// itself, with the health checks both at the root and under /api/v1.
var contractRoutes = []struct{ method, path string }{
	{"GET", "/health"},
	{"GET", "/health/detailed"},
	{"GET", "/api/v1/health"},
	{"GET", "/api/v1/health/detailed"},
	// HEAD on the health checks, for uptime monitors (beyond API.md).
	{"HEAD", "/health"},
	{"HEAD", "/health/detailed"},
	{"HEAD", "/api/v1/health"},
	{"HEAD", "/api/v1/health/detailed"},
	{"GET", "/api/v1/openapi.json"},
	// The web console: / redirects to it; every file below /console/ is
	// served by it (the document names its entry page).
	{"GET", "/"},
	{"HEAD", "/"},
	{"GET", "/console"},
	{"HEAD", "/console"},
	// The Prometheus metrics (on LISTEN_ADDR unless METRICS_ADDR is set), and
	// HEAD as on every open route.
	{"GET", "/metrics"},
	{"HEAD", "/metrics"},
	{"POST", "/api/v1/auth/register"},
	{"POST", "/api/v1/auth/login"},
	{"GET", "/api/v1/me"},
	{"GET", "/api/v1/environments"},
	{"POST", "/api/v1/environments"},
	{"GET", "/api/v1/assets"},
	{"POST", "/api/v1/assets"},
	{"GET", "/api/v1/assets/{slug}"},
	{"PATCH", "/api/v1/assets/{slug}"},
	{"DELETE", "/api/v1/assets/{slug}"},
	{"GET", "/api/v1/assets/{slug}/environments/{env}"},
	{"PATCH", "/api/v1/assets/{slug}/environments/{env}"},
	{"POST", "/api/v1/assets/{slug}/promote"},
	{"GET", "/api/v1/assets/{slug}/versions"},
	{"GET", "/api/v1/assets/{slug}/versions/{n}"},
	{"POST", "/api/v1/assets/{slug}/rollback"},
	{"GET", "/api/v1/assets/{slug}/compare"},
	{"GET", "/api/v1/assets/{slug}/schema"},
	{"PUT", "/api/v1/assets/{slug}/schema"},
	{"DELETE", "/api/v1/assets/{slug}/schema"},
	{"GET", "/api/v1/assets/{slug}/values"},
	{"GET", "/api/v1/assets/{slug}/values/watch"},
	{"GET", "/api/v1/members"},
	{"POST", "/api/v1/members"},
	{"PATCH", "/api/v1/members/{user_id}"},
	{"DELETE", "/api/v1/members/{user_id}"},
	{"GET", "/api/v1/api-keys"},
	{"POST", "/api/v1/api-keys"},
	{"DELETE", "/api/v1/api-keys/{id}"},
	{"GET", "/api/v1/audit"},
	{"GET", "/api/v1/audit/verify"},
	{"GET", "/api/v1/audit/checkpoint"},
	{"GET", "/api/v1/audit/proof/inclusion"},
	{"GET", "/api/v1/audit/proof/consistency"},
	{"GET", "/api/v1/audit/reads"},
}

// contractCodes is the error table of API.md: code -> status.
var contractCodes = map[string]int{
	"INVALID_JSON":               400,
	"VALIDATION_ERROR":           400,
	"AUTHENTICATION_REQUIRED":    401,
	"INVALID_CREDENTIALS":        401,
	"INVALID_TOKEN":              401,
	"INVALID_API_KEY":            401,
	"PERMISSION_DENIED":          403,
	"NOT_FOUND":                  404,
	"TENANT_NOT_FOUND":           404,
	"ASSET_NOT_FOUND":            404,
	"ENVIRONMENT_NOT_FOUND":      404,
	"VERSION_NOT_FOUND":          404,
	"SCHEMA_NOT_FOUND":           404,
	"SCHEMA_VIOLATION":           422,
	"REFERENCE_ERROR":            422,
	"API_KEY_NOT_FOUND":          404,
	"USER_NOT_FOUND":             404,
	"METHOD_NOT_ALLOWED":         405,
	"ASSET_ALREADY_EXISTS":       409,
	"ENVIRONMENT_ALREADY_EXISTS": 409,
	"EMAIL_ALREADY_REGISTERED":   409,
	"MEMBER_ALREADY_EXISTS":      409,
	"LAST_OWNER":                 409,
	"VERSION_CONFLICT":           409,
	"PAYLOAD_TOO_LARGE":          413,
	"UNSUPPORTED_MEDIA_TYPE":     415,
	"RATE_LIMITED":               429,
	"INTERNAL_ERROR":             500,
	"SERVICE_UNAVAILABLE":        503,
}

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPIJSON)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return doc
}

func TestOpenAPIValidates(t *testing.T) {
	doc := loadDoc(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if len(doc.Servers) == 0 {
		t.Error("no servers")
	}
	for _, s := range doc.Servers {
		// Paths are full paths (/api/v1/..., /health): a server is an origin.
		if u, err := url.Parse(s.URL); err != nil || strings.Trim(u.Path, "/") != "" {
			t.Errorf("server %q carries a path; paths are written in full", s.URL)
		}
	}
}

func TestOpenAPIRoutes(t *testing.T) {
	doc := loadDoc(t)
	want := map[string]bool{}
	for _, r := range contractRoutes {
		want[r.method+" "+r.path] = true
		item := doc.Paths.Find(r.path)
		if item == nil || doc.Paths.Value(r.path) == nil {
			t.Errorf("missing path %s", r.path)
			continue
		}
		if item.GetOperation(r.method) == nil {
			t.Errorf("missing operation %s %s", r.method, r.path)
		}
	}
	// And nothing the contract does not name.
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !want[method+" "+path] {
				t.Errorf("operation %s %s is not in the contract", method, path)
			}
		}
	}
}

func TestOpenAPIErrorCodes(t *testing.T) {
	doc := loadDoc(t)
	errSchema := doc.Components.Schemas["Error"].Value.Properties["error"].Value
	var enum []string
	for _, v := range errSchema.Properties["code"].Value.Enum {
		enum = append(enum, v.(string))
	}
	var want []string
	for c := range contractCodes {
		want = append(want, c)
	}
	sort.Strings(enum)
	sort.Strings(want)
	if strings.Join(enum, ",") != strings.Join(want, ",") {
		t.Errorf("Error.code enum = %v, want %v", enum, want)
	}
	for _, f := range []string{"code", "message", "details", "request_id", "documentation_url"} {
		if !contains(errSchema.Required, f) {
			t.Errorf("error.%s not required", f)
		}
	}

	ext, ok := doc.Extensions["x-error-codes"].(map[string]any)
	if !ok {
		t.Fatalf("x-error-codes missing or not an object: %T", doc.Extensions["x-error-codes"])
	}
	md, err := os.ReadFile("../docs/errors.md")
	if err != nil {
		t.Fatalf("read docs/errors.md: %v", err)
	}
	headings := map[string]bool{}
	for _, line := range strings.Split(string(md), "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			headings[strings.TrimSpace(h)] = true
		}
	}
	for c := range contractCodes {
		if s, _ := ext[c].(string); s == "" {
			t.Errorf("x-error-codes has no explanation for %s", c)
		}
		if !headings[c] {
			t.Errorf("docs/errors.md has no heading for %s", c)
		}
	}
	if len(ext) != len(contractCodes) {
		t.Errorf("x-error-codes has %d entries, want %d", len(ext), len(contractCodes))
	}
	if len(headings) != len(contractCodes) {
		t.Errorf("docs/errors.md has %d headings, want %d", len(headings), len(contractCodes))
	}
}

func TestOpenAPIResponses(t *testing.T) {
	doc := loadDoc(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, ref := range op.Responses.Map() {
				resp := ref.Value
				if resp.Headers["X-Request-ID"] == nil {
					t.Errorf("%s %s %s: no X-Request-ID header", method, path, status)
				}
				if status[0] == '4' || status[0] == '5' {
					if path == "/health/detailed" || path == "/api/v1/health/detailed" {
						continue // 503 carries the health body
					}
					mt := resp.Content.Get("application/json")
					if mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Error" {
						t.Errorf("%s %s %s: error response does not use Error", method, path, status)
					}
					for c := range errorCodesIn(mt) {
						if want := contractCodes[c]; status != strconv.Itoa(want) {
							t.Errorf("%s %s %s: example code %s belongs to %d", method, path, status, c, want)
						}
					}
				}
				if status == "429" && resp.Headers["Retry-After"] == nil {
					t.Errorf("%s %s: 429 without Retry-After", method, path)
				}
			}
			if op.RequestBody != nil {
				s := op.RequestBody.Value.Content.Get("application/json").Schema.Value
				if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
					t.Errorf("%s %s: request schema allows unknown fields", method, path)
				}
				for _, st := range []string{"400", "413", "415"} {
					if op.Responses.Value(st) == nil {
						t.Errorf("%s %s: body route without %s", method, path, st)
					}
				}
			}
		}
	}

	values := doc.Paths.Value("/api/v1/assets/{slug}/values").Get
	if values.Responses.Value("304") == nil || values.Responses.Value("304").Value.Content != nil {
		t.Errorf("values: 304 must exist with no content")
	}
	if values.Responses.Value("200").Value.Headers["ETag"] == nil {
		t.Errorf("values: 200 without ETag")
	}
	if values.Security == nil || len(*values.Security) != 2 {
		t.Errorf("values: must accept apiKey and bearerAuth")
	}
}

func errorCodesIn(mt *openapi3.MediaType) map[string]bool {
	codes := map[string]bool{}
	add := func(v any) {
		b, _ := json.Marshal(v)
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
			codes[e.Error.Code] = true
		}
	}
	if mt.Example != nil {
		add(mt.Example)
	}
	for _, ex := range mt.Examples {
		add(ex.Value.Value)
	}
	return codes
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
