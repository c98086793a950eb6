package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
	"github.com/configmat/configmat/ports"
)

// Credentials and actors the fake identity knows.
const (
	userToken     = "cmt_user"
	lonelyToken   = "cmt_lonely"
	apiKeyText    = "cmk_key"
	tenantSlug    = "acme"
	otherTenant   = "globex"
	tenantID      = domain.TenantID("11111111-1111-1111-1111-111111111111")
	userID        = domain.UserID("22222222-2222-2222-2222-222222222222")
	lonelyUserID  = domain.UserID("33333333-3333-3333-3333-333333333333")
	apiKeyID      = domain.APIKeyID("44444444-4444-4444-4444-444444444444")
	apiKeyEnvName = "prod"
)

var (
	ownerActor  = domain.Actor{TenantID: tenantID, UserID: userID, Role: domain.RoleOwner}
	apiKeyActor = domain.Actor{TenantID: tenantID, APIKeyID: apiKeyID, Environment: apiKeyEnvName}
)

// unexpected is what an unstubbed fake method returns: an internal error, so
// a test that reaches it sees a 500.
func unexpected(method string) error { return fmt.Errorf("unexpected call to %s", method) }

// fakeCatalog is a CatalogService whose methods are set per test.
type fakeCatalog struct {
	listEnvironments  func(domain.Actor) ([]domain.Environment, error)
	createEnvironment func(domain.Actor, string) (domain.Environment, error)
	listAssets        func(domain.Actor, domain.Page) ([]domain.Asset, string, error)
	createAsset       func(domain.Actor, catalog.AssetInput) (domain.Asset, error)
	getAsset          func(domain.Actor, string) (catalog.AssetDetail, error)
	updateAsset       func(domain.Actor, string, catalog.AssetPatch) (domain.Asset, error)
	deleteAsset       func(domain.Actor, string) error
	getValues         func(domain.Actor, string, string) (catalog.EnvironmentValues, error)
	applyChangeSet    func(domain.Actor, string, string, domain.ChangeSet) (catalog.EnvironmentValues, error)
	listVersions      func(domain.Actor, string, string, domain.Page) ([]catalog.VersionInfo, string, error)
	getVersion        func(domain.Actor, string, string, int) (catalog.EnvironmentValues, error)
	promote           func(domain.Actor, string, catalog.PromoteRequest) (catalog.PromoteResult, error)
	rollback          func(domain.Actor, string, string, int) (catalog.RollbackResult, error)
	resolve           func(domain.Actor, string, string) (catalog.Resolved, error)
	compare           func(domain.Actor, string, []string) (catalog.Comparison, error)
	getSchema         func(domain.Actor, string) (catalog.AssetSchema, error)
	putSchema         func(domain.Actor, string, json.RawMessage) (catalog.AssetSchema, error)
	deleteSchema      func(domain.Actor, string) error
}

func (f *fakeCatalog) Compare(_ context.Context, a domain.Actor, slug string, envs []string) (catalog.Comparison, error) {
	if f.compare == nil {
		return catalog.Comparison{}, unexpected("Compare")
	}
	return f.compare(a, slug, envs)
}

func (f *fakeCatalog) GetSchema(_ context.Context, a domain.Actor, slug string) (catalog.AssetSchema, error) {
	if f.getSchema == nil {
		return catalog.AssetSchema{}, unexpected("GetSchema")
	}
	return f.getSchema(a, slug)
}

func (f *fakeCatalog) PutSchema(_ context.Context, a domain.Actor, slug string, doc json.RawMessage) (catalog.AssetSchema, error) {
	if f.putSchema == nil {
		return catalog.AssetSchema{}, unexpected("PutSchema")
	}
	return f.putSchema(a, slug, doc)
}

func (f *fakeCatalog) DeleteSchema(_ context.Context, a domain.Actor, slug string) error {
	if f.deleteSchema == nil {
		return unexpected("DeleteSchema")
	}
	return f.deleteSchema(a, slug)
}

