package integration

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// errInjected is the failure a faultyTx injects.
var errInjected = errors.New("integration: injected store failure")

// faultyTx wraps a Transactor so that the failAt-th store call of its
// transactions (counted from 1, across transactions) fails with errInjected,
// and after is called once the afterWrite-th store write has succeeded.
// failAt 0 never fails: the wrapper then only counts.
type faultyTx struct {
	inner  ports.Transactor
	failAt int
	// afterWrite and onWrite, when set, run onWrite after that write.
	afterWrite int
	onWrite    func()

	mu     sync.Mutex
	calls  int
	writes int
}

// InTenant runs fn with stores that count, and fail, calls.
func (f *faultyTx) InTenant(ctx context.Context, tenant domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
	return f.inner.InTenant(ctx, tenant, func(ctx context.Context, s ports.TenantTx) error {
		return fn(ctx, faultyStores{s: s, f: f})
	})
}

// Global runs fn with global stores that count, and fail, calls.
func (f *faultyTx) Global(ctx context.Context, fn func(context.Context, ports.GlobalTx) error) error {
	return f.inner.Global(ctx, func(ctx context.Context, s ports.GlobalTx) error {
		return fn(ctx, faultyGlobal{s: s, f: f})
	})
}

// call counts one store call and returns errInjected when it is the one.
func (f *faultyTx) call() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls == f.failAt {
		return errInjected
	}
	return nil
}

// wrote counts one successful write and runs onWrite after the chosen one.
func (f *faultyTx) wrote(err error) error {
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.writes++
	hook := f.writes == f.afterWrite && f.onWrite != nil
	f.mu.Unlock()
	if hook {
		f.onWrite()
	}
	return nil
}

// count returns the number of store calls so far.
func (f *faultyTx) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// call0 runs op unless the call is the failing one.
func call0(f *faultyTx, op func() error) error {
	if err := f.call(); err != nil {
		return err
	}
	return op()
}

// call1 runs op unless the call is the failing one.
func call1[T any](f *faultyTx, op func() (T, error)) (T, error) {
	if err := f.call(); err != nil {
		var zero T
		return zero, err
	}
	return op()
}

// write runs a write op unless the call is the failing one.
func write(f *faultyTx, op func() error) error {
	if err := f.call(); err != nil {
		return err
	}
	return f.wrote(op())
}

type faultyStores struct {
	s ports.TenantTx
	f *faultyTx
}

type faultyGlobal struct {
	s ports.GlobalTx
	f *faultyTx
}

func (g faultyGlobal) Users() ports.UserStore       { return faultyUsers{g.s.Users(), g.f} }
func (g faultyGlobal) Tokens() ports.TokenStore     { return faultyTokens{g.s.Tokens(), g.f} }
func (g faultyGlobal) Directory() ports.Directory   { return faultyDirectory{g.s.Directory(), g.f} }
func (g faultyStores) Users() ports.UserStore       { return faultyUsers{g.s.Users(), g.f} }
func (g faultyStores) Tokens() ports.TokenStore     { return faultyTokens{g.s.Tokens(), g.f} }
func (g faultyStores) Directory() ports.Directory   { return faultyDirectory{g.s.Directory(), g.f} }
func (g faultyStores) Tenants() ports.TenantStore   { return faultyTenants{g.s.Tenants(), g.f} }
func (g faultyStores) Assets() ports.AssetStore     { return faultyAssets{g.s.Assets(), g.f} }
func (g faultyStores) Versions() ports.VersionStore { return faultyVersions{g.s.Versions(), g.f} }
func (g faultyStores) Members() ports.MemberStore   { return faultyMembers{g.s.Members(), g.f} }
func (g faultyStores) Schemas() ports.SchemaStore   { return faultySchemas{g.s.Schemas(), g.f} }
func (g faultyStores) APIKeys() ports.APIKeyStore   { return faultyAPIKeys{g.s.APIKeys(), g.f} }
func (g faultyStores) Audit() ports.AuditStore      { return faultyAudit{g.s.Audit(), g.f} }
func (g faultyStores) Changes() ports.ChangePublisher {
	return faultyChanges{g.s.Changes(), g.f}
}
func (g faultyStores) Environments() ports.EnvironmentStore {
	return faultyEnvironments{g.s.Environments(), g.f}
}

type faultyUsers struct {
	s ports.UserStore
	f *faultyTx
}

