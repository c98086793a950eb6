package domain

import (
	"errors"
	"fmt"
)

// Kind classifies an error. Each kind corresponds to exactly one error code of
// the product contract, except KindCanceled, which no client ever sees; the
// HTTP adapter maps kinds to status codes in one table.
type Kind string

// The error kinds, named after the contract's error codes.
const (
	KindInvalid             Kind = "VALIDATION_ERROR"
	KindInvalidJSON         Kind = "INVALID_JSON"
	KindUnauthenticated     Kind = "AUTHENTICATION_REQUIRED"
	KindInvalidCredentials  Kind = "INVALID_CREDENTIALS" // #nosec G101 -- an error code of the contract, not a credential
	KindInvalidToken        Kind = "INVALID_TOKEN"
	KindInvalidAPIKey       Kind = "INVALID_API_KEY" // #nosec G101 -- an error code of the contract, not a credential
	KindPermissionDenied    Kind = "PERMISSION_DENIED"
	KindNotFound            Kind = "NOT_FOUND"
	KindTenantNotFound      Kind = "TENANT_NOT_FOUND"
	KindAssetNotFound       Kind = "ASSET_NOT_FOUND"
	KindEnvironmentNotFound Kind = "ENVIRONMENT_NOT_FOUND"
	KindVersionNotFound     Kind = "VERSION_NOT_FOUND"
	KindAPIKeyNotFound      Kind = "API_KEY_NOT_FOUND" // #nosec G101 -- an error code of the contract, not a credential
	KindUserNotFound        Kind = "USER_NOT_FOUND"
	KindSchemaNotFound      Kind = "SCHEMA_NOT_FOUND"
	KindAssetExists         Kind = "ASSET_ALREADY_EXISTS"
	KindEnvironmentExists   Kind = "ENVIRONMENT_ALREADY_EXISTS"
	KindEmailRegistered     Kind = "EMAIL_ALREADY_REGISTERED"
	KindMemberExists        Kind = "MEMBER_ALREADY_EXISTS"
	KindLastOwner           Kind = "LAST_OWNER"
	KindVersionConflict     Kind = "VERSION_CONFLICT"
	KindConflict            Kind = "CONFLICT"
	// KindSchemaViolation: a resolved configuration breaks its asset's
	// schema; details.violations lists {environment, path, message}.
	KindSchemaViolation Kind = "SCHEMA_VIOLATION"
	// KindReferenceError: a write would leave a reference to something
	// missing, a cycle or a chain too deep; details name the environment,
	// the path, the reference and the reason.
	KindReferenceError Kind = "REFERENCE_ERROR"
	KindUnavailable    Kind = "SERVICE_UNAVAILABLE"
	KindInternal       Kind = "INTERNAL_ERROR"
	// KindCanceled is the outcome of work whose caller went away (its
	// context was canceled) before it finished: not a failure of the
	// service, and answered to no one, so it has no contract code. A
	// transaction that ends so has committed nothing.
	KindCanceled Kind = "CANCELED"
)

// Error is a domain error: a kind, a message safe to show to the caller, optional
// details (for example the offending field names) and an optional cause that is
// never shown to callers, only logged.
type Error struct {
	Kind    Kind
	Message string
	Details map[string]any
	Cause   error
}

// Error implements error. It includes the cause, so it must not be sent to clients
// as is; use Message for that.
func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf builds an Error of the given kind with a formatted message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// WithDetail returns e with one more detail set.
func (e *Error) WithDetail(key string, value any) *Error {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[key] = value
	return e
}

// Wrap returns an internal error that keeps cause for the logs and shows only
// message to callers. A nil cause gives nil.
func Wrap(cause error, message string) error {
	if cause == nil {
		return nil
	}
	return &Error{Kind: KindInternal, Message: message, Cause: cause}
}

// KindOf returns the kind of err: the kind of the first *Error in its chain,
// KindInternal for any other non-nil error, and "" for nil.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return KindInternal
}

// IsKind reports whether err has the given kind.
func IsKind(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }
