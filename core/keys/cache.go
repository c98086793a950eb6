package keys

import (
	"container/list"
	"crypto/cipher"
	"sync"

	"github.com/configmat/configmat/core/domain"
)

// maxCachedDataKeys bounds the number of tenants whose data key stays in memory.
const maxCachedDataKeys = 10_000

// dataKeyCache keeps the most recently used tenants' data keys, as ready
// AES-256-GCM instances: the raw key bytes are cleared once the instance
// exists, and evicting an entry never disturbs a caller still using it.
type dataKeyCache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // of *cachedKey, most recently used first
	entries map[domain.TenantID]*list.Element
}

// cachedKey is one tenant's data key.
type cachedKey struct {
	tenant domain.TenantID
	aead   cipher.AEAD
}

// newDataKeyCache returns an empty cache holding at most max keys.
func newDataKeyCache(max int) *dataKeyCache {
	return &dataKeyCache{max: max, order: list.New(), entries: make(map[domain.TenantID]*list.Element)}
}

// get returns the tenant's data key and marks it recently used.
func (c *dataKeyCache) get(tenant domain.TenantID) (cipher.AEAD, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[tenant]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cachedKey).aead, true
}

// put stores the tenant's data key, evicting the least recently used key
// when the cache is full.
func (c *dataKeyCache) put(tenant domain.TenantID, aead cipher.AEAD) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[tenant]; ok {
		el.Value.(*cachedKey).aead = aead
		c.order.MoveToFront(el)
		return
	}
	c.entries[tenant] = c.order.PushFront(&cachedKey{tenant: tenant, aead: aead})
	if c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cachedKey).tenant)
	}
}

// forget removes the tenant's data key.
func (c *dataKeyCache) forget(tenant domain.TenantID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[tenant]; ok {
		c.order.Remove(el)
		delete(c.entries, tenant)
	}
}
