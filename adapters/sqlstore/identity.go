package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/configmat/configmat/core/domain"
)

// userStore holds users; users are global (no tenant, no row-level security).
type userStore struct{ t *txn }

type userRow struct {
	ID           string `db:"id"`
	Email        string `db:"email"`
	PasswordHash string `db:"password_hash"`
	CreatedAt    dbTime `db:"created_at"`
}

func (r userRow) user() domain.User {
	return domain.User{ID: domain.UserID(r.ID), Email: r.Email, PasswordHash: r.PasswordHash, CreatedAt: r.CreatedAt.Time}
}

const selectUser = `SELECT id, email, password_hash, created_at FROM users WHERE `

// Create inserts a user; EMAIL_ALREADY_REGISTERED when the email is taken in
// any letter case.
func (s userStore) Create(ctx context.Context, u domain.User) error {
	id, err := requireUUID("user_id", string(u.ID))
	if err != nil {
		return err
	}
	_, err = s.t.exec(ctx, `INSERT INTO users (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)`,
		id, u.Email, u.PasswordHash, stamp(u.CreatedAt))
	return s.t.fail(err, "could not create the user")
}

// ByEmail finds a user by email, ignoring letter case; USER_NOT_FOUND.
func (s userStore) ByEmail(ctx context.Context, email string) (domain.User, error) {
	return fetch(ctx, s.t, domain.KindUserNotFound, "could not read the user", userRow.user, selectUser+`lower(email) = lower(?)`, email)
}

// ByID finds a user; USER_NOT_FOUND.
func (s userStore) ByID(ctx context.Context, id domain.UserID) (domain.User, error) {
	canonical, ok := CanonicalUUID(string(id))
	if !ok {
		return domain.User{}, domain.StoreError(domain.KindUserNotFound)
	}
	return fetch(ctx, s.t, domain.KindUserNotFound, "could not read the user", userRow.user, selectUser+`id = ?`, canonical)
}

// tokenStore holds user tokens by digest; tokens are global.
type tokenStore struct{ t *txn }

type tokenRow struct {
	ID        string           `db:"id"`
	UserID    string           `db:"user_id"`
	Digest    []byte           `db:"digest"`
	ExpiresAt dbTime           `db:"expires_at"`
	RevokedAt sql.Null[dbTime] `db:"revoked_at"`
	CreatedAt dbTime           `db:"created_at"`
}

func (r tokenRow) token() domain.UserToken {
	return domain.UserToken{
		ID: r.ID, UserID: domain.UserID(r.UserID), Digest: r.Digest,
		ExpiresAt: r.ExpiresAt.Time, RevokedAt: orNil(r.RevokedAt), CreatedAt: r.CreatedAt.Time,
	}
}

// Create inserts a token; USER_NOT_FOUND when its user does not exist.
func (s tokenStore) Create(ctx context.Context, tok domain.UserToken) error {
	user, err := requireUUID("user_id", string(tok.UserID))
	if err != nil {
		return err
	}
	return s.t.insertUnder(ctx, "could not create the token",
		`INSERT INTO user_tokens (id, user_id, digest, expires_at, revoked_at, created_at) SELECT ?, ?, ?, ?, ?, ?`,
		[]any{tok.ID, user, tok.Digest, stamp(tok.ExpiresAt), optionalStamp(tok.RevokedAt), stamp(tok.CreatedAt)},
		userParent(user))
}

// ByDigest finds a token by digest; INVALID_TOKEN when there is none.
func (s tokenStore) ByDigest(ctx context.Context, digest []byte) (domain.UserToken, error) {
	return fetch(ctx, s.t, domain.KindInvalidToken, "could not read the token", tokenRow.token,
		`SELECT id, user_id, digest, expires_at, revoked_at, created_at FROM user_tokens WHERE digest = ?`, digest)
}