func (u faultyUsers) Create(ctx context.Context, x domain.User) error {
	return write(u.f, func() error { return u.s.Create(ctx, x) })
}
func (u faultyUsers) ByEmail(ctx context.Context, email string) (domain.User, error) {
	return call1(u.f, func() (domain.User, error) { return u.s.ByEmail(ctx, email) })
}
func (u faultyUsers) ByID(ctx context.Context, id domain.UserID) (domain.User, error) {
	return call1(u.f, func() (domain.User, error) { return u.s.ByID(ctx, id) })
}

type faultyTokens struct {
	s ports.TokenStore
	f *faultyTx
}

func (k faultyTokens) Create(ctx context.Context, x domain.UserToken) error {
	return write(k.f, func() error { return k.s.Create(ctx, x) })
}
func (k faultyTokens) ByDigest(ctx context.Context, d []byte) (domain.UserToken, error) {
	return call1(k.f, func() (domain.UserToken, error) { return k.s.ByDigest(ctx, d) })
}
func (k faultyTokens) Revoke(ctx context.Context, id string, at time.Time) error {
	return write(k.f, func() error { return k.s.Revoke(ctx, id, at) })
}

type faultyDirectory struct {
	s ports.Directory
	f *faultyTx
}

func (d faultyDirectory) APIKeyByDigest(ctx context.Context, digest []byte) (domain.APIKeyCredential, error) {
	return call1(d.f, func() (domain.APIKeyCredential, error) { return d.s.APIKeyByDigest(ctx, digest) })
}
func (d faultyDirectory) MembershipsOfUser(ctx context.Context, id domain.UserID) ([]domain.UserMembership, error) {
	return call1(d.f, func() ([]domain.UserMembership, error) { return d.s.MembershipsOfUser(ctx, id) })
}
func (d faultyDirectory) TenantBySlug(ctx context.Context, slug string) (domain.TenantRef, error) {
	return call1(d.f, func() (domain.TenantRef, error) { return d.s.TenantBySlug(ctx, slug) })
}
func (d faultyDirectory) AnyDataKey(ctx context.Context) (domain.TenantID, domain.WrappedKey, bool, error) {
	if err := d.f.call(); err != nil {
		return "", domain.WrappedKey{}, false, err
	}
	return d.s.AnyDataKey(ctx)
}

func (d faultyDirectory) DataKeyUses(ctx context.Context) ([]domain.DataKeyUse, error) {
	return call1(d.f, func() ([]domain.DataKeyUse, error) { return d.s.DataKeyUses(ctx) })
}
func (d faultyDirectory) TenantsNotOnKey(ctx context.Context, keyID string, limit int) ([]domain.TenantID, error) {
	return call1(d.f, func() ([]domain.TenantID, error) { return d.s.TenantsNotOnKey(ctx, keyID, limit) })
}

type faultyTenants struct {
	s ports.TenantStore
	f *faultyTx
}

func (x faultyTenants) Create(ctx context.Context, t domain.Tenant) error {
	return write(x.f, func() error { return x.s.Create(ctx, t) })
}
func (x faultyTenants) Get(ctx context.Context) (domain.Tenant, error) {
	return call1(x.f, func() (domain.Tenant, error) { return x.s.Get(ctx) })
}
func (x faultyTenants) RewrapDataKey(ctx context.Context, from, to domain.WrappedKey) error {
	return write(x.f, func() error { return x.s.RewrapDataKey(ctx, from, to) })
}

type faultyEnvironments struct {
	s ports.EnvironmentStore
	f *faultyTx
}

func (x faultyEnvironments) Create(ctx context.Context, e domain.Environment) error {
	return write(x.f, func() error { return x.s.Create(ctx, e) })
}
func (x faultyEnvironments) List(ctx context.Context) ([]domain.Environment, error) {
	return call1(x.f, func() ([]domain.Environment, error) { return x.s.List(ctx) })
}
func (x faultyEnvironments) Get(ctx context.Context, name string) (domain.Environment, error) {
	return call1(x.f, func() (domain.Environment, error) { return x.s.Get(ctx, name) })
}

type faultyAssets struct {
	s ports.AssetStore
	f *faultyTx
}

