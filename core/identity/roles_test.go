package identity

import (
	"context"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

// adminOperations are the operations that require the admin role.
var adminOperations = []struct {
	name string
	call func(s *Service, actor domain.Actor) error
}{
	{"ListMembers", func(s *Service, a domain.Actor) error { _, err := s.ListMembers(context.Background(), a); return err }},
	{"AddMember", func(s *Service, a domain.Actor) error {
		_, err := s.AddMember(context.Background(), a, "bob@example.com", domain.RoleViewer)
		return err
	}},
	{"UpdateMember", func(s *Service, a domain.Actor) error {
		_, err := s.UpdateMember(context.Background(), a, userB, domain.RoleViewer)
		return err
	}},
	{"RemoveMember", func(s *Service, a domain.Actor) error { return s.RemoveMember(context.Background(), a, userB) }},
	{"ListAPIKeys", func(s *Service, a domain.Actor) error { _, err := s.ListAPIKeys(context.Background(), a); return err }},
	{"CreateAPIKey", func(s *Service, a domain.Actor) error {
		_, err := s.CreateAPIKey(context.Background(), a, APIKeyInput{Name: "ci"})
		return err
	}},
	{"RevokeAPIKey", func(s *Service, a domain.Actor) error { return s.RevokeAPIKey(context.Background(), a, keyA) }},
}

// Every admin operation refuses a lesser actor before any transaction: the
// Transactor mock has no expectation, so any call fails the test.
func TestAdminOperationsRefuseLesserActorsBeforeAnyStoreCall(t *testing.T) {
	actors := []struct {
		name  string
		actor domain.Actor
		want  domain.Kind
	}{
		{"viewer", domain.Actor{TenantID: tenantA, UserID: userA, Role: domain.RoleViewer}, domain.KindPermissionDenied},
		{"editor", domain.Actor{TenantID: tenantA, UserID: userA, Role: domain.RoleEditor}, domain.KindPermissionDenied},
		{"unknown role", domain.Actor{TenantID: tenantA, UserID: userA, Role: "superuser"}, domain.KindPermissionDenied},
		{"API key", domain.Actor{TenantID: tenantA, APIKeyID: keyA}, domain.KindPermissionDenied},
		{"API key claiming a role", domain.Actor{TenantID: tenantA, APIKeyID: keyA, Role: domain.RoleOwner}, domain.KindPermissionDenied},
		{"user without tenant", domain.Actor{UserID: userA}, domain.KindTenantNotFound},
		{"nobody", domain.Actor{}, domain.KindUnauthenticated},
	}
	for _, op := range adminOperations {
		for _, a := range actors {
			t.Run(op.name+"/"+a.name, func(t *testing.T) {
				h := newHarness(t)
				err := op.call(h.svc, a.actor)
				wantKind(t, err, a.want)
				wantAudit(t, h)
			})
		}
	}
}
