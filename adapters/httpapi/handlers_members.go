package httpapi

import (
	"net/http"

	"github.com/configmat/configmat/core/domain"
)

// listMembers lists the tenant's members.
func (s *server) listMembers(w http.ResponseWriter, r *http.Request) error {
	members, err := s.identity.ListMembers(r.Context(), actorFrom(r.Context()))
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewMembers(members))
}

// addMember gives an existing user a role in the tenant.
func (s *server) addMember(w http.ResponseWriter, r *http.Request) error {
	var req memberCreate
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	role, err := domain.ParseRole(req.Role)
	if err != nil {
		return err
	}
	m, err := s.identity.AddMember(r.Context(), actorFrom(r.Context()), req.Email, role)
	if err != nil {
		return err
	}
	return respond(w, http.StatusCreated, viewMember(m))
}

// updateMember changes a member's role.
func (s *server) updateMember(w http.ResponseWriter, r *http.Request) error {
	var req memberUpdate
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	role, err := domain.ParseRole(req.Role)
	if err != nil {
		return err
	}
	m, err := s.identity.UpdateMember(r.Context(), actorFrom(r.Context()), domain.UserID(pathVar(r, "user_id")), role)
	if err != nil {
		return err
	}
	return respond(w, http.StatusOK, viewMember(m))
}

// removeMember removes a member from the tenant.
func (s *server) removeMember(w http.ResponseWriter, r *http.Request) error {
	if err := s.identity.RemoveMember(r.Context(), actorFrom(r.Context()), domain.UserID(pathVar(r, "user_id"))); err != nil {
		return err
	}
	return noContent(w)
}
