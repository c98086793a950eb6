package cache

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Resolutions returns src with its resolutions kept in c: a resolution is
// served from memory until a committed change of its asset, or of an asset
// its references read, invalidates it,
// MaxAge passes or the feed goes down. The caller authorizes every call
// before asking; the key says what was authorized.
func Resolutions[V any](c *Cache, src ports.ResolutionSource[V]) ports.ResolutionSource[V] {
	return &resolutions[V]{c: c, inner: src}
}

type resolutions[V any] struct {
	c     *Cache
	inner ports.ResolutionSource[V]
}

// Resolve returns the cached resolution of k, or asks the inner source and
// caches its answer when nothing invalidated k's tenant meanwhile.
func (r *resolutions[V]) Resolve(ctx context.Context, k ports.ResolutionKey) (V, ports.ReadSet, error) {
	c := r.c
	now := c.deps.Clock.Now()
	c.mu.RLock()
	e, ok := c.resolved[k]
	if ok && c.live && c.fresh(e.stored, now) {
		if v, ok := e.value.(V); ok {
			c.mu.RUnlock()
			c.counts.resolutionHits.Add(1)
			return v, e.reads, nil
		}
	}
	c.counts.resolutionMisses.Add(1)
	// A miss: the state the fetch starts from decides whether its answer
	// may be stored.
	st := stamp{live: c.live, epoch: c.epoch, gen: c.tenantGen[k.Tenant]}
	c.mu.RUnlock()
	v, reads, err := r.inner.Resolve(ctx, k)
	if !st.live || (err != nil && !ok) {
		return v, reads, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		// The entry seen is expired (or of another type): it goes, whatever
		// the fetch gave.
		if cur, still := c.resolved[k]; still && cur.stored.Equal(e.stored) {
			c.dropResolved(k)
		}
	}
	if err == nil && c.live && c.epoch == st.epoch && c.tenantGen[k.Tenant] == st.gen {
		c.putResolved(k, resolvedEntry{value: v, reads: reads, stored: now})
	}
	return v, reads, err
}

// APIKeys returns lookup with its credentials kept in c, by digest, until a
// change of the key (or of all of its tenant's keys) invalidates them,
// MaxAge passes or the feed goes down. The caller still checks expiry and
// revocation on every use.
func APIKeys(c *Cache, lookup ports.APIKeyLookup) ports.APIKeyLookup {
	return &apiKeys{c: c, inner: lookup}
}

type apiKeys struct {
	c     *Cache
	inner ports.APIKeyLookup
}

// ByDigest returns the cached credential of digest, or looks it up and
// caches it when no API-key change happened meanwhile.
func (a *apiKeys) ByDigest(ctx context.Context, digest []byte) (domain.APIKeyCredential, error) {
	c := a.c
	now := c.deps.Clock.Now()
	c.mu.RLock()
	e, ok := c.apiKeys[string(digest)]
	live, epoch, gen := c.live, c.epoch, c.keyGen
	c.mu.RUnlock()
	if ok && live && c.fresh(e.stored, now) {
		c.counts.apiKeyHits.Add(1)
		return e.cred, nil
	}
	c.counts.apiKeyMisses.Add(1)
	cred, err := a.inner.ByDigest(ctx, digest)
	if !live || (err != nil && !ok) {
		return cred, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		if cur, still := c.apiKeys[string(digest)]; still && cur.stored.Equal(e.stored) {
			c.dropAPIKey(string(digest))
		}
	}
	if err == nil && c.live && c.epoch == epoch && c.keyGen == gen {
		c.putAPIKey(string(digest), apiKeyEntry{cred: cred, stored: now})
	}
	return cred, err
}
