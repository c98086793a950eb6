package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/configmat/configmat/core/domain"
)

func TestErrorTable(t *testing.T) {
	cases := []struct {
		kind   domain.Kind
		status int
		code   string
	}{
		{domain.KindInvalid, 400, "VALIDATION_ERROR"},
		{domain.KindInvalidJSON, 400, "INVALID_JSON"},
		{domain.KindUnauthenticated, 401, "AUTHENTICATION_REQUIRED"},
		{domain.KindInvalidCredentials, 401, "INVALID_CREDENTIALS"},
		{domain.KindInvalidToken, 401, "INVALID_TOKEN"},
		{domain.KindInvalidAPIKey, 401, "INVALID_API_KEY"},
		{domain.KindPermissionDenied, 403, "PERMISSION_DENIED"},
		{domain.KindNotFound, 404, "NOT_FOUND"},
		{domain.KindTenantNotFound, 404, "TENANT_NOT_FOUND"},
		{domain.KindAssetNotFound, 404, "ASSET_NOT_FOUND"},
		{domain.KindEnvironmentNotFound, 404, "ENVIRONMENT_NOT_FOUND"},
		{domain.KindVersionNotFound, 404, "VERSION_NOT_FOUND"},
		{domain.KindAPIKeyNotFound, 404, "API_KEY_NOT_FOUND"},
		{domain.KindUserNotFound, 404, "USER_NOT_FOUND"},
		{kindMethodNotAllowed, 405, "METHOD_NOT_ALLOWED"},
		{domain.KindAssetExists, 409, "ASSET_ALREADY_EXISTS"},
		{domain.KindEnvironmentExists, 409, "ENVIRONMENT_ALREADY_EXISTS"},
		{domain.KindEmailRegistered, 409, "EMAIL_ALREADY_REGISTERED"},
		{domain.KindMemberExists, 409, "MEMBER_ALREADY_EXISTS"},
		{domain.KindSchemaNotFound, 404, "SCHEMA_NOT_FOUND"},
		{domain.KindSchemaViolation, 422, "SCHEMA_VIOLATION"},
		{domain.KindReferenceError, 422, "REFERENCE_ERROR"},
		{domain.KindLastOwner, 409, "LAST_OWNER"},
		{domain.KindVersionConflict, 409, "VERSION_CONFLICT"},
		{domain.KindConflict, 409, "VERSION_CONFLICT"},
		{kindPayloadTooLarge, 413, "PAYLOAD_TOO_LARGE"},
		{kindUnsupportedMediaType, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{kindRateLimited, 429, "RATE_LIMITED"},
		{domain.KindInternal, 500, "INTERNAL_ERROR"},
		{domain.KindUnavailable, 503, "SERVICE_UNAVAILABLE"},
		{"SOMETHING_NEW", 500, "INTERNAL_ERROR"},
	}
	doc, _ := loadContract(t)
	codes := map[string]bool{}
	for _, c := range doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value.Enum {
		codes[c.(string)] = true
	}
	for _, tc := range cases {
		t.Run(string(tc.kind), func(t *testing.T) {
			err := fmt.Errorf("context: %w", domain.Errorf(tc.kind, "shown"))
			status, code, message, details := describeError(err)
			if status != tc.status || code != tc.code {
				t.Errorf("describeError = %d %s, want %d %s", status, code, tc.status, tc.code)
			}
			if !codes[code] {
				t.Errorf("code %s is not in the contract", code)
			}
			if status < 500 && message != "shown" || status == 500 && message != internalMessage {
				t.Errorf("message = %q", message)
			}
			if details == nil {
				t.Errorf("details is nil")
			}
		})
	}
	if len(cases)-1 != len(errorStatus) {
		t.Errorf("the table has %d kinds, the test %d", len(errorStatus), len(cases)-1)
	}
}

func TestErrorDetailsThatAreNotJSON(t *testing.T) {
	logger, hook := logtest.NewNullLogger()
	s := newServer(Config{Catalog: &fakeCatalog{}, Identity: &fakeIdentity{}, Audit: &fakeAudit{}, Logger: logger})
	rec := httptest.NewRecorder()
	err := domain.Errorf(domain.KindInvalid, "bad").WithDetail("f", func() {})
	s.withRequestState(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, err)
	})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status = %d", rec.Code)
	}
	if e := decodeErrorBody(t, rec); e.Code != "VALIDATION_ERROR" || len(e.Details) != 0 {
		t.Errorf("body = %s", rec.Body)
	}
	if e := hook.LastEntry(); e == nil || e.Message != "error details are not JSON" {
		t.Errorf("encoding failure not logged")
	}
}

func TestRespondWithUnencodableValue(t *testing.T) {
	err := respond(httptest.NewRecorder(), http.StatusOK, map[string]any{"f": func() {}})
	if !domain.IsKind(err, domain.KindInternal) || errors.Unwrap(err) == nil {
		t.Errorf("respond = %v, want an internal error keeping its cause", err)
	}
}
