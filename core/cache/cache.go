// Package cache keeps the hot read path in memory: resolved configurations and
// API-key lookups. Entries are invalidated by the changes the process commits
// itself (WrapTransactor) and by the changes every other process commits
// (Apply, fed by a ports.ChangeFeed). While the feed is not live the cache is
// dropped and bypassed, so a reader never sees a stale version for longer than
// a notification takes to arrive.
//
// A fetch that raced with an invalidation is not stored: each tenant has a
// generation number, read before the fetch and compared before storing.
package cache

import (
	"sync"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Deps size the cache and give its clock.
type Deps struct {
	// MaxEntries bounds each of the two maps (default 10,000).
	MaxEntries int
	// MaxAge bounds how long an entry is served without being refetched, as a
	// safety net under the notifications (default 5 minutes).
	MaxAge time.Duration
	// Clock dates the entries (default the system clock).
	Clock ports.Clock
}

// ResolvedKey names one cached resolution.
type ResolvedKey struct {
	Tenant      domain.TenantID
	Asset       string
	Environment string
	// WithSecrets distinguishes what a viewer may see from what an editor or
	// an API key sees.
	WithSecrets bool
}

type resolvedEntry struct {
	value   any
	assetID domain.AssetID
	stored  time.Time
}

type apiKeyEntry struct {
	cred   domain.APIKeyCredential
	stored time.Time
}

// Cache is safe for concurrent use. The zero value is not usable; use New.
type Cache struct {
	opts Deps

	mu        sync.RWMutex
	live      bool
	epoch     uint64
	tenantGen map[domain.TenantID]uint64
	// keyGen counts API-key changes of every tenant: a key's tenant is unknown
	// until it has been fetched.
	keyGen   uint64
	resolved map[ResolvedKey]resolvedEntry
	apiKeys  map[string]apiKeyEntry
}

// New returns an empty cache that is not live: it bypasses itself until
// SetLive(true) says that invalidations are flowing.
func New(opts Deps) *Cache {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 10000
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 5 * time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = ports.SystemClock{}
	}
	return &Cache{
		opts:      opts,
		tenantGen: map[domain.TenantID]uint64{},
		resolved:  map[ResolvedKey]resolvedEntry{},
		apiKeys:   map[string]apiKeyEntry{},
	}
}

// SetLive records whether the change feed is connected. Any transition drops
// every entry; while not live, nothing is cached.
func (c *Cache) SetLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	c.epoch++
	c.resolved = map[ResolvedKey]resolvedEntry{}
	c.apiKeys = map[string]apiKeyEntry{}
}

// Live reports whether the cache is in use.
func (c *Cache) Live() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.live
}

// Apply invalidates what a committed change makes stale.
func (c *Cache) Apply(ch domain.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tenantGen[ch.TenantID]++
	switch ch.Kind {
	case domain.ChangeAPIKey:
		c.keyGen++
		for digest, e := range c.apiKeys {
			if e.cred.ID == ch.APIKeyID || (ch.APIKeyID == "" && e.cred.TenantID == ch.TenantID) {
				delete(c.apiKeys, digest)
			}
		}
	default:
		for k, e := range c.resolved {
			if k.Tenant != ch.TenantID {
				continue
			}
			if ch.AssetID == "" || e.assetID == ch.AssetID && (ch.Environment == "" || ch.Environment == k.Environment) {
				delete(c.resolved, k)
			}
		}
	}
}

// stamp is the state a fetch started from.
type stamp struct {
	live  bool
	epoch uint64
	gen   uint64
}

func (c *Cache) stampFor(t domain.TenantID) stamp {
	return stamp{live: c.live, epoch: c.epoch, gen: c.tenantGen[t]}
}

// Resolved returns the cached value for k, or calls fetch and caches its
// result (with the asset ID it belongs to) when nothing invalidated the
// tenant meanwhile. Errors are never cached.
func Resolved[V any](c *Cache, k ResolvedKey, fetch func() (V, domain.AssetID, error)) (V, error) {
	now := c.opts.Clock.Now()
	c.mu.RLock()
	e, ok := c.resolved[k]
	st := c.stampFor(k.Tenant)
	c.mu.RUnlock()
	if ok && st.live && now.Sub(e.stored) < c.opts.MaxAge {
		if v, ok := e.value.(V); ok {
			return v, nil
		}
	}
	v, assetID, err := fetch()
	if err != nil || !st.live {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stampFor(k.Tenant) == st {
		if len(c.resolved) >= c.opts.MaxEntries {
			evictOne(c.resolved)
		}
		c.resolved[k] = resolvedEntry{value: v, assetID: assetID, stored: now}
	}
	return v, nil
}

// APIKey returns the cached credential for a key digest, or calls fetch and
// caches it. The caller still checks expiry and revocation on every use.
func (c *Cache) APIKey(digest []byte, fetch func() (domain.APIKeyCredential, error)) (domain.APIKeyCredential, error) {
	now := c.opts.Clock.Now()
	k := string(digest)
	c.mu.RLock()
	e, ok := c.apiKeys[k]
	live, epoch, gen := c.live, c.epoch, c.keyGen
	c.mu.RUnlock()
	if ok && live && now.Sub(e.stored) < c.opts.MaxAge {
		return e.cred, nil
	}
	cred, err := fetch()
	if err != nil || !live {
		return cred, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live && c.epoch == epoch && c.keyGen == gen {
		if len(c.apiKeys) >= c.opts.MaxEntries {
			evictOne(c.apiKeys)
		}
		c.apiKeys[k] = apiKeyEntry{cred: cred, stored: now}
	}
	return cred, nil
}

func evictOne[K comparable, V any](m map[K]V) {
	for k := range m {
		delete(m, k)
		return
	}
}
