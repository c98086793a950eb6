package httpapi

import (
	"net/http"
)

// listEnvironments lists the tenant's environments in promotion order.
func (s *server) listEnvironments(w http.ResponseWriter, r *http.Request) error {
	envs, err := s.catalog.ListEnvironments(r.Context(), actorFrom(r.Context()))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewEnvironments(envs))
}

// createEnvironment appends an environment to the promotion order.
func (s *server) createEnvironment(w http.ResponseWriter, r *http.Request) error {
	var req environmentCreate
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	env, err := s.catalog.CreateEnvironment(r.Context(), actorFrom(r.Context()), req.Name)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, viewEnvironment(env))
}
