package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/configmat/configmat/core/domain"
)

// Error kinds that only the HTTP layer produces; like the domain's kinds they
// are named after the contract's codes.
const (
	kindMethodNotAllowed     domain.Kind = "METHOD_NOT_ALLOWED"
	kindPayloadTooLarge      domain.Kind = "PAYLOAD_TOO_LARGE"
	kindUnsupportedMediaType domain.Kind = "UNSUPPORTED_MEDIA_TYPE"
	kindRateLimited          domain.Kind = "RATE_LIMITED"
)

// statusClientClosedRequest is what the access log records for a request
// whose client went away before it was answered: nginx's 499 "client closed
// request". It is never sent (no one is there to read it) and is no
// contract code.
const statusClientClosedRequest = 499

// documentationBase prefixes an error code to link its explanation.
const documentationBase = "https://docs.configmat.io/errors/"

// internalMessage is the only message an internal error ever shows.
const internalMessage = "An internal error occurred. Quote the request ID when reporting it."

// errorStatus is the one table from error kinds to HTTP status codes.
var errorStatus = map[domain.Kind]int{
	domain.KindInvalid:             http.StatusBadRequest,
	domain.KindInvalidJSON:         http.StatusBadRequest,
	domain.KindUnauthenticated:     http.StatusUnauthorized,
	domain.KindInvalidCredentials:  http.StatusUnauthorized,
	domain.KindInvalidToken:        http.StatusUnauthorized,
	domain.KindInvalidAPIKey:       http.StatusUnauthorized,
	domain.KindPermissionDenied:    http.StatusForbidden,
	domain.KindNotFound:            http.StatusNotFound,
	domain.KindTenantNotFound:      http.StatusNotFound,
	domain.KindAssetNotFound:       http.StatusNotFound,
	domain.KindEnvironmentNotFound: http.StatusNotFound,
	domain.KindVersionNotFound:     http.StatusNotFound,
	domain.KindAPIKeyNotFound:      http.StatusNotFound,
	domain.KindUserNotFound:        http.StatusNotFound,
	domain.KindSchemaNotFound:      http.StatusNotFound,
	domain.KindSchemaViolation:     http.StatusUnprocessableEntity,
	domain.KindReferenceError:      http.StatusUnprocessableEntity,
	kindMethodNotAllowed:           http.StatusMethodNotAllowed,
	domain.KindAssetExists:         http.StatusConflict,
	domain.KindEnvironmentExists:   http.StatusConflict,
	domain.KindEmailRegistered:     http.StatusConflict,
	domain.KindMemberExists:        http.StatusConflict,
	domain.KindLastOwner:           http.StatusConflict,
	domain.KindVersionConflict:     http.StatusConflict,
	domain.KindConflict:            http.StatusConflict,
	kindPayloadTooLarge:            http.StatusRequestEntityTooLarge,
	kindUnsupportedMediaType:       http.StatusUnsupportedMediaType,
	kindRateLimited:                http.StatusTooManyRequests,
	domain.KindInternal:            http.StatusInternalServerError,
	domain.KindUnavailable:         http.StatusServiceUnavailable,
}

// errorCodeOverride names the contract code of the kinds whose name is not one.
var errorCodeOverride = map[domain.Kind]string{
	domain.KindConflict: string(domain.KindVersionConflict),
}

// errorPayload is the "error" member of every error body.
type errorPayload struct {
	Code             string         `json:"code"`
	Message          string         `json:"message"`
	Details          map[string]any `json:"details"`
	RequestID        string         `json:"request_id"`
	DocumentationURL string         `json:"documentation_url"`
}

// errorBody is the contract's error answer.
type errorBody struct {
	Error errorPayload `json:"error"`
}

// describeError returns the status, code, safe message and details of err.
// Anything that is not a *domain.Error of a known kind is internal.
func describeError(err error) (status int, code, message string, details map[string]any) {
	var de *domain.Error
	if !errors.As(err, &de) {
		return http.StatusInternalServerError, string(domain.KindInternal), internalMessage, map[string]any{}
	}
	status, ok := errorStatus[de.Kind]
	if !ok || de.Kind == domain.KindInternal {
		return http.StatusInternalServerError, string(domain.KindInternal), internalMessage, map[string]any{}
	}
	code = string(de.Kind)
	if override, ok := errorCodeOverride[de.Kind]; ok {
		code = override
	}
	details = de.Details
	if details == nil {
		details = map[string]any{}
	}
	return status, code, de.Message, details
}

// writeError answers err with the contract's error body. Server-side errors
// are logged with their full text (cause included) under the request ID;
// the body never carries it. A request whose client went away is answered
// nothing and logged by the access log alone, as a 499.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if clientWentAway(r, err) {
		stateFrom(r.Context()).clientGone = true
		return
	}
	status, code, message, details := describeError(err)
	if status >= http.StatusInternalServerError {
		LoggerFromContext(r.Context()).WithError(err).WithField("code", code).Error("request failed")
	}
	writeErrorBody(w, r, status, code, message, details)
}

// clientWentAway reports whether err ended r because its client went away:
// the core says CANCELED, or r's context is canceled, which net/http does
// when the client's connection closes (and never on a graceful shutdown).
func clientWentAway(r *http.Request, err error) bool {
	return domain.IsKind(err, domain.KindCanceled) || errors.Is(r.Context().Err(), context.Canceled)
}

// writeErrorBody sends the contract's error body; a 401 also names the
// Bearer scheme in WWW-Authenticate, as HTTP requires.
func writeErrorBody(w http.ResponseWriter, r *http.Request, status int, code, message string, details map[string]any) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="configmat"`)
	}
	payload := errorPayload{
		Code:             code,
		Message:          message,
		Details:          details,
		RequestID:        stateFrom(r.Context()).requestID(),
		DocumentationURL: documentationBase + code,
	}
	body, err := json.Marshal(errorBody{Error: payload})
	if err != nil {
		LoggerFromContext(r.Context()).WithError(err).WithField("code", code).Error("error details are not JSON")
		payload.Details = map[string]any{}
		body, _ = json.Marshal(errorBody{Error: payload})
	}
	writeBody(w, status, body)
}