func (f *fakeCatalog) ListEnvironments(_ context.Context, a domain.Actor) ([]domain.Environment, error) {
	if f.listEnvironments == nil {
		return nil, unexpected("ListEnvironments")
	}
	return f.listEnvironments(a)
}

func (f *fakeCatalog) CreateEnvironment(_ context.Context, a domain.Actor, name string) (domain.Environment, error) {
	if f.createEnvironment == nil {
		return domain.Environment{}, unexpected("CreateEnvironment")
	}
	return f.createEnvironment(a, name)
}

func (f *fakeCatalog) ListAssets(_ context.Context, a domain.Actor, p domain.Page) ([]domain.Asset, string, error) {
	if f.listAssets == nil {
		return nil, "", unexpected("ListAssets")
	}
	return f.listAssets(a, p)
}

func (f *fakeCatalog) CreateAsset(_ context.Context, a domain.Actor, in catalog.AssetInput) (domain.Asset, error) {
	if f.createAsset == nil {
		return domain.Asset{}, unexpected("CreateAsset")
	}
	return f.createAsset(a, in)
}

func (f *fakeCatalog) GetAsset(_ context.Context, a domain.Actor, slug string) (catalog.AssetDetail, error) {
	if f.getAsset == nil {
		return catalog.AssetDetail{}, unexpected("GetAsset")
	}
	return f.getAsset(a, slug)
}

func (f *fakeCatalog) UpdateAsset(_ context.Context, a domain.Actor, slug string, p catalog.AssetPatch) (domain.Asset, error) {
	if f.updateAsset == nil {
		return domain.Asset{}, unexpected("UpdateAsset")
	}
	return f.updateAsset(a, slug, p)
}

func (f *fakeCatalog) DeleteAsset(_ context.Context, a domain.Actor, slug string) error {
	if f.deleteAsset == nil {
		return unexpected("DeleteAsset")
	}
	return f.deleteAsset(a, slug)
}

func (f *fakeCatalog) GetValues(_ context.Context, a domain.Actor, slug, env string) (catalog.EnvironmentValues, error) {
	if f.getValues == nil {
		return catalog.EnvironmentValues{}, unexpected("GetValues")
	}
	return f.getValues(a, slug, env)
}

func (f *fakeCatalog) ApplyChangeSet(_ context.Context, a domain.Actor, slug, env string, cs domain.ChangeSet) (catalog.EnvironmentValues, error) {
	if f.applyChangeSet == nil {
		return catalog.EnvironmentValues{}, unexpected("ApplyChangeSet")
	}
	return f.applyChangeSet(a, slug, env, cs)
}

func (f *fakeCatalog) ListVersions(_ context.Context, a domain.Actor, slug, env string, p domain.Page) ([]catalog.VersionInfo, string, error) {
	if f.listVersions == nil {
		return nil, "", unexpected("ListVersions")
	}
	return f.listVersions(a, slug, env, p)
}

func (f *fakeCatalog) GetVersion(_ context.Context, a domain.Actor, slug, env string, n int) (catalog.EnvironmentValues, error) {
	if f.getVersion == nil {
		return catalog.EnvironmentValues{}, unexpected("GetVersion")
	}
	return f.getVersion(a, slug, env, n)
}

func (f *fakeCatalog) Promote(_ context.Context, a domain.Actor, slug string, req catalog.PromoteRequest) (catalog.PromoteResult, error) {
	if f.promote == nil {
		return catalog.PromoteResult{}, unexpected("Promote")
	}
	return f.promote(a, slug, req)
}

func (f *fakeCatalog) Rollback(_ context.Context, a domain.Actor, slug, env string, v int) (catalog.RollbackResult, error) {
	if f.rollback == nil {
		return catalog.RollbackResult{}, unexpected("Rollback")
	}
	return f.rollback(a, slug, env, v)
}

func (f *fakeCatalog) Resolve(_ context.Context, a domain.Actor, slug, env string) (catalog.Resolved, error) {
	if f.resolve == nil {
		return catalog.Resolved{}, unexpected("Resolve")
	}
	return f.resolve(a, slug, env)
}