func (x faultyAssets) Create(ctx context.Context, a domain.Asset) error {
	return write(x.f, func() error { return x.s.Create(ctx, a) })
}
func (x faultyAssets) BySlug(ctx context.Context, slug string) (domain.Asset, error) {
	return call1(x.f, func() (domain.Asset, error) { return x.s.BySlug(ctx, slug) })
}
func (x faultyAssets) LockBySlug(ctx context.Context, slug string) (domain.Asset, error) {
	return call1(x.f, func() (domain.Asset, error) { return x.s.LockBySlug(ctx, slug) })
}
func (x faultyAssets) LockBySlugExclusive(ctx context.Context, slug string) (domain.Asset, error) {
	return call1(x.f, func() (domain.Asset, error) { return x.s.LockBySlugExclusive(ctx, slug) })
}
func (x faultyAssets) List(ctx context.Context, p domain.Page) ([]domain.Asset, string, error) {
	if err := x.f.call(); err != nil {
		return nil, "", err
	}
	return x.s.List(ctx, p)
}
func (x faultyAssets) Update(ctx context.Context, a domain.Asset) error {
	return write(x.f, func() error { return x.s.Update(ctx, a) })
}
func (x faultyAssets) Delete(ctx context.Context, id domain.AssetID) error {
	return write(x.f, func() error { return x.s.Delete(ctx, id) })
}
func (x faultyAssets) LockForDelete(ctx context.Context, id domain.AssetID) error {
	return write(x.f, func() error { return x.s.LockForDelete(ctx, id) })
}

type faultyVersions struct {
	s ports.VersionStore
	f *faultyTx
}

func (x faultyVersions) LockHead(ctx context.Context, a domain.AssetID, env string) (int, error) {
	return call1(x.f, func() (int, error) { return x.s.LockHead(ctx, a, env) })
}
func (x faultyVersions) LockCurrent(ctx context.Context, slug, env string) (ports.WriteTarget, error) {
	return call1(x.f, func() (ports.WriteTarget, error) { return x.s.LockCurrent(ctx, slug, env) })
}
func (x faultyVersions) Current(ctx context.Context, a domain.AssetID, env string) (domain.Version, error) {
	return call1(x.f, func() (domain.Version, error) { return x.s.Current(ctx, a, env) })
}
func (x faultyVersions) Get(ctx context.Context, a domain.AssetID, env string, n int) (domain.Version, error) {
	return call1(x.f, func() (domain.Version, error) { return x.s.Get(ctx, a, env, n) })
}
func (x faultyVersions) List(ctx context.Context, a domain.AssetID, env string, p domain.Page) ([]domain.Version, string, error) {
	if err := x.f.call(); err != nil {
		return nil, "", err
	}
	return x.s.List(ctx, a, env, p)
}
func (x faultyVersions) Create(ctx context.Context, v domain.Version) error {
	return write(x.f, func() error { return x.s.Create(ctx, v) })
}
func (x faultyVersions) Heads(ctx context.Context, a domain.AssetID) (map[string]int, error) {
	return call1(x.f, func() (map[string]int, error) { return x.s.Heads(ctx, a) })
}

func (x faultyVersions) CurrentOf(ctx context.Context, env string, slugs []string) ([]domain.AssetVersion, error) {
	return call1(x.f, func() ([]domain.AssetVersion, error) { return x.s.CurrentOf(ctx, env, slugs) })
}
func (x faultyVersions) LockShared(ctx context.Context, env string, assets []domain.AssetID) error {
	return write(x.f, func() error { return x.s.LockShared(ctx, env, assets) })
}
func (x faultyVersions) Referencing(ctx context.Context, env, slug string) ([]domain.AssetVersion, error) {
	return call1(x.f, func() ([]domain.AssetVersion, error) { return x.s.Referencing(ctx, env, slug) })
}

type faultySchemas struct {
	s ports.SchemaStore
	f *faultyTx
}

func (x faultySchemas) Get(ctx context.Context, a domain.AssetID) (domain.AssetSchema, error) {
	return call1(x.f, func() (domain.AssetSchema, error) { return x.s.Get(ctx, a) })
}
func (x faultySchemas) GetMany(ctx context.Context, a []domain.AssetID) (map[domain.AssetID]domain.AssetSchema, error) {
	return call1(x.f, func() (map[domain.AssetID]domain.AssetSchema, error) { return x.s.GetMany(ctx, a) })
}
func (x faultySchemas) Put(ctx context.Context, sch domain.AssetSchema) error {
	return write(x.f, func() error { return x.s.Put(ctx, sch) })
}
func (x faultySchemas) Delete(ctx context.Context, a domain.AssetID) error {
	return write(x.f, func() error { return x.s.Delete(ctx, a) })
}

type faultyMembers struct {
	s ports.MemberStore
	f *faultyTx
}

