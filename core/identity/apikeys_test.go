package identity

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

func TestListAPIKeysStripsDigests(t *testing.T) {
	stored := []domain.APIKey{
		{ID: keyA, TenantID: tenantA, Name: "ci", Prefix: "cmk_abcdefgh", Digest: []byte("digest-1")},
		{ID: "k2", TenantID: tenantA, Name: "web", Prefix: "cmk_ijklmnop", Digest: []byte("digest-2"), Environment: "prod"},
	}
	tests := []struct {
		name     string
		stored   []domain.APIKey
		err      error
		want     []domain.APIKey
		wantKind domain.Kind
	}{
		{name: "keys", stored: stored, want: []domain.APIKey{
			{ID: keyA, TenantID: tenantA, Name: "ci", Prefix: "cmk_abcdefgh"},
			{ID: "k2", TenantID: tenantA, Name: "web", Prefix: "cmk_ijklmnop", Environment: "prod"},
		}},
		{name: "none is an empty list", want: []domain.APIKey{}},
		{name: "store failure", err: errStore, wantKind: domain.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.expectTenantTx(tenantA)
			h.apiKeys.EXPECT().List(gomock.Any()).Return(tt.stored, tt.err)
			got, err := h.svc.ListAPIKeys(context.Background(), adminActor)
			wantKind(t, err, tt.wantKind)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("keys = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestCreateAPIKey(t *testing.T) {
	later := testNow.Add(24 * time.Hour)
	tests := []struct {
		name string
		in   APIKeyInput
	}{
		{"all environments, no expiry", APIKeyInput{Name: " ci "}},
		{"one environment, expiring", APIKeyInput{Name: "web", Environment: "prod", ExpiresAt: &later}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.expectTenantTx(tenantA)
			if tt.in.Environment != "" {
				h.envs.EXPECT().Get(gomock.Any(), tt.in.Environment).Return(domain.Environment{Name: tt.in.Environment, Position: 3}, nil)
			}
			var stored domain.APIKey
			h.apiKeys.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, k domain.APIKey) error {
				stored = k
				return nil
			})
			got, err := h.svc.CreateAPIKey(context.Background(), adminActor, tt.in)
			wantKind(t, err, "")
			if !domain.WellFormedCredential(domain.APIKeyPrefix, got.Key) {
				t.Fatalf("key %q is not a well-formed API key", got.Key)
			}
			name := strings.TrimSpace(tt.in.Name)
			want := domain.APIKey{
				ID: stored.ID, TenantID: tenantA, Name: name, Prefix: got.Key[:domain.DisplayPrefixLength],
				Digest: domain.CredentialDigest(got.Key), Environment: tt.in.Environment, ExpiresAt: tt.in.ExpiresAt,
				CreatedAt: testNow, CreatedBy: "user:" + string(userA),
			}
			if !validUUID(string(stored.ID)) || !reflect.DeepEqual(stored, want) {
				t.Fatalf("stored %+v\nwant   %+v", stored, want)
			}
			want.Digest = nil
			if !reflect.DeepEqual(got.APIKey, want) || h.commits != 1 {
				t.Fatalf("returned %+v (commits %d), want %+v without digest", got.APIKey, h.commits, want)
			}
			wantAudit(t, h, auditRecord{actor: adminActor, action: domain.ActionAPIKeyCreated, target: "api_key:" + string(stored.ID),
				details: map[string]any{"id": string(stored.ID), "name": name, "environment": tt.in.Environment}})
			for _, v := range h.audit.entries[0].details {
				if strings.Contains(v.(string), got.Key[4:]) {
					t.Fatal("the audit entry contains the key")
				}
			}
		})
	}
}

