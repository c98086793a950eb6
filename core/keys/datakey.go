package keys

import (
	"context"
	"crypto/cipher"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// dataKey returns the tenant's data key from the cache or, on a miss, by
// unwrapping the key of the tenant row that tenants is bound to.
func (m *Manager) dataKey(ctx context.Context, tenants ports.TenantStore, tenant domain.TenantID) (cipher.AEAD, error) {
	if tenant == "" {
		return nil, domain.Errorf(domain.KindInternal, "a secret must be bound to a tenant")
	}
	if aead, ok := m.cache.get(tenant); ok {
		return aead, nil
	}
	t, err := tenants.Get(ctx)
	if err != nil {
		return nil, err
	}
	if t.ID != tenant {
		return nil, domain.Errorf(domain.KindInternal, "the stores are bound to another tenant than the secret's")
	}
	dek, err := m.unwrap(tenant, t.DataKey)
	if err != nil {
		return nil, err
	}
	defer clear(dek)
	aead, err := newAEAD(dek)
	if err != nil {
		return nil, err
	}
	m.cache.put(tenant, aead)
	return aead, nil
}
