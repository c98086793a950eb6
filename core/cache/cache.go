// Package cache keeps the hot read path in memory: resolved configurations and
// API-key lookups. It is one decorator, applied by core.New around the read
// ports (Resolutions, APIKeys) and the Transactor (WrapTransactor); the
// services never know whether it is there.
//
// Entries are invalidated by the changes the process commits itself
// (WrapTransactor, synchronously after the commit) and by the changes every
// other process commits (Apply, fed by a ports.ChangeFeed). While the feed is
// not live the cache is dropped and bypassed, so a reader never sees a stale
// version for longer than a notification takes to arrive. MaxAge bounds how
// long any entry is served, as a safety net under the notifications. Errors
// are never cached.
//
// A fetch that raced with an invalidation is not stored: each tenant has a
// generation number, read before the fetch and compared before storing.
//
// Invalidation finds its entries through secondary indexes (by tenant and
// asset, by API key and by tenant's keys), so its cost does not grow with the
// number of entries cached.
package cache

import (
	"sync"
	"sync/atomic"
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

type resolvedEntry struct {
	value any
	// reads are the assets the resolution was read from: its own and those
	// its references read; a change of any of them invalidates it.
	reads  ports.ReadSet
	stored time.Time
}

type apiKeyEntry struct {
	cred   domain.APIKeyCredential
	stored time.Time
}

// assetRef names one asset of one tenant: the unit of invalidation of
// resolutions.
type assetRef struct {
	tenant domain.TenantID
	asset  domain.AssetID
}

// set is a set of map keys.
type set[K comparable] map[K]struct{}

// Cache is safe for concurrent use. The zero value is not usable; use New.
type Cache struct {
	deps Deps

	mu        sync.RWMutex
	live      bool
	epoch     uint64
	tenantGen map[domain.TenantID]uint64
	// keyGen counts API-key changes of every tenant: a key's tenant is unknown
	// until it has been fetched.
	keyGen   uint64
	resolved map[ports.ResolutionKey]resolvedEntry
	apiKeys  map[string]apiKeyEntry

	// The indexes below hold exactly the entries of resolved and apiKeys:
	// every change of those maps goes through putResolved, dropResolved,
	// dropAsset, putAPIKey, dropAPIKey or reset.
	//
	// byAsset lists the cached resolutions read from each asset: its own
	// (a few per environment) and those of the assets that reference it,
	// however many they are.
	byAsset map[assetRef]set[ports.ResolutionKey]
	// assetsOf lists, per tenant, the assets that have entries.
	assetsOf map[domain.TenantID]set[domain.AssetID]
	// digestOf is the cached digest of each key ID (a key has one text).
	digestOf map[domain.APIKeyID]string
	// keysOf lists, per tenant, the key IDs that have entries.
	keysOf map[domain.TenantID]set[domain.APIKeyID]

	// counts are the answers given since New, for Stats.
	counts counters
}

// counters are the cache's answer counts: plain atomics, read by Stats.
type counters struct {
	resolutionHits, resolutionMisses atomic.Uint64
	apiKeyHits, apiKeyMisses         atomic.Uint64
}

// Stats counts the cache's answers since New. A miss is every answer not
// served from memory: an entry absent or expired, or the cache bypassed
// while the change feed is not live.
type Stats struct {
	ResolutionHits, ResolutionMisses uint64
	APIKeyHits, APIKeyMisses         uint64
}

// Stats returns the answer counts so far; it takes no lock.
func (c *Cache) Stats() Stats {
	return Stats{
		ResolutionHits:   c.counts.resolutionHits.Load(),
		ResolutionMisses: c.counts.resolutionMisses.Load(),
		APIKeyHits:       c.counts.apiKeyHits.Load(),
		APIKeyMisses:     c.counts.apiKeyMisses.Load(),
	}
}

// New returns an empty cache that is not live: it bypasses itself until
// SetLive(true) says that invalidations are flowing.
func New(deps Deps) *Cache {
	if deps.MaxEntries <= 0 {
		deps.MaxEntries = 10000
	}
	if deps.MaxAge <= 0 {
		deps.MaxAge = 5 * time.Minute
	}
	if deps.Clock == nil {
		deps.Clock = ports.SystemClock{}
	}
	c := &Cache{deps: deps, tenantGen: map[domain.TenantID]uint64{}}
	c.reset()
	return c
}

// reset drops every entry and index.
func (c *Cache) reset() {
	c.resolved = map[ports.ResolutionKey]resolvedEntry{}
	c.apiKeys = map[string]apiKeyEntry{}
	c.byAsset = map[assetRef]set[ports.ResolutionKey]{}
	c.assetsOf = map[domain.TenantID]set[domain.AssetID]{}
	c.digestOf = map[domain.APIKeyID]string{}
	c.keysOf = map[domain.TenantID]set[domain.APIKeyID]{}
}

// SetLive records whether the change feed is connected. Any transition drops
// every entry; while not live, nothing is cached.
func (c *Cache) SetLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	// The new epoch fails every fetch in flight, whatever its generation, so
	// the generations can start again.
	c.epoch++
	clear(c.tenantGen)
	c.reset()
}

