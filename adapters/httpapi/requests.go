package httpapi

import (
	"encoding/json"

	"github.com/configmat/configmat/core/domain"
)

// The request bodies of the API, as the contract (api/openapi.json) shapes
// them. decodeJSON reads a body strictly into one of these; the handler then
// passes the core its own input types. Their JSON names are the only names a
// body may use (see checkStrictJSON).

// registerRequest is the body of POST /auth/register.
type registerRequest struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	TenantName string `json:"tenant_name"`
}

// loginRequest is the body of POST /auth/login.
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// environmentCreate is the body of POST /environments.
type environmentCreate struct {
	Name string `json:"name"`
}

// assetCreate is the body of POST /assets.
type assetCreate struct {
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// assetUpdate is the body of PATCH /assets/{slug}; absent fields stay.
type assetUpdate struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// valueInput is one value of a change set: any JSON value, optionally secret.
// A missing value stays missing when encoded (it is not null).
type valueInput struct {
	Value  json.RawMessage `json:"value,omitempty"`
	Secret bool            `json:"secret"`
}

// changeSetRequest is the body of PATCH /assets/{slug}/environments/{env}.
type changeSetRequest struct {
	Message         string                           `json:"message"`
	ExpectedVersion *int                             `json:"expected_version"`
	Set             map[string]map[string]valueInput `json:"set"`
	Unset           map[string][]string              `json:"unset"`
}

// changeSet returns the core's change set of r. A missing (or null) object
// stays nil, an empty one empty, so that the core sees what was sent.
func (r changeSetRequest) changeSet() domain.ChangeSet {
	var set map[string]map[string]domain.Value
	if r.Set != nil {
		set = make(map[string]map[string]domain.Value, len(r.Set))
		for obj, keys := range r.Set {
			if keys == nil {
				set[obj] = nil
				continue
			}
			values := make(map[string]domain.Value, len(keys))
			for key, v := range keys {
				values[key] = domain.Value{Value: v.Value, Secret: v.Secret}
			}
			set[obj] = values
		}
	}
	return domain.ChangeSet{Message: r.Message, ExpectedVersion: r.ExpectedVersion, Set: set, Unset: r.Unset}
}

// promoteRequest is the body of POST /assets/{slug}/promote.
type promoteRequest struct {
	From            string `json:"from"`
	To              string `json:"to"`
	ExpectedVersion *int   `json:"expected_version"`
	DryRun          bool   `json:"dry_run"`
}

// rollbackRequest is the body of POST /assets/{slug}/rollback.
type rollbackRequest struct {
	Environment string `json:"environment"`
	Version     int    `json:"version"`
}

// memberCreate is the body of POST /members.
type memberCreate struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// memberUpdate is the body of PATCH /members/{user_id}.
type memberUpdate struct {
	Role string `json:"role"`
}

// apiKeyCreate is the body of POST /api-keys.
type apiKeyCreate struct {
	Name        string  `json:"name"`
	Environment *string `json:"environment"`
	ExpiresAt   *string `json:"expires_at"`
}

// schemaRequest is the body of PUT /assets/{slug}/schema.
type schemaRequest struct {
	Schema json.RawMessage `json:"schema"`
}
