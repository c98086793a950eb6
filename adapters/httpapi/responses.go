package httpapi

import (
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
)

// The answers of the API, as the contract (api/openapi.json) shapes them.
// The core's types carry no wire format: each handler maps what the core
// returns to one of these. encoding/json writes struct fields in declaration
// order and map keys sorted, so the field order here is the wire's order.

// environmentView is an environment.
type environmentView struct {
	Name     string `json:"name"`
	Position int    `json:"position"`
}

// environmentList is the answer of GET /environments.
type environmentList struct {
	Environments []environmentView `json:"environments"`
}

// viewEnvironment maps an environment to its answer.
func viewEnvironment(e domain.Environment) environmentView {
	return environmentView{Name: e.Name, Position: e.Position}
}

// viewEnvironments maps a list of environments; none gives [].
func viewEnvironments(envs []domain.Environment) environmentList {
	views := viewAll(envs, viewEnvironment)
	return environmentList{Environments: views}
}

// assetView is an asset.
type assetView struct {
	ID          domain.AssetID `json:"id"`
	Slug        string         `json:"slug"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// assetDetailView is an asset with its current version per environment.
type assetDetailView struct {
	assetView
	Versions map[string]int `json:"versions"`
}

// assetList is one page of GET /assets.
type assetList struct {
	Assets     []assetView `json:"assets"`
	NextCursor *string     `json:"next_cursor"`
}

// viewAsset maps an asset to its answer.
func viewAsset(a domain.Asset) assetView {
	return assetView{ID: a.ID, Slug: a.Slug, Name: a.Name, Description: a.Description, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

// viewAssetDetail maps an asset with its versions; no versions give {}.
func viewAssetDetail(d catalog.AssetDetail) assetDetailView {
	versions := d.Versions
	if versions == nil {
		versions = map[string]int{}
	}
	return assetDetailView{assetView: viewAsset(d.Asset), Versions: versions}
}

// viewAssets maps one page of assets; none gives [] and the end of the
// listing a null cursor.
func viewAssets(assets []domain.Asset, cursor string) assetList {
	views := viewAll(assets, viewAsset)
	return assetList{Assets: views, NextCursor: nextCursor(cursor)}
}

// valueView is a value as shown to users: no value for a secret.
type valueView struct {
	Value  json.RawMessage `json:"value,omitempty"`
	Secret bool            `json:"secret"`
}

// environmentValuesView is an environment's values at one version.
type environmentValuesView struct {
	Asset       string                          `json:"asset"`
	Environment string                          `json:"environment"`
	Version     int                             `json:"version"`
	Values      map[string]map[string]valueView `json:"values"`
}

// viewValues maps an environment's values; none give {}.
func viewValues(v catalog.EnvironmentValues) environmentValuesView {
	values := make(map[string]map[string]valueView, len(v.Values))
	for obj, keys := range v.Values {
		if keys == nil {
			values[obj] = nil
			continue
		}
		m := make(map[string]valueView, len(keys))
		for key, val := range keys {
			m[key] = valueView{Value: val.Value, Secret: val.Secret}
		}
		values[obj] = m
	}
	return environmentValuesView{Asset: v.Asset, Environment: v.Environment, Version: v.Version, Values: values}
}

// versionView describes one version without its values.
type versionView struct {
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Message   string    `json:"message"`
	Source    string    `json:"source"`
}

// versionList is the answer of GET /assets/{slug}/versions.
type versionList struct {
	Versions []versionView `json:"versions"`
}

// viewVersion maps a version's description.
func viewVersion(v catalog.VersionInfo) versionView {
	return versionView{Version: v.Version, CreatedAt: v.CreatedAt, CreatedBy: v.CreatedBy, Message: v.Message, Source: v.Source}
}

// diffView is the difference a promotion makes, as "object.key" paths.
type diffView struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

// viewDiff maps a diff; every missing list gives [].
func viewDiff(d domain.Diff) diffView {
	return diffView{Added: nonNil(d.Added), Changed: nonNil(d.Changed), Removed: nonNil(d.Removed)}
}

// nonNil makes a missing list answer [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// promoteView is the answer of POST /assets/{slug}/promote: version is null
// on a dry run.
type promoteView struct {
	From    string   `json:"from"`
	To      string   `json:"to"`
	DryRun  bool     `json:"dry_run"`
	Version *int     `json:"version"`
	Diff    diffView `json:"diff"`
}

// viewPromotion maps a promotion's result.
func viewPromotion(r catalog.PromoteResult) promoteView {
	return promoteView{From: r.From, To: r.To, DryRun: r.DryRun, Version: r.Version, Diff: viewDiff(r.Diff)}
}

// rollbackView is the answer of POST /assets/{slug}/rollback.
type rollbackView struct {
	Environment  string `json:"environment"`
	Version      int    `json:"version"`
	RestoredFrom int    `json:"restored_from"`
}

// viewRollback maps a rollback's result.
func viewRollback(r catalog.RollbackResult) rollbackView {
	return rollbackView{Environment: r.Environment, Version: r.Version, RestoredFrom: r.RestoredFrom}
}

// resolvedView is the answer of GET /assets/{slug}/values.
type resolvedView struct {
	Asset       string                                `json:"asset"`
	Environment string                                `json:"environment"`
	Version     int                                   `json:"version"`
	Config      map[string]map[string]json.RawMessage `json:"config"`
}

// viewResolved maps a resolved configuration; no values give {}.
func viewResolved(r catalog.Resolved) resolvedView {
	config := r.Config
	if config == nil {
		config = map[string]map[string]json.RawMessage{}
	}
	return resolvedView{Asset: r.Asset, Environment: r.Environment, Version: r.Version, Config: config}
}

// userView is a user.
type userView struct {
	ID    domain.UserID `json:"id"`
	Email string        `json:"email"`
}

// tenantView is a tenant.
type tenantView struct {
	ID   domain.TenantID `json:"id"`
	Slug string          `json:"slug"`
	Name string          `json:"name"`
}

// viewUser maps a user's public view.
func viewUser(u domain.UserRef) userView { return userView{ID: u.ID, Email: u.Email} }

// viewTenant maps a tenant's public view.
func viewTenant(t domain.TenantRef) tenantView {
	return tenantView{ID: t.ID, Slug: t.Slug, Name: t.Name}
}

// registrationView is the answer of POST /auth/register.
type registrationView struct {
	Token     string     `json:"token"`
	ExpiresAt time.Time  `json:"expires_at"`
	User      userView   `json:"user"`
	Tenant    tenantView `json:"tenant"`
}

// viewRegistration maps a registration.
func viewRegistration(r identity.Registration) registrationView {
	return registrationView{Token: r.Token, ExpiresAt: r.ExpiresAt, User: viewUser(r.User), Tenant: viewTenant(r.Tenant)}
}

// tokenView is the answer of POST /auth/login.
type tokenView struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// viewToken maps an issued token.
func viewToken(t identity.IssuedToken) tokenView {
	return tokenView{Token: t.Token, ExpiresAt: t.ExpiresAt}
}

// membershipView is one of a user's memberships.
type membershipView struct {
	Tenant tenantView  `json:"tenant"`
	Role   domain.Role `json:"role"`
}

// meView is the answer of GET /me.
type meView struct {
	User        userView         `json:"user"`
	Memberships []membershipView `json:"memberships"`
}

// viewMe maps a user with their memberships; none give [].
func viewMe(me identity.Me) meView {
	memberships := make([]membershipView, len(me.Memberships))
	for i, m := range me.Memberships {
		memberships[i] = membershipView{Tenant: viewTenant(m.Tenant), Role: m.Role}
	}
	return meView{User: viewUser(me.User), Memberships: memberships}
}

// memberView is a member of the tenant.
type memberView struct {
	User userView    `json:"user"`
	Role domain.Role `json:"role"`
}

// memberList is the answer of GET /members.
type memberList struct {
	Members []memberView `json:"members"`
}

// viewMember maps a member.
func viewMember(m domain.Member) memberView { return memberView{User: viewUser(m.User), Role: m.Role} }

// viewMembers maps the tenant's members; none give [].
func viewMembers(members []domain.Member) memberList {
	views := viewAll(members, viewMember)
	return memberList{Members: views}
}

// apiKeyView is an API key as listed: never its digest or key text.
type apiKeyView struct {
	ID          domain.APIKeyID `json:"id"`
	Name        string          `json:"name"`
	Prefix      string          `json:"prefix"`
	Environment *string         `json:"environment"`
	ExpiresAt   *time.Time      `json:"expires_at"`
	CreatedAt   time.Time       `json:"created_at"`
	RevokedAt   *time.Time      `json:"revoked_at"`
}

// apiKeyList is the answer of GET /api-keys.
type apiKeyList struct {
	APIKeys []apiKeyView `json:"api_keys"`
}

// viewAPIKeys maps the tenant's API keys; none give [].
func viewAPIKeys(keys []domain.APIKey) apiKeyList {
	views := make([]apiKeyView, len(keys))
	for i, k := range keys {
		views[i] = apiKeyView{
			ID:          k.ID,
			Name:        k.Name,
			Prefix:      k.Prefix,
			Environment: optionalString(k.Environment),
			ExpiresAt:   k.ExpiresAt,
			CreatedAt:   k.CreatedAt,
			RevokedAt:   k.RevokedAt,
		}
	}
	return apiKeyList{APIKeys: views}
}

// apiKeyCreated is the answer of POST /api-keys: the only time the key text
// is shown.
type apiKeyCreated struct {
	ID          domain.APIKeyID `json:"id"`
	Name        string          `json:"name"`
	Key         string          `json:"key"`
	Prefix      string          `json:"prefix"`
	Environment *string         `json:"environment"`
	ExpiresAt   *time.Time      `json:"expires_at"`
}

// viewCreatedAPIKey maps a new API key with its text.
func viewCreatedAPIKey(k identity.CreatedAPIKey) apiKeyCreated {
	return apiKeyCreated{
		ID:          k.ID,
		Name:        k.Name,
		Key:         k.Key,
		Prefix:      k.Prefix,
		Environment: optionalString(k.Environment),
		ExpiresAt:   k.ExpiresAt,
	}
}

// optionalString is nil for "", so that JSON shows null.
func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// auditPage is one page of GET /audit.
type auditPage struct {
	Entries    []AuditEntryView `json:"entries"`
	NextCursor *string          `json:"next_cursor"`
}

// AuditEntryView is an audit entry as GET /audit writes it, created_at
// exactly as hashed, so that a client knowing its tenant's ID (GET /me) can
// recompute the chain on its own (see core/audit); `configmat audit
// verify --entries` reads it back (Entry).
type AuditEntryView struct {
	Seq          int64           `json:"seq"`
	Action       string          `json:"action"`
	Actor        string          `json:"actor"`
	Target       string          `json:"target"`
	Details      json.RawMessage `json:"details"`
	CreatedAt    string          `json:"created_at"`
	PreviousHash string          `json:"previous_hash"`
	Hash         string          `json:"hash"`
}

// emptyDetails is the details of an audit entry that recorded none.
var emptyDetails = json.RawMessage(`{}`)

// viewAuditEntry maps an audit entry.
func viewAuditEntry(e domain.AuditEntry) AuditEntryView {
	details := e.Details
	if len(details) == 0 {
		details = emptyDetails
	}
	return AuditEntryView{
		Seq: e.Seq, Action: e.Action, Actor: e.Actor, Target: e.Target, Details: details,
		CreatedAt: e.CreatedAt.UTC().Format(audit.CreatedAtLayout), PreviousHash: e.PreviousHash, Hash: e.Hash,
	}
}

// Entry is the audit entry v shows, without its tenant (which the view does
// not carry); a VALIDATION_ERROR when created_at is not an RFC 3339 time.
func (v AuditEntryView) Entry() (domain.AuditEntry, error) {
	at, err := time.Parse(time.RFC3339Nano, v.CreatedAt)
	if err != nil {
		return domain.AuditEntry{}, domain.Errorf(domain.KindInvalid, "entry %d: created_at is not an RFC 3339 time", v.Seq)
	}
	return domain.AuditEntry{
		Seq: v.Seq, Action: v.Action, Actor: v.Actor, Target: v.Target, Details: v.Details,
		CreatedAt: at, PreviousHash: v.PreviousHash, Hash: v.Hash,
	}, nil
}

// viewAuditPage maps one page of the audit chain; none gives [] and the end
// of the chain a null cursor.
func viewAuditPage(entries []domain.AuditEntry, cursor string) auditPage {
	views := viewAll(entries, viewAuditEntry)
	return auditPage{Entries: views, NextCursor: nextCursor(cursor)}
}

// auditVerifyValid is the answer of GET /audit/verify for an intact chain.
type auditVerifyValid struct {
	Valid    bool   `json:"valid"`
	Entries  int64  `json:"entries"`
	HeadHash string `json:"head_hash"`
}

// auditVerifyInvalid is the answer of GET /audit/verify for a broken chain.
type auditVerifyInvalid struct {
	Valid           bool   `json:"valid"`
	Entries         int64  `json:"entries"`
	FirstInvalidSeq int64  `json:"first_invalid_seq"`
	Reason          string `json:"reason"`
}

// viewVerification maps a walk of the chain: an intact one names its head
// (the genesis hash when empty), a broken one its first invalid entry.
func viewVerification(v audit.Verification) any {
	if !v.Valid {
		return auditVerifyInvalid{Valid: false, Entries: v.Entries, FirstInvalidSeq: v.FirstInvalidSeq, Reason: v.Reason}
	}
	head := v.HeadHash
	if head == "" {
		head = domain.GenesisHash
	}
	return auditVerifyValid{Valid: true, Entries: v.Entries, HeadHash: head}
}

// viewAll maps every element of a list with view; none gives an empty list,
// which encodes as [].
func viewAll[T, V any](list []T, view func(T) V) []V {
	views := make([]V, len(list))
	for i, x := range list {
		views[i] = view(x)
	}
	return views
}

// schemaView is the answer of GET and PUT /assets/{slug}/schema.
type schemaView struct {
	Asset     string          `json:"asset"`
	Schema    json.RawMessage `json:"schema"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// viewSchema maps an asset's schema.
func viewSchema(s catalog.AssetSchema) schemaView {
	return schemaView{Asset: s.Asset, Schema: s.Schema, UpdatedAt: s.UpdatedAt}
}

// comparisonView is the answer of GET /assets/{slug}/compare.
type comparisonView struct {
	Asset        string            `json:"asset"`
	Environments []string          `json:"environments"`
	Keys         []comparedKeyView `json:"keys"`
}

// comparedKeyView is one key across environments: an equality class per
// environment, null where it is missing.
type comparedKeyView struct {
	Key    string          `json:"key"`
	Secret bool            `json:"secret"`
	Values map[string]*int `json:"values"`
}

// viewComparison maps a comparison; no keys give [].
func viewComparison(c catalog.Comparison) comparisonView {
	keys := viewAll(c.Keys, func(k catalog.ComparedKey) comparedKeyView {
		return comparedKeyView{Key: k.Key, Secret: k.Secret, Values: k.Values}
	})
	envs := c.Environments
	if envs == nil {
		envs = []string{}
	}
	return comparisonView{Asset: c.Asset, Environments: envs, Keys: keys}
}

// checkpointView is the answer of GET /audit/checkpoint.
type checkpointView struct {
	Size        int64  `json:"size"`
	RootHash    string `json:"root_hash"`
	Checkpoint  string `json:"checkpoint"`
	VerifierKey string `json:"verifier_key"`
}

// viewCheckpoint maps a signed checkpoint and the key that checks it.
func viewCheckpoint(cp audit.Checkpoint, verifierKey string) checkpointView {
	return checkpointView{Size: cp.Size, RootHash: hex.EncodeToString(cp.RootHash), Checkpoint: cp.Note, VerifierKey: verifierKey}
}

// inclusionView is the answer of GET /audit/proof/inclusion.
type inclusionView struct {
	Seq      int64    `json:"seq"`
	Size     int64    `json:"size"`
	LeafHash string   `json:"leaf_hash"`
	Proof    []string `json:"proof"`
}

// consistencyView is the answer of GET /audit/proof/consistency.
type consistencyView struct {
	From  int64    `json:"from"`
	To    int64    `json:"to"`
	Proof []string `json:"proof"`
}

// hexAll writes hashes in lower-case hex; none gives [].
func hexAll(hashes [][]byte) []string {
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = hex.EncodeToString(h)
	}
	return out
}

// readsView is the answer of GET /audit/reads.
type readsView struct {
	Reads []readView `json:"reads"`
}

// readView is one actor's reads of one asset and environment in one hour.
type readView struct {
	Actor       string    `json:"actor"`
	Asset       string    `json:"asset"`
	Environment string    `json:"environment"`
	Hour        time.Time `json:"hour"`
	Count       int64     `json:"count"`
	WithSecrets bool      `json:"with_secrets"`
}

// viewRead maps a read count.
func viewRead(c domain.ReadCount) readView {
	return readView{Actor: c.Actor, Asset: c.Asset, Environment: c.Environment, Hour: c.Hour.UTC(), Count: c.Count, WithSecrets: c.WithSecrets}
}
