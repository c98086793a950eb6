package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

var registration = RegisterInput{Email: " Ada@Example.com", Password: rightPassword, TenantName: "  Acme Corp "}

func tenantFree() (domain.TenantRef, error) {
	return domain.TenantRef{}, domain.Errorf(domain.KindTenantNotFound, "free")
}

func TestRegisterCreatesEverythingInOneTransaction(t *testing.T) {
	h := newHarness(t)
	var bound domain.TenantID
	h.tx.EXPECT().InTenant(gomock.Any(), gomock.Any(), gomock.Any()).Times(1).DoAndReturn(
		func(ctx context.Context, id domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
			bound = id
			return h.finish(fn(ctx, h.stores))
		})
	h.dir.EXPECT().TenantBySlug(gomock.Any(), "acme-corp").Return(tenantFree())
	var user domain.User
	var tenant domain.Tenant
	var envs []domain.Environment
	var member domain.Membership
	var token domain.UserToken
	gomock.InOrder(
		h.users.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, u domain.User) error { user = u; return nil }),
		h.tenants.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, tn domain.Tenant) error { tenant = tn; return nil }),
		h.envs.EXPECT().Create(gomock.Any(), gomock.Any()).Times(3).DoAndReturn(func(_ context.Context, e domain.Environment) error {
			envs = append(envs, e)
			return nil
		}),
		h.members.EXPECT().Add(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, m domain.Membership) error { member = m; return nil }),
		h.tokens.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, tk domain.UserToken) error { token = tk; return nil }),
	)

	reg, err := h.svc.Register(context.Background(), registration)
	wantKind(t, err, "")
	if h.commits != 1 || h.rollbacks != 0 {
		t.Fatalf("commits, rollbacks = %d, %d; want 1, 0", h.commits, h.rollbacks)
	}
	if !validUUID(string(bound)) || !validUUID(string(user.ID)) {
		t.Fatalf("tenant %q and user %q must be new UUIDs", bound, user.ID)
	}
	if user.Email != "ada@example.com" || !user.CreatedAt.Equal(testNow) {
		t.Fatalf("user = %+v", user)
	}
	if ok, err := h.svc.passwords.verify(user.PasswordHash, rightPassword); !ok || err != nil {
		t.Fatalf("stored hash does not verify the password: %v, %v", ok, err)
	}
	wantTenant := domain.Tenant{ID: bound, Slug: "acme-corp", Name: "Acme Corp", DataKey: wrappedKeyOf(bound), CreatedAt: testNow}
	if !reflect.DeepEqual(tenant, wantTenant) || !reflect.DeepEqual(h.keys.calls, []domain.TenantID{bound}) {
		t.Fatalf("tenant = %+v (keys for %v), want %+v", tenant, h.keys.calls, wantTenant)
	}
	wantEnvs := []domain.Environment{{Name: "local", Position: 1, CreatedAt: testNow}, {Name: "stage", Position: 2, CreatedAt: testNow}, {Name: "prod", Position: 3, CreatedAt: testNow}}
	if !reflect.DeepEqual(envs, wantEnvs) {
		t.Fatalf("environments = %+v, want %+v", envs, wantEnvs)
	}
	if member != (domain.Membership{TenantID: bound, UserID: user.ID, Role: domain.RoleOwner, CreatedAt: testNow}) {
		t.Fatalf("membership = %+v", member)
	}
	if token.UserID != user.ID || !domain.SameDigest(token.Digest, domain.CredentialDigest(reg.Token)) || !token.ExpiresAt.Equal(testNow.Add(time.Hour)) {
		t.Fatalf("stored token %+v does not match the issued %q", token, reg.Token)
	}
	want := Registration{
		Token: reg.Token, ExpiresAt: testNow.Add(time.Hour),
		User:   domain.UserRef{ID: user.ID, Email: "ada@example.com"},
		Tenant: domain.TenantRef{ID: bound, Slug: "acme-corp", Name: "Acme Corp"},
	}
	if !reflect.DeepEqual(reg, want) || !domain.WellFormedCredential(domain.UserTokenPrefix, reg.Token) {
		t.Fatalf("registration = %+v, want %+v", reg, want)
	}
	owner := domain.Actor{TenantID: bound, UserID: user.ID, Role: domain.RoleOwner}
	wantAudit(t, h,
		auditRecord{actor: owner, action: domain.ActionTenantCreated, target: "tenant:" + string(bound),
			details: map[string]any{"slug": "acme-corp", "name": "Acme Corp", "environments": []string{"local", "stage", "prod"}}},
		auditRecord{actor: owner, action: domain.ActionMemberAdded, target: "user:" + string(user.ID),
			details: map[string]any{"user_id": string(user.ID), "role": "owner"}},
	)
}

// expectRegistrationWrites expects every write of a registration after the
// slug lookup to succeed.
func expectRegistrationWrites(h *harness) {
	h.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
	h.tenants.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
	h.envs.EXPECT().Create(gomock.Any(), gomock.Any()).Times(3).Return(nil)
	h.members.EXPECT().Add(gomock.Any(), gomock.Any()).Return(nil)
	h.tokens.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
}

