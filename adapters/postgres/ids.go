package postgres

import (
	"github.com/configmat/configmat/core/domain"
	"github.com/google/uuid"
)

// canonicalUUID returns s in canonical form when it is a UUID. Identifiers
// are checked before they reach SQL: PostgreSQL would refuse a malformed uuid
// and abort the whole transaction.
func canonicalUUID(s string) (string, bool) {
	id, err := uuid.Parse(s)
	if err != nil {
		return "", false
	}
	return id.String(), true
}

// parseTenantID validates a tenant ID for binding a transaction.
func parseTenantID(id domain.TenantID) (domain.TenantID, error) {
	canonical, ok := canonicalUUID(string(id))
	if !ok {
		return "", domain.Errorf(domain.KindInvalid, "The tenant ID must be a UUID.").WithDetail("tenant_id", "must be a UUID")
	}
	return domain.TenantID(canonical), nil
}

// requireUUID returns a VALIDATION_ERROR naming field unless s is a UUID.
func requireUUID(field, s string) (string, error) {
	canonical, ok := canonicalUUID(s)
	if !ok {
		return "", domain.Errorf(domain.KindInvalid, "The %s must be a UUID.", field).WithDetail(field, "must be a UUID")
	}
	return canonical, nil
}

// sameTenant refuses a row of another tenant than the bound one; an empty
// tenant stands for the bound one.
func sameTenant(bound, row domain.TenantID) error {
	if row == "" {
		return nil
	}
	if canonical, ok := canonicalUUID(string(row)); ok && domain.TenantID(canonical) == bound {
		return nil
	}
	return domain.Errorf(domain.KindInvalid, "The row belongs to another tenant than the transaction's.").WithDetail("tenant_id", "must be the bound tenant")
}