// fakeIdentity is an IdentityService that authenticates the test credentials
// and whose other methods are set per test.
type fakeIdentity struct {
	register     func(identity.RegisterInput) (identity.Registration, error)
	login        func(email, password string) (identity.IssuedToken, error)
	me           func(domain.Actor) (identity.Me, error)
	listMembers  func(domain.Actor) ([]domain.Member, error)
	addMember    func(domain.Actor, string, domain.Role) (domain.Member, error)
	updateMember func(domain.Actor, domain.UserID, domain.Role) (domain.Member, error)
	removeMember func(domain.Actor, domain.UserID) error
	listAPIKeys  func(domain.Actor) ([]domain.APIKey, error)
	createAPIKey func(domain.Actor, identity.APIKeyInput) (identity.CreatedAPIKey, error)
	revokeAPIKey func(domain.Actor, domain.APIKeyID) error
	// authErr, when set, is returned by both Authenticate methods.
	authErr error

	mu          sync.Mutex
	tenantSlugs []string
}

func (f *fakeIdentity) AuthenticateToken(_ context.Context, token, slug string) (domain.Actor, error) {
	f.mu.Lock()
	f.tenantSlugs = append(f.tenantSlugs, slug)
	f.mu.Unlock()
	if f.authErr != nil {
		return domain.Actor{}, f.authErr
	}
	switch {
	case token == userToken && (slug == "" || slug == tenantSlug):
		return ownerActor, nil
	case token == userToken:
		return domain.Actor{}, domain.Errorf(domain.KindTenantNotFound, "The tenant does not exist.")
	case token == lonelyToken && slug == "":
		return domain.Actor{UserID: lonelyUserID}, nil
	case token == lonelyToken:
		return domain.Actor{}, domain.Errorf(domain.KindTenantNotFound, "The tenant does not exist.")
	}
	return domain.Actor{}, domain.Errorf(domain.KindInvalidToken, "The token is invalid.")
}

func (f *fakeIdentity) AuthenticateAPIKey(_ context.Context, key string) (domain.Actor, error) {
	if f.authErr != nil {
		return domain.Actor{}, f.authErr
	}
	if key == apiKeyText {
		return apiKeyActor, nil
	}
	return domain.Actor{}, domain.Errorf(domain.KindInvalidAPIKey, "The API key is invalid.")
}

// lastTenantSlug is the X-Tenant value of the last token authentication.
func (f *fakeIdentity) lastTenantSlug() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.tenantSlugs) == 0 {
		return "<none>"
	}
	return f.tenantSlugs[len(f.tenantSlugs)-1]
}

func (f *fakeIdentity) Register(_ context.Context, in identity.RegisterInput) (identity.Registration, error) {
	if f.register == nil {
		return identity.Registration{}, unexpected("Register")
	}
	return f.register(in)
}

func (f *fakeIdentity) Login(_ context.Context, email, password string) (identity.IssuedToken, error) {
	if f.login == nil {
		return identity.IssuedToken{}, unexpected("Login")
	}
	return f.login(email, password)
}

func (f *fakeIdentity) Me(_ context.Context, a domain.Actor) (identity.Me, error) {
	if f.me == nil {
		return identity.Me{}, unexpected("Me")
	}
	return f.me(a)
}

func (f *fakeIdentity) ListMembers(_ context.Context, a domain.Actor) ([]domain.Member, error) {
	if f.listMembers == nil {
		return nil, unexpected("ListMembers")
	}
	return f.listMembers(a)
}

func (f *fakeIdentity) AddMember(_ context.Context, a domain.Actor, email string, role domain.Role) (domain.Member, error) {
	if f.addMember == nil {
		return domain.Member{}, unexpected("AddMember")
	}
	return f.addMember(a, email, role)
}

func (f *fakeIdentity) UpdateMember(_ context.Context, a domain.Actor, u domain.UserID, role domain.Role) (domain.Member, error) {
	if f.updateMember == nil {
		return domain.Member{}, unexpected("UpdateMember")
	}
	return f.updateMember(a, u, role)
}

