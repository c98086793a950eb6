package postgres

import (
	"github.com/configmat/configmat/core/domain"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
)

// violation is the error a constraint violation becomes.
type violation struct {
	kind    domain.Kind
	message string
}

// uniqueViolations maps every unique constraint of the schema to its kind.
var uniqueViolations = map[string]violation{
	"tenants_pkey":           {domain.KindConflict, "A tenant with this ID already exists."},
	"tenants_slug_key":       {domain.KindConflict, "A tenant with this slug already exists."},
	"users_pkey":             {domain.KindConflict, "A user with this ID already exists."},
	"users_email_key":        {domain.KindEmailRegistered, "This email address is already registered."},
	"user_tokens_pkey":       {domain.KindConflict, "A token with this ID already exists."},
	"user_tokens_digest_key": {domain.KindConflict, "A token with this digest already exists."},
	"memberships_pkey":       {domain.KindMemberExists, "The user is already a member of this tenant."},
	"environments_pkey":      {domain.KindEnvironmentExists, "The environment already exists."},
	"environments_position_key": {
		domain.KindConflict, "Another environment took this position; try again.",
	},
	"assets_pkey":            {domain.KindConflict, "An asset with this ID already exists."},
	"assets_tenant_id_key":   {domain.KindConflict, "An asset with this ID already exists."},
	"assets_tenant_slug_key": {domain.KindAssetExists, "An asset with this slug already exists."},
	"version_heads_pkey":     {domain.KindVersionConflict, "The version was changed concurrently."},
	"versions_pkey":          {domain.KindVersionConflict, "This version already exists."},
	"api_keys_pkey":          {domain.KindConflict, "An API key with this ID already exists."},
	"api_keys_digest_key":    {domain.KindConflict, "An API key with this digest already exists."},
	"audit_entries_pkey":     {domain.KindConflict, "The audit chain was appended concurrently."},
	"audit_heads_pkey":       {domain.KindConflict, "The audit chain was created concurrently."},
}

// foreignKeyViolations maps every foreign key of the schema to the kind of
// the missing row it points to.
var foreignKeyViolations = map[string]violation{
	"user_tokens_user_fkey":          {domain.KindUserNotFound, "The user does not exist."},
	"memberships_tenant_fkey":        {domain.KindTenantNotFound, "The tenant does not exist."},
	"memberships_user_fkey":          {domain.KindUserNotFound, "The user does not exist."},
	"environments_tenant_fkey":       {domain.KindTenantNotFound, "The tenant does not exist."},
	"assets_tenant_fkey":             {domain.KindTenantNotFound, "The tenant does not exist."},
	"version_heads_asset_fkey":       {domain.KindAssetNotFound, "The asset does not exist."},
	"version_heads_environment_fkey": {domain.KindEnvironmentNotFound, "The environment does not exist."},
	"versions_asset_fkey":            {domain.KindAssetNotFound, "The asset does not exist."},
	"versions_environment_fkey":      {domain.KindEnvironmentNotFound, "The environment does not exist."},
	"api_keys_tenant_fkey":           {domain.KindTenantNotFound, "The tenant does not exist."},
	"api_keys_environment_fkey":      {domain.KindEnvironmentNotFound, "The environment does not exist."},
	"audit_entries_tenant_fkey":      {domain.KindTenantNotFound, "The tenant does not exist."},
	"audit_heads_tenant_fkey":        {domain.KindTenantNotFound, "The tenant does not exist."},
}

// translate turns a driver error into a domain error: known unique and
// foreign-key violations and check violations get their kinds, anything else
// becomes an internal error that keeps err as its cause. message says what
// failed, for the logs. A nil err gives nil.
func translate(err error, message string) error {
	if err == nil {
		return nil
	}
	pqErr := pq.As(err)
	if pqErr == nil {
		return domain.Wrap(err, message)
	}
	var known violation
	var ok bool
	switch pqErr.Code {
	case pqerror.UniqueViolation:
		known, ok = uniqueViolations[pqErr.Constraint]
	case pqerror.ForeignKeyViolation:
		known, ok = foreignKeyViolations[pqErr.Constraint]
	case pqerror.CheckViolation:
		known, ok = violation{domain.KindInvalid, "A value is out of its allowed range."}, true
	}
	if !ok {
		return domain.Wrap(err, message)
	}
	return &domain.Error{Kind: known.kind, Message: known.message, Cause: err}
}

// notFound returns the not-found error of kind with a message.
func notFound(kind domain.Kind, message string) error {
	return domain.Errorf(kind, "%s", message)
}
