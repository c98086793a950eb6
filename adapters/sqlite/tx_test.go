package sqlite

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/porttest"
)

func TestCommitFailureRollsBackAndDeliversNothing(t *testing.T) {
	s := openTest(t)
	tenant := porttest.NewTenant(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	delivered := make(chan domain.Change, 4)
	live := make(chan bool, 4)
	go func() { _ = s.Listen(ctx, func(c domain.Change) { delivered <- c }, func(l bool) { live <- l }) }()
	<-live

	// A deferred foreign key fails the COMMIT, not the INSERT: each new
	// membership also records a user that does not exist.
	for _, ddl := range []string{
		`CREATE TABLE commit_guard (user_id TEXT REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED)`,
		`CREATE TRIGGER memberships_commit_guard AFTER INSERT ON memberships BEGIN INSERT INTO commit_guard VALUES ('nobody'); END`,
	} {
		if _, err := s.db.ExecContext(t.Context(), ddl); err != nil {
			t.Fatal(err)
		}
	}
	ghost := domain.UserID(uuid.NewString())
	err := s.InTenant(t.Context(), tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
		if err := st.Users().Create(ctx, domain.User{ID: ghost, Email: "ghost@example.com", PasswordHash: "x", CreatedAt: time.Now()}); err != nil {
			return err
		}
		if err := st.Members().Add(ctx, domain.Membership{UserID: ghost, Role: domain.RoleOwner, CreatedAt: time.Now()}); err != nil {
			return err
		}
		return st.Changes().Publish(ctx, domain.Change{Kind: domain.ChangeAPIKey, APIKeyID: "k"})
	})
	if domain.KindOf(err) != domain.KindInternal || !strings.Contains(err.Error(), "commit") {
		t.Fatalf("InTenant = %v, want the commit's internal error", err)
	}
	porttest.MustInTenant(t, s, tenant.ID, func(ctx context.Context, st ports.TenantTx) error {
		_, err := st.Members().Get(ctx, ghost)
		if domain.KindOf(err) != domain.KindUserNotFound {
			t.Errorf("membership after a failed commit: %v", err)
		}
		return nil
	})
	select {
	case c := <-delivered:
		t.Errorf("change %+v delivered after a failed commit", c)
	default:
	}
}

func TestNestedTransactionIsRefused(t *testing.T) {
	s := openTest(t)
	tenant := porttest.NewTenant(t, s)
	cases := []struct {
		name  string
		inner func(ctx context.Context) error
	}{
		{"InTenant", func(ctx context.Context) error {
			return s.InTenant(ctx, tenant.ID, func(context.Context, ports.TenantTx) error { return nil })
		}},
		{"Global", func(ctx context.Context) error {
			return s.Global(ctx, func(context.Context, ports.GlobalTx) error { return nil })
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			var inner error
			err := s.InTenant(ctx, tenant.ID, func(ctx context.Context, _ ports.TenantTx) error {
				inner = c.inner(ctx)
				return nil
			})
			if err != nil {
				t.Fatalf("outer transaction: %v", err)
			}
			if domain.KindOf(inner) != domain.KindInternal || !strings.Contains(inner.Error(), "inside another") {
				t.Errorf("nested transaction = %v, want an immediate internal error", inner)
			}
		})
	}
}

func TestTenantIDMustBeCanonical(t *testing.T) {
	s := openTest(t)
	id := uuid.NewString()
	for _, tenant := range []string{strings.ToUpper(id), "{" + id + "}", "urn:uuid:" + id, strings.ReplaceAll(id, "-", "")} {
		t.Run(tenant, func(t *testing.T) {
			err := s.InTenant(t.Context(), domain.TenantID(tenant), func(context.Context, ports.TenantTx) error {
				t.Error("fn ran")
				return nil
			})
			if domain.KindOf(err) != domain.KindInvalid {
				t.Errorf("InTenant(%s) = %v, want %s", tenant, err, domain.KindInvalid)
			}
		})
	}
}

func TestCanceledContext(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Global(ctx, func(context.Context, ports.GlobalTx) error {
		t.Error("fn ran with a canceled context")
		return nil
	})
	if err == nil {
		t.Fatal("Global with a canceled context succeeded")
	}
	porttest.NewUser(t, s) // the store still works
}

func TestListenNeedsOnChange(t *testing.T) {
	s := openTest(t)
	if err := s.Listen(t.Context(), nil, nil); err == nil {
		t.Error("Listen without onChange succeeded")
	}
}