func TestCreateAPIKeyRefusals(t *testing.T) {
	earlier, now := testNow.Add(-time.Minute), testNow
	tests := []struct {
		name     string
		in       APIKeyInput
		setup    func(h *harness)
		wantKind domain.Kind
		field    string
	}{
		{name: "no name", in: APIKeyInput{Name: " "}, wantKind: domain.KindInvalid, field: "name"},
		{name: "long name", in: APIKeyInput{Name: strings.Repeat("n", domain.MaxNameLength+1)}, wantKind: domain.KindInvalid, field: "name"},
		{name: "malformed environment", in: APIKeyInput{Name: "ci", Environment: "Prod!"}, wantKind: domain.KindInvalid, field: "environment"},
		{name: "expired", in: APIKeyInput{Name: "ci", ExpiresAt: &earlier}, wantKind: domain.KindInvalid, field: "expires_at"},
		{name: "expiring now", in: APIKeyInput{Name: "ci", ExpiresAt: &now}, wantKind: domain.KindInvalid, field: "expires_at"},
		{name: "unknown environment", in: APIKeyInput{Name: "ci", Environment: "qa"}, wantKind: domain.KindEnvironmentNotFound,
			setup: func(h *harness) {
				h.envs.EXPECT().Get(gomock.Any(), "qa").Return(domain.Environment{}, domain.Errorf(domain.KindEnvironmentNotFound, "none"))
			}},
		{name: "store failure", in: APIKeyInput{Name: "ci"}, wantKind: domain.KindInternal, setup: func(h *harness) {
			h.apiKeys.EXPECT().Create(gomock.Any(), gomock.Any()).Return(errStore)
		}},
		{name: "audit failure", in: APIKeyInput{Name: "ci"}, wantKind: domain.KindInternal, setup: func(h *harness) {
			h.apiKeys.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
			h.audit.failOn, h.audit.err = domain.ActionAPIKeyCreated, errStore
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.setup != nil {
				h.expectTenantTx(tenantA)
				tt.setup(h)
			}
			got, err := h.svc.CreateAPIKey(context.Background(), ownerActor, tt.in)
			wantKind(t, err, tt.wantKind)
			if tt.field != "" {
				wantField(t, err, tt.field)
			}
			if h.commits != 0 || got.Key != "" {
				t.Fatalf("commits %d, key %q; want nothing", h.commits, got.Key)
			}
			wantAudit(t, h)
		})
	}
}

func TestCreateAPIKeyFailsWithoutRandomness(t *testing.T) {
	for _, good := range []int{0, 64} { // the key, then the identifier
		h := newHarness(t)
		h.svc.deps.Random = &limitedReader{n: good}
		_, err := h.svc.CreateAPIKey(context.Background(), adminActor, APIKeyInput{Name: "ci"})
		wantKind(t, err, domain.KindInternal)
	}
}

func TestRevokeAPIKey(t *testing.T) {
	tests := []struct {
		name       string
		id         domain.APIKeyID
		revokeErr  error
		auditErr   error
		publishErr error
		// reached is how far the transaction gets: 0 none, 1 revoke, 2
		// publish (the audit entry, the chain head, comes last).
		reached  int
		wantKind domain.Kind
	}{
		{name: "revoked and announced", id: keyA, reached: 2},
		{name: "malformed id", id: "not-a-uuid", wantKind: domain.KindAPIKeyNotFound},
		{name: "unknown or already revoked", id: keyA, reached: 1, revokeErr: domain.Errorf(domain.KindAPIKeyNotFound, "none"),
			wantKind: domain.KindAPIKeyNotFound},
		{name: "audit failure", id: keyA, reached: 2, auditErr: errStore, wantKind: domain.KindInternal},
		{name: "publish failure", id: keyA, reached: 2, publishErr: errStore, wantKind: domain.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.reached > 0 {
				h.expectTenantTx(tenantA)
				h.apiKeys.EXPECT().Revoke(gomock.Any(), tt.id, testNow).Return(tt.revokeErr)
			}
			if tt.reached > 1 {
				h.changes.EXPECT().Publish(gomock.Any(), domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: tt.id}).Return(tt.publishErr)
			}
			if tt.auditErr != nil {
				h.audit.failOn, h.audit.err = domain.ActionAPIKeyRevoked, tt.auditErr
			}
			err := h.svc.RevokeAPIKey(context.Background(), adminActor, tt.id)
			wantKind(t, err, tt.wantKind)
			if err != nil {
				if h.commits != 0 {
					t.Fatalf("commits = %d, want 0", h.commits)
				}
				if tt.wantKind == domain.KindAPIKeyNotFound && tt.revokeErr == nil {
					wantDetail(t, err, "api_key_id", string(tt.id))
				}
				return
			}
			wantAudit(t, h, auditRecord{actor: adminActor, action: domain.ActionAPIKeyRevoked, target: "api_key:" + string(keyA),
				details: map[string]any{"id": string(keyA)}})
		})
	}
}

func TestCreateAPIKeyStoresExpiryInUTC(t *testing.T) {
	far := time.FixedZone("+23:59", 23*3600+59*60)
	expires := testNow.Add(48 * time.Hour).In(far).Add(123 * time.Nanosecond)
	h := newHarness(t)
	h.expectTenantTx(tenantA)
	var stored domain.APIKey
	h.apiKeys.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, k domain.APIKey) error {
		stored = k
		return nil
	})
	if _, err := h.svc.CreateAPIKey(context.Background(), adminActor, APIKeyInput{Name: "far", ExpiresAt: &expires}); err != nil {
		t.Fatal(err)
	}
	want := expires.UTC().Truncate(time.Microsecond)
	if stored.ExpiresAt == nil || stored.ExpiresAt.Location() != time.UTC || !stored.ExpiresAt.Equal(want) {
		t.Fatalf("stored expiry %v, want %v in UTC", stored.ExpiresAt, want)
	}
}
