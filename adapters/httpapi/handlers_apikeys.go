package httpapi

import (
	"net/http"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
)

// listAPIKeys lists the tenant's API keys without their secret part.
func (s *server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.identity.ListAPIKeys(r.Context(), actorFrom(r.Context()))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewAPIKeys(keys))
}

// createAPIKey creates an API key and shows its text once.
func (s *server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	var req apiKeyCreate
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	in := identity.APIKeyInput{Name: req.Name}
	if req.Environment != nil {
		in.Environment = *req.Environment
	}
	if req.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, *req.ExpiresAt)
		if err != nil {
			return invalidField("expires_at", "must be an RFC 3339 date-time")
		}
		in.ExpiresAt = &t
	}
	created, err := s.identity.CreateAPIKey(r.Context(), actorFrom(r.Context()), in)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, viewCreatedAPIKey(created))
}

// revokeAPIKey revokes an API key at once.
func (s *server) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	if err := s.identity.RevokeAPIKey(r.Context(), actorFrom(r.Context()), domain.APIKeyID(pathVar(r, "id"))); err != nil {
		return err
	}
	return noContent(w)
}
