package httpapi

import (
	"net/http"
	"strings"

	"github.com/sirupsen/logrus"
)

// resolveParams are the query parameters of resolve, read in one pass:
// environment, and wait (see parseWait).
var resolveParams = [...]string{"environment", "wait"}

// resolve answers the resolved configuration of an asset in an environment,
// for an API key or a user. The body is encoded once per version (see
// resolvedBodies) and its keyed digest is the strong ETag; a matching
// If-None-Match answers 304 with no body, or, with ?wait=, waits for the
// next change (longPoll). The answer's header values are built with the
// body, once.
func (s *server) resolve(w http.ResponseWriter, r *http.Request) error {
	var query [len(resolveParams)]string
	queryValues(r.URL.RawQuery, resolveParams[:], query[:])
	env, err := required("environment", query[0])
	if err != nil {
		return err
	}
	wait, err := parseWait(query[1])
	if err != nil {
		return err
	}
	slug := pathVar(r, "slug")
	actor := actorFrom(r.Context())
	done := s.timeOperation(r.Context(), "resolve", logrus.DebugLevel, func() logrus.Fields {
		return logrus.Fields{"asset": slug, "environment": env}
	})
	resolved, err := s.catalog.Resolve(r.Context(), actor, slug, env)
	done()
	if err != nil {
		return err
	}
	answer, err := s.bodies.answer(actor.TenantID, resolved)
	if err != nil {
		return err
	}
	h := w.Header()
	h[headerETag] = answer.etagValue
	if etagMatches(r.Header[headerIfNoneMatch], answer.etag) {
		if wait > 0 {
			return s.longPoll(w, r, actor, slug, env, answer, wait)
		}
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	writeResolved(w, answer)
	return nil
}

// writeResolved answers 200 with an encoded resolved configuration.
func writeResolved(w http.ResponseWriter, answer *encodedBody) {
	h := w.Header()
	h[headerETag] = answer.etagValue
	h[headerContentType] = valueJSON
	h[headerContentLength] = answer.lengthValue
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(answer.body) // #nosec G705 -- application/json from encoding/json, which escapes <, > and &
}

// etagMatches applies If-None-Match's weak comparison: any listed tag, with
// or without W/, equal to etag, or "*".
func etagMatches(headers []string, etag string) bool {
	for _, h := range headers {
		for rest, more := h, true; more; {
			var tag string
			tag, rest, more = strings.Cut(rest, ",")
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}