func TestRegisterSlug(t *testing.T) {
	long := strings.Repeat("a", 80)
	tests := []struct {
		name       string
		tenantName string
		taken      []string
		want       *regexp.Regexp
	}{
		{"from the name", "Acme, Inc.", nil, regexp.MustCompile(`^acme-inc$`)},
		{"fallback for a name without letters", "!!! ???", nil, regexp.MustCompile(`^tenant$`)},
		{"fallback taken", "日本", []string{"tenant"}, regexp.MustCompile(`^tenant-[a-z0-9]{6}$`)},
		{"taken gets a suffix", "Acme", []string{"acme"}, regexp.MustCompile(`^acme-[a-z0-9]{6}$`)},
		{"suffix taken too", "Acme", []string{"acme", "*"}, regexp.MustCompile(`^acme-[a-z0-9]{6}$`)},
		{"long name keeps the slug rule", long, []string{long[:63]}, regexp.MustCompile(`^a{56}-[a-z0-9]{6}$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.expectTenantTx(gomock.Any())
			lookups := 0
			h.dir.EXPECT().TenantBySlug(gomock.Any(), gomock.Any()).Times(len(tt.taken) + 1).DoAndReturn(
				func(_ context.Context, slug string) (domain.TenantRef, error) {
					if lookups < len(tt.taken) {
						if tt.taken[lookups] != "*" && tt.taken[lookups] != slug {
							t.Errorf("lookup %d of %q, want %q", lookups, slug, tt.taken[lookups])
						}
						lookups++
						return domain.TenantRef{ID: tenantB, Slug: slug}, nil
					}
					return tenantFree()
				})
			expectRegistrationWrites(h)
			reg, err := h.svc.Register(context.Background(), RegisterInput{Email: "ada@example.com", Password: rightPassword, TenantName: tt.tenantName})
			wantKind(t, err, "")
			if !tt.want.MatchString(reg.Tenant.Slug) {
				t.Fatalf("slug = %q, want %v", reg.Tenant.Slug, tt.want)
			}
			p := domain.Problems{}
			domain.CheckSlug(p, "slug", reg.Tenant.Slug)
			if len(p) != 0 {
				t.Fatalf("slug %q breaks the slug rule", reg.Tenant.Slug)
			}
		})
	}
}

func TestRegisterGivesUpWhenNoSlugIsFree(t *testing.T) {
	h := newHarness(t)
	h.expectTenantTx(gomock.Any()).Times(registerAttempts)
	h.dir.EXPECT().TenantBySlug(gomock.Any(), gomock.Any()).Times(registerAttempts*slugAttempts).Return(domain.TenantRef{ID: tenantB}, nil)
	_, err := h.svc.Register(context.Background(), registration)
	wantKind(t, err, domain.KindConflict)
	if h.commits != 0 {
		t.Fatalf("commits = %d, want 0", h.commits)
	}
}

// A concurrent registration may take the slug between the check and the
// insert; the registration is then retried with new identifiers.
func TestRegisterRetriesASlugRace(t *testing.T) {
	h := newHarness(t)
	var bound []domain.TenantID
	h.tx.EXPECT().InTenant(gomock.Any(), gomock.Any(), gomock.Any()).Times(2).DoAndReturn(
		func(ctx context.Context, id domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
			bound = append(bound, id)
			return h.finish(fn(ctx, h.stores))
		})
	h.dir.EXPECT().TenantBySlug(gomock.Any(), "acme-corp").Times(2).Return(tenantFree())
	h.users.EXPECT().Create(gomock.Any(), gomock.Any()).Times(2).Return(nil)
	gomock.InOrder(
		h.tenants.EXPECT().Create(gomock.Any(), gomock.Any()).Return(domain.Errorf(domain.KindConflict, "slug taken")),
		h.tenants.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil),
	)
	h.envs.EXPECT().Create(gomock.Any(), gomock.Any()).Times(3).Return(nil)
	h.members.EXPECT().Add(gomock.Any(), gomock.Any()).Return(nil)
	h.tokens.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
	reg, err := h.svc.Register(context.Background(), registration)
	wantKind(t, err, "")
	if h.commits != 1 || h.rollbacks != 1 || bound[0] == bound[1] || reg.Tenant.ID != bound[1] {
		t.Fatalf("commits %d, rollbacks %d, tenants %v, registered %v", h.commits, h.rollbacks, bound, reg.Tenant.ID)
	}
}

// A failure at any step of the registration is returned as is, and the
// transaction does not commit.
func TestRegisterFailureAtEachStepCommitsNothing(t *testing.T) {
	type step struct {
		name   string
		expect func(h *harness, err error)
	}
	env := func(name string) step {
		return step{"environment " + name, func(h *harness, err error) {
			h.envs.EXPECT().Create(gomock.Any(), gomock.Cond(func(e domain.Environment) bool { return e.Name == name })).Return(err)
		}}
	}
	steps := []step{
		{"slug lookup", func(h *harness, err error) {
			if err == nil {
				h.dir.EXPECT().TenantBySlug(gomock.Any(), gomock.Any()).Return(tenantFree())
				return
			}
			h.dir.EXPECT().TenantBySlug(gomock.Any(), gomock.Any()).Return(domain.TenantRef{}, err)
		}},
		{"user", func(h *harness, err error) { h.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(err) }},
		{"data key", func(h *harness, err error) { h.keys.err = err }},
		{"tenant", func(h *harness, err error) { h.tenants.EXPECT().Create(gomock.Any(), gomock.Any()).Return(err) }},
		env("local"), env("stage"), env("prod"),
		{"tenant audit", func(h *harness, err error) { h.audit.failOn, h.audit.err = domain.ActionTenantCreated, err }},
		{"membership", func(h *harness, err error) { h.members.EXPECT().Add(gomock.Any(), gomock.Any()).Return(err) }},
		{"membership audit", func(h *harness, err error) { h.audit.failOn, h.audit.err = domain.ActionMemberAdded, err }},
		{"token", func(h *harness, err error) { h.tokens.EXPECT().Create(gomock.Any(), gomock.Any()).Return(err) }},
	}
	for i, failing := range steps {
		t.Run(failing.name, func(t *testing.T) {
			h := newHarness(t)
			h.expectTenantTx(gomock.Any()).Times(1)
			for _, ok := range steps[:i] {
				ok.expect(h, nil)
			}
			boom := domain.Errorf(domain.KindUnavailable, "%s failed", failing.name)
			failing.expect(h, boom)
			reg, err := h.svc.Register(context.Background(), registration)
			if !errors.Is(err, boom) {
				t.Fatalf("error = %v, want %v", err, boom)
			}
			if h.commits != 0 || h.rollbacks != 1 || reg != (Registration{}) {
				t.Fatalf("commits %d, rollbacks %d, registration %+v; want nothing committed", h.commits, h.rollbacks, reg)
			}
		})
	}
}

func TestRegisterPassesEmailTakenThrough(t *testing.T) {
	h := newHarness(t)
	h.expectTenantTx(gomock.Any())
	h.dir.EXPECT().TenantBySlug(gomock.Any(), gomock.Any()).Return(tenantFree())
	h.users.EXPECT().Create(gomock.Any(), gomock.Any()).Return(domain.Errorf(domain.KindEmailRegistered, "taken"))
	_, err := h.svc.Register(context.Background(), registration)
	wantKind(t, err, domain.KindEmailRegistered)
}

func TestRegisterValidatesBeforeAnyTransaction(t *testing.T) {
	tests := []struct {
		name  string
		in    RegisterInput
		field string
	}{
		{"no email", RegisterInput{Password: rightPassword, TenantName: "Acme"}, "email"},
		{"bad email", RegisterInput{Email: "ada@", Password: rightPassword, TenantName: "Acme"}, "email"},
		{"display-name email", RegisterInput{Email: "Ada <ada@example.com>", Password: rightPassword, TenantName: "Acme"}, "email"},
		{"short password", RegisterInput{Email: "ada@example.com", Password: "short", TenantName: "Acme"}, "password"},
		{"long password", RegisterInput{Email: "ada@example.com", Password: strings.Repeat("p", domain.MaxPasswordLength+1), TenantName: "Acme"}, "password"},
		{"no tenant name", RegisterInput{Email: "ada@example.com", Password: rightPassword, TenantName: "  "}, "tenant_name"},
		{"long tenant name", RegisterInput{Email: "ada@example.com", Password: rightPassword, TenantName: strings.Repeat("n", domain.MaxNameLength+1)}, "tenant_name"},
		{"control character", RegisterInput{Email: "ada@example.com", Password: rightPassword, TenantName: "Acme\x00"}, "tenant_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			_, err := h.svc.Register(context.Background(), tt.in)
			wantField(t, err, tt.field)
			if h.derivations != 0 {
				t.Fatal("an invalid registration was hashed")
			}
		})
	}
}

func TestRegisterFailsWithoutRandomness(t *testing.T) {
	tests := []struct {
		name string
		// good is how many bytes the random source yields before failing.
		good  int
		setup func(h *harness)
	}{
		{"salt", 0, nil},
		{"tenant id", int(cheapParams.SaltLength), nil},
		{"user id", int(cheapParams.SaltLength) + 16, nil},
		{"slug suffix", int(cheapParams.SaltLength) + 32, func(h *harness) {
			h.expectTenantTx(gomock.Any())
			h.dir.EXPECT().TenantBySlug(gomock.Any(), "acme-corp").Return(domain.TenantRef{ID: tenantB}, nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.setup != nil {
				tt.setup(h)
			}
			r := &limitedReader{n: tt.good}
			h.svc.deps.Random, h.svc.passwords.random = r, r
			_, err := h.svc.Register(context.Background(), registration)
			wantKind(t, err, domain.KindInternal)
		})
	}
}

// limitedReader yields n random bytes, then fails.
type limitedReader struct{ n int }

func (r *limitedReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("entropy exhausted")
	}
	p = p[:min(len(p), r.n)]
	r.n -= len(p)
	return rand.Read(p)
}