// Live reports whether the cache is in use.
func (c *Cache) Live() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.live
}

// Apply invalidates what a committed change makes stale: one API key (or all
// of a tenant's when the change names none), or the resolutions of one asset
// in one environment, of one asset in every environment, or of a whole
// tenant. The indexes find them: its cost is that of the entries of the
// asset, key or tenant it names, not of the number cached.
func (c *Cache) Apply(ch domain.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch.Kind == domain.ChangeMember {
		// Memberships are not cached: no entry depends on one.
		return
	}
	c.tenantGen[ch.TenantID]++
	switch {
	case ch.Kind == domain.ChangeAPIKey:
		c.keyGen++
		if ch.APIKeyID != "" {
			if digest, ok := c.digestOf[ch.APIKeyID]; ok {
				c.dropAPIKey(digest)
			}
			return
		}
		for id := range c.keysOf[ch.TenantID] {
			c.dropAPIKey(c.digestOf[id])
		}
	case ch.AssetID == "":
		for asset := range c.assetsOf[ch.TenantID] {
			c.dropAsset(assetRef{ch.TenantID, asset}, "")
		}
	default:
		c.dropAsset(assetRef{ch.TenantID, ch.AssetID}, ch.Environment)
	}
}

// dropAsset drops the resolutions read from asset in env, or in every
// environment when env is "": its own and those that reference it.
func (c *Cache) dropAsset(asset assetRef, env string) {
	var drop []ports.ResolutionKey
	for k := range c.byAsset[asset] {
		if env == "" || k.Environment == env {
			drop = append(drop, k)
		}
	}
	for _, k := range drop {
		c.dropResolved(k)
	}
}

// indexResolved records that k was read from asset.
func (c *Cache) indexResolved(k ports.ResolutionKey, asset domain.AssetID) {
	ref := assetRef{k.Tenant, asset}
	keys, ok := c.byAsset[ref]
	if !ok {
		keys = set[ports.ResolutionKey]{}
		c.byAsset[ref] = keys
		assets := c.assetsOf[k.Tenant]
		if assets == nil {
			assets = set[domain.AssetID]{}
			c.assetsOf[k.Tenant] = assets
		}
		assets[asset] = struct{}{}
	}
	keys[k] = struct{}{}
}

// unindexResolved forgets that k was read from asset, and the asset when
// no resolution is left of it.
func (c *Cache) unindexResolved(k ports.ResolutionKey, asset domain.AssetID) {
	ref := assetRef{k.Tenant, asset}
	keys := c.byAsset[ref]
	delete(keys, k)
	if len(keys) > 0 {
		return
	}
	delete(c.byAsset, ref)
	assets := c.assetsOf[ref.tenant]
	delete(assets, ref.asset)
	if len(assets) == 0 {
		delete(c.assetsOf, ref.tenant)
	}
}

// stamp is the state a fetch started from.
type stamp struct {
	live  bool
	epoch uint64
	gen   uint64
}

// fresh reports whether an entry stored at stored may still be served at now.
func (c *Cache) fresh(stored, now time.Time) bool { return now.Sub(stored) < c.deps.MaxAge }

// putResolved stores one resolution with its index entries, evicting another
// entry when the map is full.
func (c *Cache) putResolved(k ports.ResolutionKey, e resolvedEntry) {
	c.dropResolved(k)
	if len(c.resolved) >= c.deps.MaxEntries {
		for victim := range c.resolved {
			c.dropResolved(victim)
			break
		}
	}
	c.resolved[k] = e
	e.reads.Each(func(a domain.AssetID) { c.indexResolved(k, a) })
}

// dropResolved removes one resolution and its index entries.
func (c *Cache) dropResolved(k ports.ResolutionKey) {
	e, ok := c.resolved[k]
	if !ok {
		return
	}
	delete(c.resolved, k)
	e.reads.Each(func(a domain.AssetID) { c.unindexResolved(k, a) })
}

// putAPIKey stores one credential under its digest with its index entries,
// evicting another entry when the map is full.
func (c *Cache) putAPIKey(digest string, e apiKeyEntry) {
	c.dropAPIKey(digest)
	if other, ok := c.digestOf[e.cred.ID]; ok {
		c.dropAPIKey(other)
	}
	if len(c.apiKeys) >= c.deps.MaxEntries {
		for victim := range c.apiKeys {
			c.dropAPIKey(victim)
			break
		}
	}
	c.apiKeys[digest] = e
	c.digestOf[e.cred.ID] = digest
	ids := c.keysOf[e.cred.TenantID]
	if ids == nil {
		ids = set[domain.APIKeyID]{}
		c.keysOf[e.cred.TenantID] = ids
	}
	ids[e.cred.ID] = struct{}{}
}

// dropAPIKey removes the credential cached under digest and its index
// entries.
func (c *Cache) dropAPIKey(digest string) {
	e, ok := c.apiKeys[digest]
	if !ok {
		return
	}
	delete(c.apiKeys, digest)
	delete(c.digestOf, e.cred.ID)
	ids := c.keysOf[e.cred.TenantID]
	delete(ids, e.cred.ID)
	if len(ids) == 0 {
		delete(c.keysOf, e.cred.TenantID)
	}
}
