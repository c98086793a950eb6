package catalog

import (
	"errors"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

// guardedCall invokes one service method with valid inputs.
type guardedCall struct {
	name   string
	min    domain.Role
	invoke func(w *world, a domain.Actor) error
}

func guardedCalls() []guardedCall {
	name := "New name"
	return []guardedCall{
		{"ListEnvironments", domain.RoleViewer, func(w *world, a domain.Actor) error {
			_, err := w.svc.ListEnvironments(w.ctx, a)
			return err
		}},
		{"CreateEnvironment", domain.RoleAdmin, func(w *world, a domain.Actor) error {
			_, err := w.svc.CreateEnvironment(w.ctx, a, "qa")
			return err
		}},
		{"ListAssets", domain.RoleViewer, func(w *world, a domain.Actor) error {
			_, _, err := w.svc.ListAssets(w.ctx, a, domain.Page{})
			return err
		}},
		{"CreateAsset", domain.RoleEditor, func(w *world, a domain.Actor) error {
			_, err := w.svc.CreateAsset(w.ctx, a, AssetInput{Slug: assetSlug, Name: "Billing"})
			return err
		}},
		{"GetAsset", domain.RoleViewer, func(w *world, a domain.Actor) error {
			_, err := w.svc.GetAsset(w.ctx, a, assetSlug)
			return err
		}},
		{"UpdateAsset", domain.RoleEditor, func(w *world, a domain.Actor) error {
			_, err := w.svc.UpdateAsset(w.ctx, a, assetSlug, AssetPatch{Name: &name})
			return err
		}},
		{"DeleteAsset", domain.RoleAdmin, func(w *world, a domain.Actor) error {
			return w.svc.DeleteAsset(w.ctx, a, assetSlug)
		}},
		{"GetValues", domain.RoleViewer, func(w *world, a domain.Actor) error {
			_, err := w.svc.GetValues(w.ctx, a, assetSlug, "prod")
			return err
		}},
		{"ApplyChangeSet", domain.RoleEditor, func(w *world, a domain.Actor) error {
			cs := domain.ChangeSet{Set: map[string]map[string]domain.Value{"app": {"debug": {Value: []byte(`true`)}}}}
			_, err := w.svc.ApplyChangeSet(w.ctx, a, assetSlug, "prod", cs)
			return err
		}},
		{"ListVersions", domain.RoleViewer, func(w *world, a domain.Actor) error {
			_, _, err := w.svc.ListVersions(w.ctx, a, assetSlug, "prod", domain.Page{})
			return err
		}},
		{"GetVersion", domain.RoleViewer, func(w *world, a domain.Actor) error {
			_, err := w.svc.GetVersion(w.ctx, a, assetSlug, "prod", 1)
			return err
		}},
		{"Promote", domain.RoleEditor, func(w *world, a domain.Actor) error {
			_, err := w.svc.Promote(w.ctx, a, assetSlug, PromoteRequest{From: "stage", To: "prod"})
			return err
		}},
		{"Rollback", domain.RoleEditor, func(w *world, a domain.Actor) error {
			_, err := w.svc.Rollback(w.ctx, a, assetSlug, "prod", 1)
			return err
		}},
	}
}

// actorsBelow returns the actors refused by a method requiring min, with the
// kind each must get.
func actorsBelow(min domain.Role) map[string]struct {
	actor domain.Actor
	kind  domain.Kind
} {
	out := map[string]struct {
		actor domain.Actor
		kind  domain.Kind
	}{
		"empty actor":         {domain.Actor{}, domain.KindUnauthenticated},
		"api key":             {apiKey, domain.KindPermissionDenied},
		"api key with a role": {domain.Actor{TenantID: tenantID, APIKeyID: "k-2", Role: domain.RoleOwner}, domain.KindPermissionDenied},
		"user without role":   {domain.Actor{TenantID: tenantID, UserID: "u-none"}, domain.KindPermissionDenied},
		"user with bad role":  {domain.Actor{TenantID: tenantID, UserID: "u-bad", Role: "root"}, domain.KindPermissionDenied},
	}
	for _, r := range []domain.Role{domain.RoleViewer, domain.RoleEditor, domain.RoleAdmin} {
		if !r.AtLeast(min) {
			out[string(r)] = struct {
				actor domain.Actor
				kind  domain.Kind
			}{domain.Actor{TenantID: tenantID, UserID: "u-" + domain.UserID(r), Role: r}, domain.KindPermissionDenied}
		}
	}
	return out
}

func TestRolesAreCheckedBeforeAnyStoreCall(t *testing.T) {
	for _, c := range guardedCalls() {
		for who, refused := range actorsBelow(c.min) {
			t.Run(c.name+"/"+who, func(t *testing.T) {
				w := newWorld(t)
				assertKind(t, c.invoke(w, refused.actor), refused.kind)
				if w.tx.calls != 0 {
					t.Fatalf("%d transactions opened for a refused actor", w.tx.calls)
				}
			})
		}
	}
}

func TestMinimumRoleReachesTheTransaction(t *testing.T) {
	for _, c := range guardedCalls() {
		for _, r := range []domain.Role{domain.RoleViewer, domain.RoleEditor, domain.RoleAdmin, domain.RoleOwner} {
			if !r.AtLeast(c.min) {
				continue
			}
			t.Run(c.name+"/"+string(r), func(t *testing.T) {
				w := newWorld(t)
				stop := errors.New("stopped at the transaction")
				w.tx.stop = stop
				err := c.invoke(w, domain.Actor{TenantID: tenantID, UserID: "u-" + domain.UserID(r), Role: r})
				if !errors.Is(err, stop) || w.tx.calls != 1 {
					t.Fatalf("error = %v after %d transactions, want the transaction reached once", err, w.tx.calls)
				}
			})
		}
	}
}

func TestResolveAccess(t *testing.T) {
	tests := []struct {
		name        string
		actor       domain.Actor
		env         string
		kind        domain.Kind
		withSecrets bool
	}{
		{"empty actor", domain.Actor{}, "prod", domain.KindUnauthenticated, false},
		{"api key without tenant", domain.Actor{APIKeyID: "k"}, "prod", domain.KindUnauthenticated, false},
		{"user without role", domain.Actor{TenantID: tenantID, UserID: "u"}, "prod", domain.KindPermissionDenied, false},
		{"api key of another environment", domain.Actor{TenantID: tenantID, APIKeyID: "k", Environment: "stage"}, "prod", domain.KindPermissionDenied, false},
		{"api key of the environment", domain.Actor{TenantID: tenantID, APIKeyID: "k", Environment: "prod"}, "prod", "", true},
		{"api key of every environment", apiKey, "prod", "", true},
		{"viewer", viewer, "prod", "", false},
		{"editor", editor, "prod", "", true},
		{"owner", owner, "prod", "", true},
		{"system", domain.SystemActor(tenantID), "prod", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withSecrets, err := resolveAccess(tt.actor, tt.env)
			if domain.KindOf(err) != tt.kind {
				t.Fatalf("error = %v, want kind %q", err, tt.kind)
			}
			if withSecrets != tt.withSecrets {
				t.Fatalf("withSecrets = %v, want %v", withSecrets, tt.withSecrets)
			}
		})
	}
}

func TestResolveRefusesBeforeAnyStoreCall(t *testing.T) {
	tests := []struct {
		name  string
		actor domain.Actor
		kind  domain.Kind
	}{
		{"empty actor", domain.Actor{}, domain.KindUnauthenticated},
		{"user without role", domain.Actor{TenantID: tenantID, UserID: "u"}, domain.KindPermissionDenied},
		{"api key of another environment", domain.Actor{TenantID: tenantID, APIKeyID: "k", Environment: "stage"}, domain.KindPermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			_, err := w.svc.Resolve(w.ctx, tt.actor, assetSlug, "prod")
			assertKind(t, err, tt.kind)
			if w.tx.calls != 0 {
				t.Fatalf("%d transactions opened for a refused actor", w.tx.calls)
			}
		})
	}
}