func (f *fakeIdentity) RemoveMember(_ context.Context, a domain.Actor, u domain.UserID) error {
	if f.removeMember == nil {
		return unexpected("RemoveMember")
	}
	return f.removeMember(a, u)
}

func (f *fakeIdentity) ListAPIKeys(_ context.Context, a domain.Actor) ([]domain.APIKey, error) {
	if f.listAPIKeys == nil {
		return nil, unexpected("ListAPIKeys")
	}
	return f.listAPIKeys(a)
}

func (f *fakeIdentity) CreateAPIKey(_ context.Context, a domain.Actor, in identity.APIKeyInput) (identity.CreatedAPIKey, error) {
	if f.createAPIKey == nil {
		return identity.CreatedAPIKey{}, unexpected("CreateAPIKey")
	}
	return f.createAPIKey(a, in)
}

func (f *fakeIdentity) RevokeAPIKey(_ context.Context, a domain.Actor, id domain.APIKeyID) error {
	if f.revokeAPIKey == nil {
		return unexpected("RevokeAPIKey")
	}
	return f.revokeAPIKey(a, id)
}

// fakeAudit is an AuditService whose methods are set per test.
type fakeAudit struct {
	list        func(domain.Actor, int64, int) ([]domain.AuditEntry, string, error)
	verify      func(domain.Actor) (audit.Verification, error)
	checkpoint  func(domain.Actor) (audit.Checkpoint, error)
	inclusion   func(domain.Actor, int64, int64) (audit.InclusionProof, error)
	consistency func(domain.Actor, int64, int64) (audit.ConsistencyProof, error)
	reads       func(domain.Actor, domain.ReadFilter) ([]domain.ReadCount, error)
}

func (f *fakeAudit) Reads(_ context.Context, a domain.Actor, filter domain.ReadFilter) ([]domain.ReadCount, error) {
	if f.reads == nil {
		return nil, unexpected("Reads")
	}
	return f.reads(a, filter)
}

func (f *fakeAudit) Checkpoint(_ context.Context, a domain.Actor) (audit.Checkpoint, error) {
	if f.checkpoint == nil {
		return audit.Checkpoint{}, unexpected("Checkpoint")
	}
	return f.checkpoint(a)
}

func (f *fakeAudit) Inclusion(_ context.Context, a domain.Actor, seq, size int64) (audit.InclusionProof, error) {
	if f.inclusion == nil {
		return audit.InclusionProof{}, unexpected("Inclusion")
	}
	return f.inclusion(a, seq, size)
}

func (f *fakeAudit) Consistency(_ context.Context, a domain.Actor, from, to int64) (audit.ConsistencyProof, error) {
	if f.consistency == nil {
		return audit.ConsistencyProof{}, unexpected("Consistency")
	}
	return f.consistency(a, from, to)
}

func (f *fakeAudit) VerifierKey() string { return "configmat.audit+00000000+AQ" }

func (f *fakeAudit) List(_ context.Context, a domain.Actor, after int64, limit int) ([]domain.AuditEntry, string, error) {
	if f.list == nil {
		return nil, "", unexpected("List")
	}
	return f.list(a, after, limit)
}

func (f *fakeAudit) Verify(_ context.Context, a domain.Actor) (audit.Verification, error) {
	if f.verify == nil {
		return audit.Verification{}, unexpected("Verify")
	}
	return f.verify(a)
}

// takeCall is one call of the fake limiter.
type takeCall struct {
	class ports.RateClass
	key   string
}

// fakeLimiter records every Take and answers with decision or err.
type fakeLimiter struct {
	mu       sync.Mutex
	calls    []takeCall
	decision ports.RateDecision
	err      error
	// onTake, when set, runs inside every Take.
	onTake func()
}

func (l *fakeLimiter) Take(_ context.Context, class ports.RateClass, key string) (ports.RateDecision, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, takeCall{class, key})
	if l.onTake != nil {
		l.onTake()
	}
	return l.decision, l.err
}

// taken returns the calls made so far.
func (l *fakeLimiter) taken() []takeCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]takeCall(nil), l.calls...)
}
