package httpapi

import (
	"net/http"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
)

// apiKeyView is an API key as listed: never its digest or key text.
type apiKeyView struct {
	ID          domain.APIKeyID `json:"id"`
	Name        string          `json:"name"`
	Prefix      string          `json:"prefix"`
	Environment *string         `json:"environment"`
	ExpiresAt   *time.Time      `json:"expires_at"`
	CreatedAt   time.Time       `json:"created_at"`
	RevokedAt   *time.Time      `json:"revoked_at"`
}

// apiKeyList is the answer of GET /api-keys.
type apiKeyList struct {
	APIKeys []apiKeyView `json:"api_keys"`
}

// apiKeyCreate is the body of POST /api-keys.
type apiKeyCreate struct {
	Name        string  `json:"name"`
	Environment *string `json:"environment"`
	ExpiresAt   *string `json:"expires_at"`
}

// apiKeyCreated is the answer of POST /api-keys: the only time the key text
// is shown.
type apiKeyCreated struct {
	ID          domain.APIKeyID `json:"id"`
	Name        string          `json:"name"`
	Key         string          `json:"key"`
	Prefix      string          `json:"prefix"`
	Environment *string         `json:"environment"`
	ExpiresAt   *time.Time      `json:"expires_at"`
}

// listAPIKeys lists the tenant's API keys without their secret part.
func (s *server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := s.identity.ListAPIKeys(r.Context(), actorFrom(r.Context()))
	if err != nil {
		return err
	}
	views := make([]apiKeyView, 0, len(keys))
	for _, k := range keys {
		views = append(views, apiKeyView{
			ID:          k.ID,
			Name:        k.Name,
			Prefix:      k.Prefix,
			Environment: optionalString(k.Environment),
			ExpiresAt:   k.ExpiresAt,
			CreatedAt:   k.CreatedAt,
			RevokedAt:   k.RevokedAt,
		})
	}
	return respond(w, http.StatusOK, apiKeyList{APIKeys: views})
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
	return respond(w, http.StatusCreated, apiKeyCreated{
		ID:          created.ID,
		Name:        created.Name,
		Key:         created.Key,
		Prefix:      created.Prefix,
		Environment: optionalString(created.Environment),
		ExpiresAt:   created.ExpiresAt,
	})
}

// revokeAPIKey revokes an API key at once.
func (s *server) revokeAPIKey(w http.ResponseWriter, r *http.Request) error {
	if err := s.identity.RevokeAPIKey(r.Context(), actorFrom(r.Context()), domain.APIKeyID(pathVar(r, "id"))); err != nil {
		return err
	}
	return noContent(w)
}

// optionalString is nil for "", so that JSON shows null.
func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