// Revoke marks a token revoked at at, keeping an earlier revocation time;
// INVALID_TOKEN when there is none.
func (s tokenStore) Revoke(ctx context.Context, id string, at time.Time) error {
	return s.t.execOne(ctx, domain.KindInvalidToken, "could not revoke the token",
		`UPDATE user_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, stamp(at), id)
}

// directory is the pre-tenant lookups, through the dialect's queries
// (PostgreSQL's SECURITY DEFINER functions, SQLite's tables).
type directory struct{ t *txn }

func (r apiKeyRow) credential() domain.APIKeyCredential {
	return domain.APIKeyCredential{
		ID: domain.APIKeyID(r.ID), TenantID: domain.TenantID(r.TenantID), Digest: r.Digest,
		Environment: r.Environment.String, ExpiresAt: orNil(r.ExpiresAt), RevokedAt: orNil(r.RevokedAt),
	}
}

type membershipRow struct {
	TenantID string `db:"tenant_id"`
	Slug     string `db:"slug"`
	Name     string `db:"name"`
	Role     string `db:"role"`
}

func (r membershipRow) membership() domain.UserMembership {
	return domain.UserMembership{Tenant: domain.TenantRef{ID: domain.TenantID(r.TenantID), Slug: r.Slug, Name: r.Name}, Role: domain.Role(r.Role)}
}

func (r tenantRow) ref() domain.TenantRef {
	return domain.TenantRef{ID: domain.TenantID(r.ID), Slug: r.Slug, Name: r.Name}
}

// APIKeyByDigest finds an API key by digest; INVALID_API_KEY when none.
func (d directory) APIKeyByDigest(ctx context.Context, digest []byte) (domain.APIKeyCredential, error) {
	return fetch(ctx, d.t, domain.KindInvalidAPIKey, "could not look the API key up", apiKeyRow.credential,
		d.t.dialect.Directory().APIKeyByDigest, digest)
}

// MembershipsOfUser lists a user's memberships with their tenants, oldest
// membership first; none for an unknown user.
func (d directory) MembershipsOfUser(ctx context.Context, userID domain.UserID) ([]domain.UserMembership, error) {
	user, ok := CanonicalUUID(string(userID))
	if !ok {
		return []domain.UserMembership{}, nil
	}
	return fetchAll(ctx, d.t, "could not list the user's memberships", membershipRow.membership,
		d.t.dialect.Directory().MembershipsOfUser, user)
}

// TenantBySlug finds a tenant by slug; TENANT_NOT_FOUND.
func (d directory) TenantBySlug(ctx context.Context, slug string) (domain.TenantRef, error) {
	return fetch(ctx, d.t, domain.KindTenantNotFound, "could not look the tenant up", tenantRow.ref,
		d.t.dialect.Directory().TenantBySlug, slug)
}

// AnyDataKey returns the oldest tenant's wrapped data key; ok is false when
// there is no tenant.
func (d directory) AnyDataKey(ctx context.Context) (domain.TenantID, domain.WrappedKey, bool, error) {
	var r tenantRow
	err := d.t.get(ctx, &r, d.t.dialect.Directory().AnyDataKey)
	if errors.Is(err, sql.ErrNoRows) {
		return "", domain.WrappedKey{}, false, nil
	}
	if err != nil {
		return "", domain.WrappedKey{}, false, d.t.fail(err, "could not read a data key")
	}
	return domain.TenantID(r.ID), domain.WrappedKey{KeyID: r.DataKeyID, Ciphertext: r.DataKey}, true, nil
}

// DataKeyUses counts the data keys by the key that wraps them, with a sample.
func (d directory) DataKeyUses(ctx context.Context) ([]domain.DataKeyUse, error) {
	var rows []struct {
		KeyID   string `db:"data_key_id"`
		Tenants int64  `db:"tenants"`
		ID      string `db:"id"`
		DataKey []byte `db:"data_key"`
	}
	if err := d.t.list(ctx, &rows, d.t.dialect.Directory().DataKeyUses); err != nil {
		return nil, d.t.fail(err, "could not count the data keys")
	}
	out := make([]domain.DataKeyUse, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.DataKeyUse{KeyID: r.KeyID, Tenants: r.Tenants, SampleTenant: domain.TenantID(r.ID),
			Sample: domain.WrappedKey{KeyID: r.KeyID, Ciphertext: r.DataKey}})
	}
	return out, nil
}

// TenantsNotOnKey lists up to limit tenants whose data key another key wraps.
func (d directory) TenantsNotOnKey(ctx context.Context, keyID string, limit int) ([]domain.TenantID, error) {
	var ids []string
	if err := d.t.list(ctx, &ids, d.t.dialect.Directory().TenantsNotOnKey, keyID, limit); err != nil {
		return nil, d.t.fail(err, "could not list the tenants to rewrap")
	}
	out := make([]domain.TenantID, len(ids))
	for i, id := range ids {
		out[i] = domain.TenantID(id)
	}
	return out, nil
}

// tenantStore holds the bound tenant's own row.
type tenantStore struct{ t *txn }

type tenantRow struct {
	ID        string `db:"id"`
	Slug      string `db:"slug"`
	Name      string `db:"name"`
	DataKeyID string `db:"data_key_id"`
	DataKey   []byte `db:"data_key"`
	CreatedAt dbTime `db:"created_at"`
}

func (r tenantRow) tenant() domain.Tenant {
	return domain.Tenant{
		ID: domain.TenantID(r.ID), Slug: r.Slug, Name: r.Name,
		DataKey: domain.WrappedKey{KeyID: r.DataKeyID, Ciphertext: r.DataKey}, CreatedAt: r.CreatedAt.Time,
	}
}

// Create inserts the tenant, whose ID must be the bound tenant
// (VALIDATION_ERROR otherwise); CONFLICT when the slug or the ID is taken.
func (s tenantStore) Create(ctx context.Context, tenant domain.Tenant) error {
	if err := s.t.own(tenant.ID); err != nil {
		return err
	}
	_, err := s.t.exec(ctx,
		`INSERT INTO tenants (id, slug, name, data_key_id, data_key, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		string(s.t.tenant), tenant.Slug, tenant.Name, tenant.DataKey.KeyID, tenant.DataKey.Ciphertext, stamp(tenant.CreatedAt))
	return s.t.fail(err, "could not create the tenant")
}

// Get returns the bound tenant; TENANT_NOT_FOUND.
func (s tenantStore) Get(ctx context.Context) (domain.Tenant, error) {
	return fetch(ctx, s.t, domain.KindTenantNotFound, "could not read the tenant", tenantRow.tenant,
		`SELECT id, slug, name, data_key_id, data_key, created_at FROM tenants WHERE id = ?`, string(s.t.tenant))
}

// RewrapDataKey swaps the tenant's wrapped data key from -> to; CONFLICT
// when it is no longer from.
func (s tenantStore) RewrapDataKey(ctx context.Context, from, to domain.WrappedKey) error {
	return s.t.execOne(ctx, domain.KindConflict, "could not rewrap the data key",
		`UPDATE tenants SET data_key_id = ?, data_key = ? WHERE id = ? AND data_key_id = ? AND data_key = ?`,
		to.KeyID, to.Ciphertext, string(s.t.tenant), from.KeyID, from.Ciphertext)
}

// memberStore holds the bound tenant's memberships.
type memberStore struct{ t *txn }

// Add inserts a membership; MEMBER_ALREADY_EXISTS when the user is a member,
// USER_NOT_FOUND when there is no such user, TENANT_NOT_FOUND when the bound
// tenant does not exist.
func (s memberStore) Add(ctx context.Context, m domain.Membership) error {
	if err := s.t.own(m.TenantID); err != nil {
		return err
	}
	user, err := requireUUID("user_id", string(m.UserID))
	if err != nil {
		return err
	}
	return s.t.insertUnder(ctx, "could not add the member",
		`INSERT INTO memberships (tenant_id, user_id, role, created_at) SELECT ?, ?, ?, ?`,
		[]any{string(s.t.tenant), user, string(m.Role), stamp(m.CreatedAt)},
		userParent(user), s.t.tenantParent())
}

type memberRow struct {
	UserID    string `db:"user_id"`
	Email     string `db:"email"`
	Role      string `db:"role"`
	CreatedAt dbTime `db:"created_at"`
}

func (r memberRow) member() domain.Member {
	return domain.Member{User: domain.UserRef{ID: domain.UserID(r.UserID), Email: r.Email}, Role: domain.Role(r.Role)}
}

// Get returns a membership; USER_NOT_FOUND when the user is no member.
func (s memberStore) Get(ctx context.Context, user domain.UserID) (domain.Membership, error) {
	id, ok := CanonicalUUID(string(user))
	if !ok {
		return domain.Membership{}, domain.StoreError(domain.KindUserNotFound)
	}
	return fetch(ctx, s.t, domain.KindUserNotFound, "could not read the membership", func(r memberRow) domain.Membership {
		return domain.Membership{TenantID: s.t.tenant, UserID: domain.UserID(r.UserID), Role: domain.Role(r.Role), CreatedAt: r.CreatedAt.Time}
	}, `SELECT user_id, role, created_at FROM memberships WHERE tenant_id = ? AND user_id = ?`, string(s.t.tenant), id)
}

// List returns the members with their users, oldest first.
func (s memberStore) List(ctx context.Context) ([]domain.Member, error) {
	return fetchAll(ctx, s.t, "could not list the members", memberRow.member,
		`SELECT m.user_id, u.email, m.role FROM memberships AS m JOIN users AS u ON u.id = m.user_id
		 WHERE m.tenant_id = ? ORDER BY m.created_at, m.user_id`, string(s.t.tenant))
}

// SetRole changes a member's role; USER_NOT_FOUND.
func (s memberStore) SetRole(ctx context.Context, user domain.UserID, role domain.Role) error {
	return s.changeMember(ctx, user, "could not change the member's role",
		`UPDATE memberships SET role = ? WHERE tenant_id = ? AND user_id = ?`, string(role))
}

// Remove deletes a membership; USER_NOT_FOUND.
func (s memberStore) Remove(ctx context.Context, user domain.UserID) error {
	return s.changeMember(ctx, user, "could not remove the member", `DELETE FROM memberships WHERE tenant_id = ? AND user_id = ?`)
}

// changeMember runs a statement on the membership of user, its arguments
// followed by the tenant and the user; USER_NOT_FOUND when it changed none.
func (s memberStore) changeMember(ctx context.Context, user domain.UserID, what, query string, args ...any) error {
	id, ok := CanonicalUUID(string(user))
	if !ok {
		return domain.StoreError(domain.KindUserNotFound)
	}
	return s.t.execOne(ctx, domain.KindUserNotFound, what, query, append(args, string(s.t.tenant), id)...)
}

// LockOwners locks the tenant's owner memberships until the transaction ends
// and returns their number.
func (s memberStore) LockOwners(ctx context.Context) (int, error) {
	var n int
	err := s.t.get(ctx, &n, `SELECT count(*) FROM (
			SELECT 1 FROM memberships WHERE tenant_id = ? AND role = 'owner'`+s.t.locking.ForUpdate+`
		) AS owners`, string(s.t.tenant))
	return n, s.t.fail(err, "could not lock the owners")
}

// apiKeyStore holds the bound tenant's API keys.
type apiKeyStore struct{ t *txn }

// apiKeyRow is a row of api_keys; tenant_id only in the pre-tenant lookup.
type apiKeyRow struct {
	ID          string           `db:"id"`
	TenantID    string           `db:"tenant_id"`
	Name        string           `db:"name"`
	Prefix      string           `db:"prefix"`
	Digest      []byte           `db:"digest"`
	Environment sql.NullString   `db:"environment"`
	ExpiresAt   sql.Null[dbTime] `db:"expires_at"`
	RevokedAt   sql.Null[dbTime] `db:"revoked_at"`
	CreatedAt   dbTime           `db:"created_at"`
	CreatedBy   string           `db:"created_by"`
}

func (s apiKeyStore) key(r apiKeyRow) domain.APIKey {
	return domain.APIKey{
		ID: domain.APIKeyID(r.ID), TenantID: s.t.tenant, Name: r.Name, Prefix: r.Prefix, Digest: r.Digest,
		Environment: r.Environment.String, ExpiresAt: orNil(r.ExpiresAt), RevokedAt: orNil(r.RevokedAt),
		CreatedAt: r.CreatedAt.Time, CreatedBy: r.CreatedBy,
	}
}

// #nosec G101 -- a query that reads key digests, no credential
const selectAPIKey = `SELECT id, name, prefix, digest, environment, expires_at, revoked_at, created_at, created_by
	FROM api_keys WHERE tenant_id = ?`

// Create inserts a key; ENVIRONMENT_NOT_FOUND when it is limited to an
// environment that does not exist, CONFLICT when its ID or digest exists.
func (s apiKeyStore) Create(ctx context.Context, k domain.APIKey) error {
	if err := s.t.own(k.TenantID); err != nil {
		return err
	}
	id, err := requireUUID("api_key_id", string(k.ID))
	if err != nil {
		return err
	}
	parents := []parent{s.t.tenantParent()}
	if k.Environment != "" {
		parents = append(parents, s.t.environmentParent(k.Environment))
	}
	return s.t.insertUnder(ctx, "could not create the API key",
		`INSERT INTO api_keys (id, tenant_id, name, prefix, digest, environment, expires_at, revoked_at, created_at, created_by)
		 SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?`,
		[]any{id, string(s.t.tenant), k.Name, k.Prefix, k.Digest, nullable(k.Environment),
			optionalStamp(k.ExpiresAt), optionalStamp(k.RevokedAt), stamp(k.CreatedAt), k.CreatedBy},
		parents...)
}

// Get returns a key; API_KEY_NOT_FOUND.
func (s apiKeyStore) Get(ctx context.Context, id domain.APIKeyID) (domain.APIKey, error) {
	canonical, ok := CanonicalUUID(string(id))
	if !ok {
		return domain.APIKey{}, domain.StoreError(domain.KindAPIKeyNotFound)
	}
	return fetch(ctx, s.t, domain.KindAPIKeyNotFound, "could not read the API key", s.key, selectAPIKey+` AND id = ?`, string(s.t.tenant), canonical)
}

// List returns all keys, newest first.
func (s apiKeyStore) List(ctx context.Context) ([]domain.APIKey, error) {
	return fetchAll(ctx, s.t, "could not list the API keys", s.key, selectAPIKey+` ORDER BY created_at DESC, id DESC`, string(s.t.tenant))
}

// Revoke sets RevokedAt; API_KEY_NOT_FOUND when the key does not exist or is
// already revoked.
func (s apiKeyStore) Revoke(ctx context.Context, id domain.APIKeyID, at time.Time) error {
	canonical, ok := CanonicalUUID(string(id))
	if !ok {
		return domain.StoreError(domain.KindAPIKeyNotFound)
	}
	return s.t.execOne(ctx, domain.KindAPIKeyNotFound, "could not revoke the API key",
		`UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL`,
		stamp(at), string(s.t.tenant), canonical)
}
