package httpapi

import (
	"net/http"
	"strings"
)

// getSchema returns an asset's schema, or SCHEMA_NOT_FOUND.
func (s *server) getSchema(w http.ResponseWriter, r *http.Request) error {
	sch, err := s.catalog.GetSchema(r.Context(), actorFrom(r.Context()), pathVar(r, "slug"))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewSchema(sch))
}

// putSchema sets an asset's schema.
func (s *server) putSchema(w http.ResponseWriter, r *http.Request) error {
	var req schemaRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Schema) == 0 || string(req.Schema) == "null" {
		return invalidField("schema", "is required")
	}
	sch, err := s.catalog.PutSchema(r.Context(), actorFrom(r.Context()), pathVar(r, "slug"), req.Schema)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewSchema(sch))
}

// deleteSchema removes an asset's schema.
func (s *server) deleteSchema(w http.ResponseWriter, r *http.Request) error {
	if err := s.catalog.DeleteSchema(r.Context(), actorFrom(r.Context()), pathVar(r, "slug")); err != nil {
		return err
	}
	return noContent(w)
}

// compare lists every key of an asset across environments.
func (s *server) compare(w http.ResponseWriter, r *http.Request) error {
	var envs []string
	if raw := queryValue(r.URL.RawQuery, "environments"); raw != "" {
		envs = strings.Split(raw, ",")
	}
	c, err := s.catalog.Compare(r.Context(), actorFrom(r.Context()), pathVar(r, "slug"), envs)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewComparison(c))
}
