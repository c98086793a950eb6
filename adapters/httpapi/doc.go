// Package httpapi is ConfigMat's HTTP adapter: the routes of the product
// contract under /api/v1 (and the health checks at the root), served with
// gorilla/mux over the core services.
//
// Every request passes, in this order: request ID and client IP, the access
// log, panic recovery, trailing-slash trimming, routing, then per route
// authentication, rate limiting and the handler. Every error answer has the
// contract's error body, produced in one place (errors.go) from the error's
// domain.Kind.
//
// The wire format is the adapter's: the core's types carry no JSON tags, and
// every request body (requests.go) and answer (responses.go) has a type of
// its own here, mapped to and from the core's values. The answers of the
// polled GET /api/v1/assets/{slug}/values are encoded and hashed once per
// version and kept in a bounded buffer (bodies.go).
//
// Choices where the contract leaves room:
//   - An unknown JSON field is 400 INVALID_JSON with details {"field": name},
//     as docs/errors.md describes; a field of the wrong JSON type is 400
//     VALIDATION_ERROR naming the field.
//   - Bodies are read strictly, so that no two parsers can read one body two
//     ways: a body that is not UTF-8, a member repeated in one object, or a
//     field named in another case than the contract's ("Secret") is 400
//     INVALID_JSON, the member named by its path in details.field.
//   - X-API-Key on any route but GET /api/v1/assets/{slug}/values is 401
//     AUTHENTICATION_REQUIRED: the route needs a user token.
//   - When both Authorization and X-API-Key are sent, the user token is used.
//   - GET /api/v1/me is not tenant-scoped: it ignores X-Tenant.
//   - GET /api/v1/assets/{slug}/versions has no pagination in the contract,
//     so the adapter gathers every page of the core's listing.
//   - domain.KindConflict has no contract code; it answers 409
//     VERSION_CONFLICT ("a concurrent change won; re-read and retry").
package httpapi
