package httpapi

import (
	"net/http"

	"github.com/configmat/configmat/core/domain"
)

// memberList is the answer of GET /members.
type memberList struct {
	Members []domain.Member `json:"members"`
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

// listMembers lists the tenant's members.
func (s *server) listMembers(w http.ResponseWriter, r *http.Request) error {
	members, err := s.identity.ListMembers(r.Context(), actorFrom(r.Context()))
	if err != nil {
		return err
	}
	if members == nil {
		members = []domain.Member{}
	}
	return respond(w, http.StatusOK, memberList{Members: members})
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
	return respond(w, http.StatusCreated, m)
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
	return respond(w, http.StatusOK, m)
}

// removeMember removes a member from the tenant.
func (s *server) removeMember(w http.ResponseWriter, r *http.Request) error {
	if err := s.identity.RemoveMember(r.Context(), actorFrom(r.Context()), domain.UserID(pathVar(r, "user_id"))); err != nil {
		return err
	}
	return noContent(w)
}