func (x faultyMembers) Add(ctx context.Context, m domain.Membership) error {
	return write(x.f, func() error { return x.s.Add(ctx, m) })
}
func (x faultyMembers) Get(ctx context.Context, u domain.UserID) (domain.Membership, error) {
	return call1(x.f, func() (domain.Membership, error) { return x.s.Get(ctx, u) })
}
func (x faultyMembers) List(ctx context.Context) ([]domain.Member, error) {
	return call1(x.f, func() ([]domain.Member, error) { return x.s.List(ctx) })
}
func (x faultyMembers) SetRole(ctx context.Context, u domain.UserID, r domain.Role) error {
	return write(x.f, func() error { return x.s.SetRole(ctx, u, r) })
}
func (x faultyMembers) Remove(ctx context.Context, u domain.UserID) error {
	return write(x.f, func() error { return x.s.Remove(ctx, u) })
}
func (x faultyMembers) LockOwners(ctx context.Context) (int, error) {
	return call1(x.f, func() (int, error) { return x.s.LockOwners(ctx) })
}

type faultyAPIKeys struct {
	s ports.APIKeyStore
	f *faultyTx
}

func (x faultyAPIKeys) Create(ctx context.Context, k domain.APIKey) error {
	return write(x.f, func() error { return x.s.Create(ctx, k) })
}
func (x faultyAPIKeys) Get(ctx context.Context, id domain.APIKeyID) (domain.APIKey, error) {
	return call1(x.f, func() (domain.APIKey, error) { return x.s.Get(ctx, id) })
}
func (x faultyAPIKeys) List(ctx context.Context) ([]domain.APIKey, error) {
	return call1(x.f, func() ([]domain.APIKey, error) { return x.s.List(ctx) })
}
func (x faultyAPIKeys) Revoke(ctx context.Context, id domain.APIKeyID, at time.Time) error {
	return write(x.f, func() error { return x.s.Revoke(ctx, id, at) })
}

type faultyAudit struct {
	s ports.AuditStore
	f *faultyTx
}

func (x faultyAudit) LockHead(ctx context.Context) (int64, string, error) {
	if err := x.f.call(); err != nil {
		return 0, "", err
	}
	return x.s.LockHead(ctx)
}
func (x faultyAudit) Append(ctx context.Context, e domain.AuditEntry) error {
	return write(x.f, func() error { return x.s.Append(ctx, e) })
}
func (x faultyAudit) TryAppend(ctx context.Context, e domain.AuditEntry) (bool, error) {
	if err := x.f.call(); err != nil {
		return false, err
	}
	appended, err := x.s.TryAppend(ctx, e)
	if err != nil || !appended {
		return appended, err
	}
	return true, x.f.wrote(nil)
}
func (x faultyAudit) List(ctx context.Context, after int64, limit int) ([]domain.AuditEntry, error) {
	return call1(x.f, func() ([]domain.AuditEntry, error) { return x.s.List(ctx, after, limit) })
}

func (x faultyAudit) Checkpoint(ctx context.Context) (domain.AuditCheckpoint, error) {
	return call1(x.f, func() (domain.AuditCheckpoint, error) { return x.s.Checkpoint(ctx) })
}
func (x faultyAudit) TreeNodes(ctx context.Context, places []domain.AuditTreeNode) ([][]byte, error) {
	return call1(x.f, func() ([][]byte, error) { return x.s.TreeNodes(ctx, places) })
}
func (x faultyAudit) AddReads(ctx context.Context, counts []domain.ReadCount) error {
	return write(x.f, func() error { return x.s.AddReads(ctx, counts) })
}
func (x faultyAudit) Reads(ctx context.Context, f domain.ReadFilter) ([]domain.ReadCount, error) {
	return call1(x.f, func() ([]domain.ReadCount, error) { return x.s.Reads(ctx, f) })
}
func (x faultyAudit) SetTree(ctx context.Context, seq int64, nodes [][]byte, checkpoint string) error {
	return write(x.f, func() error { return x.s.SetTree(ctx, seq, nodes, checkpoint) })
}

type faultyChanges struct {
	s ports.ChangePublisher
	f *faultyTx
}

func (x faultyChanges) Publish(ctx context.Context, c domain.Change) error {
	return write(x.f, func() error { return x.s.Publish(ctx, c) })
}

var (
	_ ports.Transactor = (*faultyTx)(nil)
	_ ports.TenantTx   = faultyStores{}
	_ ports.GlobalTx   = faultyGlobal{}
)
