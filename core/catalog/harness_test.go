package catalog

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/mocks"
)

const (
	tenantID  domain.TenantID = "7d1c2a52-3a4e-4d4b-9d6e-0b7f8a1c2d3e"
	assetID   domain.AssetID  = "0f4b1c9e-6a2d-4e8f-8b1a-2c3d4e5f6a7b"
	assetSlug                 = "billing"
	kekHex                    = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
)

var (
	fixedNow  = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	testAsset = domain.Asset{ID: assetID, Slug: assetSlug, Name: "Billing", CreatedAt: fixedNow, UpdatedAt: fixedNow}
	owner     = domain.Actor{TenantID: tenantID, UserID: "u-owner", Role: domain.RoleOwner}
	admin     = domain.Actor{TenantID: tenantID, UserID: "u-admin", Role: domain.RoleAdmin}
	editor    = domain.Actor{TenantID: tenantID, UserID: "u-editor", Role: domain.RoleEditor}
	viewer    = domain.Actor{TenantID: tenantID, UserID: "u-viewer", Role: domain.RoleViewer}
	apiKey    = domain.Actor{TenantID: tenantID, APIKeyID: "k-1"}
)

// writeTarget is LockCurrent's answer for testAsset at cur, marked so that
// nothing is ruled out (a schema and references are looked up).
func writeTarget(cur domain.Version) ports.WriteTarget {
	return ports.WriteTarget{Asset: testAsset, Current: cur, MayHaveSchema: true, MayBeReferenced: true}
}

// fixedClock always tells the same time.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// fakeTx runs fn over the world's stores and records a commit only when fn
// succeeds, as a real Transactor would.
type fakeTx struct {
	t         testing.TB
	stores    ports.TenantTx
	calls     int
	tenant    domain.TenantID
	committed bool
	// stop, when set, is returned without running fn.
	stop error
}

func (f *fakeTx) InTenant(ctx context.Context, tenant domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
	f.calls++
	f.tenant = tenant
	if f.stop != nil {
		return f.stop
	}
	if err := fn(ctx, f.stores); err != nil {
		return err
	}
	f.committed = true
	return nil
}

func (f *fakeTx) Global(context.Context, func(context.Context, ports.GlobalTx) error) error {
	f.t.Error("the catalog must not open global transactions")
	return errors.New("unexpected global transaction")
}

// world is one tenant's stores as gomock mocks behind a fake transactor,
// with a real key manager and audit log.
type world struct {
	t        testing.TB
	ctx      context.Context
	tx       *fakeTx
	tenants  *mocks.MockTenantStore
	envs     *mocks.MockEnvironmentStore
	assets   *mocks.MockAssetStore
	versions *mocks.MockVersionStore
	schemas  *mocks.MockSchemaStore
	// schema is the asset's schema that schemas answers; none when nil.
	schema json.RawMessage
	// readFailure makes the reads of the write checks (Schemas.GetMany,
	// Versions.Referencing, Versions.CurrentOf) answer an error.
	readFailure map[string]error
	// reads counts the calls of those reads (Schemas.GetMany,
	// Versions.Referencing).
	reads   map[string]int
	audit   *mocks.MockAuditStore
	changes *mocks.MockChangePublisher
	tenant  domain.Tenant
	kek     *keys.KEK
	svc     *Service
}

func newWorld(t testing.TB) *world {
	t.Helper()
	ctrl := gomock.NewController(t)
	stores := mocks.NewMockTenantTx(ctrl)
	w := &world{
		t:        t,
		ctx:      context.Background(),
		tenants:  mocks.NewMockTenantStore(ctrl),
		envs:     mocks.NewMockEnvironmentStore(ctrl),
		assets:   mocks.NewMockAssetStore(ctrl),
		versions: mocks.NewMockVersionStore(ctrl),
		schemas:  mocks.NewMockSchemaStore(ctrl),

		readFailure: map[string]error{},
		reads:       map[string]int{},
		audit:       mocks.NewMockAuditStore(ctrl),
		changes:     mocks.NewMockChangePublisher(ctrl),
	}
	stores.EXPECT().Tenants().Return(w.tenants).AnyTimes()
	stores.EXPECT().Environments().Return(w.envs).AnyTimes()
	stores.EXPECT().Assets().Return(w.assets).AnyTimes()
	stores.EXPECT().Versions().Return(w.versions).AnyTimes()
	stores.EXPECT().Audit().Return(w.audit).AnyTimes()
	stores.EXPECT().Schemas().Return(w.schemas).AnyTimes()
	w.schemas.EXPECT().Get(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, id domain.AssetID) (domain.AssetSchema, error) {
		if w.schema == nil {
			return domain.AssetSchema{}, domain.StoreError(domain.KindSchemaNotFound)
		}
		return domain.AssetSchema{AssetID: id, Schema: w.schema, UpdatedAt: fixedNow}, nil
	}).AnyTimes()
	w.schemas.EXPECT().GetMany(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, ids []domain.AssetID) (map[domain.AssetID]domain.AssetSchema, error) {
		w.reads["Schemas.GetMany"]++
		if err := w.readFailure["Schemas.GetMany"]; err != nil {
			return nil, err
		}
		out := map[domain.AssetID]domain.AssetSchema{}
		for _, id := range ids {
			if w.schema != nil {
				out[id] = domain.AssetSchema{AssetID: id, Schema: w.schema, UpdatedAt: fixedNow}
			}
		}
		return out, nil
	}).AnyTimes()
	// No other asset references this one, nor does it reference another.
	w.versions.EXPECT().Referencing(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, string, string) ([]domain.AssetVersion, error) {
		w.reads["Versions.Referencing"]++
		return []domain.AssetVersion{}, w.readFailure["Versions.Referencing"]
	}).AnyTimes()
	w.versions.EXPECT().LockShared(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, string, []domain.AssetID) error {
		return w.readFailure["Versions.LockShared"]
	}).AnyTimes()
	w.versions.EXPECT().CurrentOf(gomock.Any(), gomock.Any(), gomock.Any()).DoAndReturn(func(context.Context, string, []string) ([]domain.AssetVersion, error) {
		return []domain.AssetVersion{}, w.readFailure["Versions.CurrentOf"]
	}).AnyTimes()
	stores.EXPECT().Changes().Return(w.changes).AnyTimes()
	w.tx = &fakeTx{t: t, stores: stores}
	kek, err := keys.ParseKEK(kekHex)
	if err != nil {
		t.Fatalf("ParseKEK: %v", err)
	}
	w.kek = kek
	clock := fixedClock{t: fixedNow}
	manager := keys.NewManager(keys.Deps{KEK: kek, Random: rand.Reader})
	wrapped, err := manager.NewTenantKey(tenantID)
	if err != nil {
		t.Fatalf("NewTenantKey: %v", err)
	}
	w.tenant = domain.Tenant{ID: tenantID, Slug: "acme", Name: "Acme", DataKey: wrapped}
	w.svc = New(Deps{Tx: w.tx, Clock: clock, Random: rand.Reader, Keys: manager, Audit: audit.NewLog(audit.Deps{Clock: clock})})
	return w
}

