package httpapi

import (
	"net/http"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
)

// register creates a user and the tenant they own, when signup is enabled.
func (s *server) register(w http.ResponseWriter, r *http.Request) error {
	if !s.signup {
		return domain.Errorf(domain.KindPermissionDenied, "Signup is disabled on this server.")
	}
	var req registerRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	reg, err := s.identity.Register(r.Context(), identity.RegisterInput{
		Email:      req.Email,
		Password:   req.Password,
		TenantName: req.TenantName,
	})
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, viewRegistration(reg))
}

// login exchanges an email and password for a user token.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	tok, err := s.identity.Login(r.Context(), req.Email, req.Password)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewToken(tok))
}

// getMe returns the user and their memberships.
func (s *server) getMe(w http.ResponseWriter, r *http.Request) error {
	me, err := s.identity.Me(r.Context(), actorFrom(r.Context()))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewMe(me))
}
