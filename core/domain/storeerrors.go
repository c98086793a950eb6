package domain

// storeMessages are the messages of the errors stores answer, one per kind,
// so that no store adapter phrases a message of its own and every store
// answers the same error for the same case. Services that show an error to a
// user often replace it with a more specific one (naming the slug, say).
var storeMessages = map[Kind]string{ // #nosec G101 -- error messages, no credential
	KindTenantNotFound:      "The requested tenant does not exist.",
	KindAssetNotFound:       "The requested asset does not exist.",
	KindEnvironmentNotFound: "The requested environment does not exist.",
	KindVersionNotFound:     "The requested version does not exist.",
	KindAPIKeyNotFound:      "The requested API key does not exist.",
	KindUserNotFound:        "The requested user does not exist.",
	KindSchemaNotFound:      "The asset has no schema.",
	KindInvalidToken:        "The token is invalid.",
	KindInvalidAPIKey:       "The API key is invalid.",
	KindAssetExists:         "An asset with this slug already exists.",
	KindEnvironmentExists:   "The environment already exists.",
	KindEmailRegistered:     "This email address is already registered.",
	KindMemberExists:        "The user is already a member of this tenant.",
	KindVersionConflict:     "The version was changed concurrently.",
	KindConflict:            "The change conflicts with a concurrent one; try again.",
	KindInvalid:             "A value is out of its allowed range.",
	KindUnavailable:         "The database is unavailable.",
	KindCanceled:            "The request was canceled before the database finished its work.",
}

// StoreError returns the error a store answers for kind: a missing row, a
// taken key or a lost race, with the message of the kind and no details.
func StoreError(kind Kind) *Error {
	msg, ok := storeMessages[kind]
	if !ok {
		msg = "The store refused the change."
	}
	return &Error{Kind: kind, Message: msg}
}

// StoreViolation is StoreError(kind) keeping the driver's error as its cause,
// for the logs.
func StoreViolation(kind Kind, cause error) *Error {
	e := StoreError(kind)
	e.Cause = cause
	return e
}

// Unavailable is the SERVICE_UNAVAILABLE of a database that could not do
// the work: the connection was lost, the server is shutting down or
// overloaded, or the work ran past its time limit. cause is kept for the logs.
func Unavailable(cause error) *Error { return StoreViolation(KindUnavailable, cause) }

// TimedOut is the SERVICE_UNAVAILABLE of database work that ran past its
// time limit; cause is kept for the logs.
func TimedOut(cause error) *Error {
	return &Error{Kind: KindUnavailable, Message: "The database did not answer in time.", Cause: cause}
}

// Canceled is the outcome of database work whose caller went away first;
// cause is kept for the logs.
func Canceled(cause error) *Error { return StoreViolation(KindCanceled, cause) }

// NotUUID is the VALIDATION_ERROR of an identifier that must be a UUID;
// field names it in the message and the details.
func NotUUID(field string) *Error {
	return Errorf(KindInvalid, "The %s must be a UUID.", field).WithDetail(field, "must be a UUID")
}

// ForeignTenant is the VALIDATION_ERROR of an entity that names another
// tenant than the transaction is bound to.
func ForeignTenant() *Error {
	return Errorf(KindInvalid, "The row belongs to another tenant than the transaction's.").WithDetail("tenant_id", "must be the bound tenant")
}

// InvalidCursor is the VALIDATION_ERROR of a page cursor a store cannot read.
func InvalidCursor() *Error {
	return Errorf(KindInvalid, "The cursor is invalid.").WithDetail("cursor", "is invalid")
}