// fixedTenant serves only the tenant row, for sealing fixtures outside the
// mocks' accounting.
type fixedTenant struct{ tenant domain.Tenant }

func (f fixedTenant) Create(context.Context, domain.Tenant) error { return errors.New("read only") }
func (f fixedTenant) Get(context.Context) (domain.Tenant, error)  { return f.tenant, nil }
func (f fixedTenant) RewrapDataKey(context.Context, domain.WrappedKey, domain.WrappedKey) error {
	return errors.New("read only")
}

// sealer returns a key manager of its own over the world's tenant key, and
// the tenant store to pass it, for building and checking sealed fixtures.
func (w *world) sealer() (*keys.Manager, ports.TenantStore) {
	return keys.NewManager(keys.Deps{KEK: w.kek, Random: rand.Reader}), fixedTenant{tenant: w.tenant}
}

// sealed returns a secret stored for env.object.key of the test asset.
func (w *world) sealed(env, object, key, plaintext string) domain.StoredValue {
	w.t.Helper()
	m, st := w.sealer()
	aad := keys.SecretAAD{TenantID: tenantID, AssetID: assetID, Environment: env, Object: object, Key: key}
	b, err := m.Seal(w.ctx, st, aad, []byte(plaintext))
	if err != nil {
		w.t.Fatalf("sealing fixture: %v", err)
	}
	return domain.StoredValue{Secret: true, Sealed: b}
}

// opened decrypts a stored secret of env.object.key of the test asset.
func (w *world) opened(env, object, key string, v domain.StoredValue) (string, error) {
	m, st := w.sealer()
	aad := keys.SecretAAD{TenantID: tenantID, AssetID: assetID, Environment: env, Object: object, Key: key}
	b, err := m.Open(w.ctx, st, aad, v.Sealed)
	return string(b), err
}

// plain returns a non-secret stored value.
func plain(jsonText string) domain.StoredValue {
	return domain.StoredValue{Value: json.RawMessage(jsonText)}
}

// version returns a current version of the test asset.
func version(env string, n int, snap domain.Snapshot) domain.Version {
	return domain.Version{TenantID: tenantID, AssetID: assetID, Environment: env, Number: n, Snapshot: snap}
}

// expectAudit expects one audit entry and returns where it will be captured.
func (w *world) expectAudit() *domain.AuditEntry {
	entry := &domain.AuditEntry{}
	w.audit.EXPECT().LockHead(gomock.Any()).Return(int64(41), "ab", nil)
	w.audit.EXPECT().Append(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, e domain.AuditEntry) error {
		*entry = e
		return nil
	})
	return entry
}

// expectTenantKey expects the key manager to read the tenant's data key once.
func (w *world) expectTenantKey() {
	w.tenants.EXPECT().Get(gomock.Any()).Return(w.tenant, nil)
}

// assertCommitted checks that exactly one transaction of the tenant ran and
// whether it committed.
func (w *world) assertCommitted(want bool) {
	w.t.Helper()
	if w.tx.calls != 1 || w.tx.tenant != tenantID {
		w.t.Fatalf("transactions = %d for tenant %q, want 1 for %q", w.tx.calls, w.tx.tenant, tenantID)
	}
	if w.tx.committed != want {
		w.t.Fatalf("committed = %v, want %v", w.tx.committed, want)
	}
}

// assertKind checks an error's kind.
func assertKind(t *testing.T, err error, want domain.Kind) *domain.Error {
	t.Helper()
	if got := domain.KindOf(err); got != want {
		t.Fatalf("error kind = %q (%v), want %q", got, err, want)
	}
	var de *domain.Error
	errors.As(err, &de)
	return de
}

// fieldsOf returns the bad fields named by a VALIDATION_ERROR.
func fieldsOf(t *testing.T, err error) map[string]any {
	t.Helper()
	de := assertKind(t, err, domain.KindInvalid)
	fields, ok := de.Details["fields"].(map[string]any)
	if !ok {
		t.Fatalf("validation error without fields: %#v", de.Details)
	}
	return fields
}

func intp(n int) *int { return &n }
