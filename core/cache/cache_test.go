package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

type fixedClock struct{ now time.Time }

func (c *fixedClock) Now() time.Time { return c.now }

const (
	tenantA = domain.TenantID("11111111-1111-4111-8111-111111111111")
	tenantB = domain.TenantID("22222222-2222-4222-8222-222222222222")
)

// source is a resolution source of versions: it counts its calls, answers
// version for every key, and belongs every key to asset.
type source struct {
	calls   int
	version int
	asset   domain.AssetID
	// refs are the other assets every resolution reads.
	refs []domain.AssetID
	err  error
	// during, when set, runs inside each call, as a write committing while
	// the read is in flight.
	during func()
}

func (s *source) Resolve(_ context.Context, _ ports.ResolutionKey) (int, ports.ReadSet, error) {
	s.calls++
	if s.during != nil {
		s.during()
	}
	if s.err != nil {
		return 0, ports.ReadSet{}, s.err
	}
	return s.version, ports.ReadSet{Asset: s.asset, References: s.refs}, nil
}

// keyLookup is an API-key lookup of one credential that counts its calls.
type keyLookup struct {
	calls  int
	cred   domain.APIKeyCredential
	err    error
	during func()
}

func (l *keyLookup) ByDigest(context.Context, []byte) (domain.APIKeyCredential, error) {
	l.calls++
	if l.during != nil {
		l.during()
	}
	return l.cred, l.err
}

func liveCache(t testing.TB, deps Deps) *Cache {
	t.Helper()
	c := New(deps)
	c.SetLive(true)
	return c
}

func resolve(t testing.TB, src ports.ResolutionSource[int], k ports.ResolutionKey) int {
	t.Helper()
	v, _, err := src.Resolve(context.Background(), k)
	if err != nil {
		t.Fatalf("Resolve(%+v): %v", k, err)
	}
	return v
}

func TestResolvedInvalidation(t *testing.T) {
	key := ports.ResolutionKey{Tenant: tenantA, Asset: "billing", Environment: "prod", WithSecrets: true}
	tests := []struct {
		name      string
		change    domain.Change
		wantFetch int
	}{
		{"same asset and environment", domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "asset-1", Environment: "prod"}, 2},
		{"same asset, every environment", domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "asset-1"}, 2},
		{"whole tenant", domain.Change{Kind: domain.ChangeValues, TenantID: tenantA}, 2},
		{"other environment", domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "asset-1", Environment: "stage"}, 1},
		{"other asset", domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "asset-2", Environment: "prod"}, 1},
		{"other tenant", domain.Change{Kind: domain.ChangeValues, TenantID: tenantB, AssetID: "asset-1", Environment: "prod"}, 1},
		{"an API key change", domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: "k"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := liveCache(t, Deps{})
			f := &source{version: 1, asset: "asset-1"}
			src := Resolutions[int](c, f)
			for i := 0; i < 3; i++ {
				resolve(t, src, key)
			}
			if f.calls != 1 {
				t.Fatalf("fetches before the change = %d, want 1", f.calls)
			}
			c.Apply(tt.change)
			f.version = 2
			v := resolve(t, src, key)
			if f.calls != tt.wantFetch {
				t.Errorf("fetches = %d, want %d", f.calls, tt.wantFetch)
			}
			if want := tt.wantFetch; v != want {
				t.Errorf("version = %d, want %d", v, want)
			}
			checkIndexes(t, c)
		})
	}
}

func TestResolutionsReturnTheReadSet(t *testing.T) {
	c := liveCache(t, Deps{})
	src := Resolutions[int](c, &source{version: 1, asset: "asset-1", refs: []domain.AssetID{"asset-2"}})
	key := ports.ResolutionKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
	for i, from := range []string{"the source", "the cache"} {
		_, reads, err := src.Resolve(context.Background(), key)
		if err != nil || reads.Asset != "asset-1" || len(reads.References) != 1 || reads.References[0] != "asset-2" {
			t.Fatalf("call %d, from %s: reads %+v, %v; want asset-1 and asset-2", i, from, reads, err)
		}
	}
}

func TestNotLiveBypasses(t *testing.T) {
	c := New(Deps{})
	key := ports.ResolutionKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
	f := &source{version: 1, asset: "x"}
	src := Resolutions[int](c, f)
	for i := 0; i < 3; i++ {
		resolve(t, src, key)
	}
	if f.calls != 3 {
		t.Errorf("a cache that is not live served from memory: %d fetches, want 3", f.calls)
	}
	c.SetLive(true)
	resolve(t, src, key)
	resolve(t, src, key)
	if f.calls != 4 {
		t.Fatalf("live cache fetched %d times, want 4", f.calls)
	}
	c.SetLive(false)
	if c.Live() {
		t.Fatal("Live() after SetLive(false)")
	}
	resolve(t, src, key)
	if f.calls != 5 {
		t.Errorf("losing the feed did not drop the cache: %d fetches, want 5", f.calls)
	}
	checkIndexes(t, c)
	assertEmpty(t, c)
}

func TestRacingInvalidationIsNotStored(t *testing.T) {
	key := ports.ResolutionKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
	tests := []struct {
		name  string
		write func(c *Cache)
	}{
		{"a change of the tenant", func(c *Cache) {
			c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "x", Environment: "prod"})
		}},
		{"the feed reconnecting", func(c *Cache) { c.SetLive(false); c.SetLive(true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := liveCache(t, Deps{})
			f := &source{version: 1, asset: "x"}
			f.during = func() {
				f.during = nil
				tt.write(c) // a write commits while this read is in flight
				f.version = 2
			}
			src := Resolutions[int](c, f)
			resolve(t, src, key)
			if v := resolve(t, src, key); v != 2 {
				t.Errorf("a read that raced with an invalidation was cached: got version %d, want 2", v)
			}
		})
	}
}

func TestErrorsAreNotCachedAndMaxAge(t *testing.T) {
	clock := &fixedClock{now: time.Unix(1000, 0)}
	c := liveCache(t, Deps{Clock: clock, MaxAge: time.Minute, MaxEntries: 1})
	key := ports.ResolutionKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
	boom := errors.New("boom")
	f := &source{err: boom}
	src := Resolutions[int](c, f)
	if _, _, err := src.Resolve(context.Background(), key); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	f.err, f.version, f.asset = nil, 7, "x"
	resolve(t, src, key)
	resolve(t, src, key)
	if f.calls != 2 {
		t.Fatalf("fetches = %d, want 2 (the error was cached?)", f.calls)
	}
	clock.now = clock.now.Add(2 * time.Minute)
	resolve(t, src, key)
	if f.calls != 3 {
		t.Errorf("an entry older than MaxAge was served")
	}
	other := ports.ResolutionKey{Tenant: tenantA, Asset: "b", Environment: "prod"}
	resolve(t, src, other)
	if len(c.resolved) != 1 {
		t.Errorf("MaxEntries 1 holds %d entries", len(c.resolved))
	}
	checkIndexes(t, c)
}

func TestExpiredEntryGoesWhenItsRefetchFails(t *testing.T) {
	clock := &fixedClock{now: time.Unix(1000, 0)}
	c := liveCache(t, Deps{Clock: clock, MaxAge: time.Minute})
	boom := errors.New("boom")
	key := ports.ResolutionKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
	f := &source{version: 1, asset: "x"}
	resolve(t, Resolutions[int](c, f), key)
	l := &keyLookup{cred: domain.APIKeyCredential{ID: "key-1", TenantID: tenantA}}
	if _, err := APIKeys(c, l).ByDigest(context.Background(), []byte("d")); err != nil {
		t.Fatal(err)
	}
	clock.now = clock.now.Add(2 * time.Minute)
	f.err, l.err = boom, boom
	if _, _, err := Resolutions[int](c, f).Resolve(context.Background(), key); !errors.Is(err, boom) {
		t.Fatalf("Resolve: %v", err)
	}
	if _, err := APIKeys(c, l).ByDigest(context.Background(), []byte("d")); !errors.Is(err, boom) {
		t.Fatalf("ByDigest: %v", err)
	}
	checkIndexes(t, c)
	assertEmpty(t, c)
}

func TestAPIKeyCache(t *testing.T) {
	c := liveCache(t, Deps{})
	l := &keyLookup{cred: domain.APIKeyCredential{ID: "key-1", TenantID: tenantA}}
	keys := APIKeys(c, l)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if got, err := keys.ByDigest(ctx, []byte("digest")); err != nil || got.ID != "key-1" {
			t.Fatalf("got %v, %v", got, err)
		}
	}
	if l.calls != 1 {
		t.Fatalf("fetches = %d, want 1", l.calls)
	}
	c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: "other"})
	_, _ = keys.ByDigest(ctx, []byte("digest"))
	if l.calls != 1 {
		t.Errorf("revoking another key dropped this one")
	}
	c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: "key-1"})
	_, _ = keys.ByDigest(ctx, []byte("digest"))
	if l.calls != 2 {
		t.Errorf("a revoked key was served from the cache")
	}
	racing := &keyLookup{cred: domain.APIKeyCredential{ID: "key-2", TenantID: tenantA}}
	racing.during = func() {
		c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: "key-2"})
	}
	_, _ = APIKeys(c, racing).ByDigest(ctx, []byte("digest-2"))
	_, _ = APIKeys(c, racing).ByDigest(ctx, []byte("digest-2"))
	if racing.calls != 2 {
		t.Errorf("a lookup that raced with its revocation was cached (calls %d, want 2)", racing.calls)
	}
	failing := &keyLookup{err: errors.New("boom")}
	for range 2 {
		if _, err := APIKeys(c, failing).ByDigest(ctx, []byte("digest-3")); err == nil {
			t.Fatal("the lookup's error was lost")
		}
	}
	if failing.calls != 2 {
		t.Errorf("an error was cached")
	}
	checkIndexes(t, c)
}

// fakeTx runs fn on stores whose publisher records changes, and "commits"
// only when fn succeeds.
type fakeTx struct{ fail error }

func (f fakeTx) InTenant(ctx context.Context, _ domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
	if err := fn(ctx, fakeStores{}); err != nil {
		return err
	}
	return f.fail
}

func (fakeTx) Global(ctx context.Context, fn func(context.Context, ports.GlobalTx) error) error {
	return fn(ctx, nil)
}

type fakeStores struct{ ports.TenantTx }

func (fakeStores) Changes() ports.ChangePublisher { return nopPublisher{} }

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, domain.Change) error { return nil }

func TestWrapTransactorAppliesOnlyCommittedChanges(t *testing.T) {
	change := domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "x", Environment: "prod"}
	commitFailed := errors.New("commit failed")
	fnFailed := errors.New("fn failed")
	tests := []struct {
		name        string
		tx          fakeTx
		fnErr       error
		wantApplied bool
	}{
		{"committed", fakeTx{}, nil, true},
		{"fn failed", fakeTx{}, fnFailed, false},
		{"commit failed", fakeTx{fail: commitFailed}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := liveCache(t, Deps{})
			key := ports.ResolutionKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
			f := &source{version: 1, asset: "x"}
			src := Resolutions[int](c, f)
			resolve(t, src, key)
			tx := WrapTransactor(tt.tx, c)
			if again := WrapTransactor(tx, c); again != tx {
				t.Fatal("wrapping twice for the same cache wrapped twice")
			}
			_ = tx.InTenant(context.Background(), tenantA, func(ctx context.Context, s ports.TenantTx) error {
				if err := s.Changes().Publish(ctx, change); err != nil {
					return err
				}
				return tt.fnErr
			})
			resolve(t, src, key)
			if applied := f.calls == 2; applied != tt.wantApplied {
				t.Errorf("change applied = %v, want %v", applied, tt.wantApplied)
			}
			if err := tx.Global(context.Background(), func(context.Context, ports.GlobalTx) error { return nil }); err != nil {
				t.Errorf("Global: %v", err)
			}
		})
	}
}

// mapSource answers every key with the asset its slug names in assets.
type mapSource struct{ assets map[string]domain.AssetID }

func (m mapSource) Resolve(_ context.Context, k ports.ResolutionKey) (int, ports.ReadSet, error) {
	return 1, ports.ReadSet{Asset: m.assets[string(k.Tenant)+"/"+k.Asset]}, nil
}

// digestLookup answers a digest "<tenant>/<key>" with that key of that
// tenant.
type digestLookup struct{}

func (digestLookup) ByDigest(_ context.Context, digest []byte) (domain.APIKeyCredential, error) {
	var tenant, id string
	for i := range digest {
		if digest[i] == '/' {
			tenant, id = string(digest[:i]), string(digest[i+1:])
		}
	}
	return domain.APIKeyCredential{ID: domain.APIKeyID(id), TenantID: domain.TenantID(tenant)}, nil
}

// fill caches, for tenants A and B, assets a1 and a2 in prod and stage with
// and without secrets, and API keys k1 and k2.
func fill(t *testing.T, c *Cache) {
	t.Helper()
	assets := map[string]domain.AssetID{}
	for _, tenant := range []domain.TenantID{tenantA, tenantB} {
		for _, a := range []string{"a1", "a2"} {
			assets[string(tenant)+"/"+a] = domain.AssetID(string(tenant[:1]) + "-" + a)
		}
	}
	src := Resolutions[int](c, mapSource{assets: assets})
	keys := APIKeys(c, digestLookup{})
	for _, tenant := range []domain.TenantID{tenantA, tenantB} {
		for _, a := range []string{"a1", "a2"} {
			for _, env := range []string{"prod", "stage"} {
				for _, secrets := range []bool{false, true} {
					resolve(t, src, ports.ResolutionKey{Tenant: tenant, Asset: a, Environment: env, WithSecrets: secrets})
				}
			}
		}
		for _, k := range []string{"k1", "k2"} {
			if _, err := keys.ByDigest(context.Background(), []byte(string(tenant)+"/"+string(tenant[:1])+"-"+k)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// contents names what c holds: "<tenant initial>/<slug>/<env>[/s]" for
// resolutions, "key:<id>" for API keys, sorted.
func contents(c *Cache) []string {
	var out []string
	for k := range c.resolved {
		name := string(k.Tenant[:1]) + "/" + k.Asset + "/" + k.Environment
		if k.WithSecrets {
			name += "/s"
		}
		out = append(out, name)
	}
	for _, e := range c.apiKeys {
		out = append(out, "key:"+string(e.cred.ID))
	}
	sort.Strings(out)
	return out
}

func TestApplyDropsExactlyItsEntries(t *testing.T) {
	everything := func() []string {
		c := liveCache(t, Deps{})
		fill(t, c)
		return contents(c)
	}()
	if len(everything) != 2*2*2*2+4 {
		t.Fatalf("filled %d entries: %v", len(everything), everything)
	}
	tests := []struct {
		name    string
		change  domain.Change
		dropped []string
	}{
		{"one environment of one asset", domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "1-a1", Environment: "prod"},
			[]string{"1/a1/prod", "1/a1/prod/s"}},
		{"every environment of one asset", domain.Change{Kind: domain.ChangeValues, TenantID: tenantB, AssetID: "2-a2"},
			[]string{"2/a2/prod", "2/a2/prod/s", "2/a2/stage", "2/a2/stage/s"}},
		{"a whole tenant's values", domain.Change{Kind: domain.ChangeValues, TenantID: tenantA},
			[]string{"1/a1/prod", "1/a1/prod/s", "1/a1/stage", "1/a1/stage/s", "1/a2/prod", "1/a2/prod/s", "1/a2/stage", "1/a2/stage/s"}},
		{"an environment not cached", domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "1-a1", Environment: "qa"}, nil},
		{"an asset not cached", domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "1-a9"}, nil},
		{"another tenant's asset ID", domain.Change{Kind: domain.ChangeValues, TenantID: tenantB, AssetID: "1-a1"}, nil},
		{"one API key", domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: "1-k2"}, []string{"key:1-k2"}},
		{"a whole tenant's API keys", domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantB}, []string{"key:2-k1", "key:2-k2"}},
		{"an API key not cached", domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: "1-k9"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := liveCache(t, Deps{})
			fill(t, c)
			c.Apply(tt.change)
			dropped := map[string]bool{}
			for _, name := range tt.dropped {
				dropped[name] = true
			}
			var want []string
			for _, name := range everything {
				if !dropped[name] {
					want = append(want, name)
				}
			}
			if got := contents(c); !reflect.DeepEqual(got, want) {
				t.Errorf("after the change the cache holds\n%v\nwant\n%v", got, want)
			}
			checkIndexes(t, c)
		})
	}
}

func TestIndexesDoNotLeak(t *testing.T) {
	tests := []struct {
		name  string
		empty func(t *testing.T, c *Cache)
	}{
		{"invalidating every tenant", func(t *testing.T, c *Cache) {
			for _, tenant := range []domain.TenantID{tenantA, tenantB} {
				c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant})
				c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenant})
			}
		}},
		{"invalidating every asset and key", func(t *testing.T, c *Cache) {
			for _, tenant := range []domain.TenantID{tenantA, tenantB} {
				for _, a := range []string{"a1", "a2"} {
					c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: domain.AssetID(string(tenant[:1]) + "-" + a)})
				}
				for _, k := range []string{"k1", "k2"} {
					c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenant, APIKeyID: domain.APIKeyID(string(tenant[:1]) + "-" + k)})
				}
			}
		}},
		{"the feed going down", func(t *testing.T, c *Cache) { c.SetLive(false) }},
		{"evicting, then invalidating what is left", func(t *testing.T, c *Cache) {
			src := Resolutions[int](c, &source{version: 1, asset: "other"})
			keys := APIKeys(c, digestLookup{})
			for i := range 2 * c.deps.MaxEntries {
				resolve(t, src, ports.ResolutionKey{Tenant: "t", Asset: fmt.Sprint(i)})
				if _, err := keys.ByDigest(context.Background(), fmt.Appendf(nil, "t/%d", i)); err != nil {
					t.Fatal(err)
				}
				checkIndexes(t, c)
			}
			if len(c.resolved) != c.deps.MaxEntries || len(c.apiKeys) != c.deps.MaxEntries {
				t.Fatalf("after the evictions the cache holds %d resolutions and %d keys, want %d each", len(c.resolved), len(c.apiKeys), c.deps.MaxEntries)
			}
			for _, tenant := range []domain.TenantID{tenantA, tenantB, "t"} {
				c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant})
				c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenant})
			}
		}},
		{"MaxAge expiring every entry", func(t *testing.T, c *Cache) {
			clock := c.deps.Clock.(*fixedClock)
			clock.now = clock.now.Add(time.Hour)
			boom := errors.New("gone")
			contentsBefore := contents(c)
			for k := range c.resolved {
				if _, _, err := Resolutions[int](c, &source{err: boom}).Resolve(context.Background(), k); !errors.Is(err, boom) {
					t.Fatal(err)
				}
			}
			for digest := range c.apiKeys {
				if _, err := APIKeys(c, &keyLookup{err: boom}).ByDigest(context.Background(), []byte(digest)); !errors.Is(err, boom) {
					t.Fatal(err)
				}
			}
			if len(contentsBefore) == 0 {
				t.Fatal("nothing was filled")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := liveCache(t, Deps{MaxEntries: 20, MaxAge: time.Minute, Clock: &fixedClock{now: time.Unix(1000, 0)}})
			fill(t, c)
			checkIndexes(t, c)
			tt.empty(t, c)
			checkIndexes(t, c)
			assertEmpty(t, c)
		})
	}
}

func TestRefetchUnderAnotherAssetMovesTheIndex(t *testing.T) {
	// The asset was deleted and created again with the same slug: a new ID.
	clock := &fixedClock{now: time.Unix(1000, 0)}
	c := liveCache(t, Deps{Clock: clock, MaxAge: time.Minute})
	key := ports.ResolutionKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
	f := &source{version: 1, asset: "old"}
	resolve(t, Resolutions[int](c, f), key)
	clock.now = clock.now.Add(2 * time.Minute)
	f.asset = "new"
	resolve(t, Resolutions[int](c, f), key)
	checkIndexes(t, c)
	c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "new"})
	assertEmpty(t, c)
}

func TestRandomOperationsKeepTheIndexesConsistent(t *testing.T) {
	clock := &fixedClock{now: time.Unix(1000, 0)}
	c := liveCache(t, Deps{MaxEntries: 16, MaxAge: time.Minute, Clock: clock})
	r := rand.New(rand.NewPCG(1, 2))
	tenants := []domain.TenantID{tenantA, tenantB}
	envs := []string{"prod", "stage", ""}
	for i := range 5000 {
		tenant := tenants[r.IntN(2)]
		asset := domain.AssetID(fmt.Sprint(r.IntN(6)))
		keyID := domain.APIKeyID(fmt.Sprint(r.IntN(20)))
		switch op := r.IntN(10); {
		case op < 4:
			src := Resolutions[int](c, &source{version: i, asset: asset})
			resolve(t, src, ports.ResolutionKey{Tenant: tenant, Asset: string(asset), Environment: envs[r.IntN(2)], WithSecrets: r.IntN(2) == 0})
		case op < 7:
			keys := APIKeys(c, &keyLookup{cred: domain.APIKeyCredential{ID: keyID, TenantID: tenant}})
			if _, err := keys.ByDigest(context.Background(), []byte(fmt.Sprint(r.IntN(24)))); err != nil {
				t.Fatal(err)
			}
		case op < 8:
			c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: asset, Environment: envs[r.IntN(3)]})
		case op < 9:
			c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenant, APIKeyID: keyID})
		default:
			clock.now = clock.now.Add(time.Duration(r.IntN(40)) * time.Second)
		}
		checkIndexes(t, c)
		if len(c.resolved) > 16 || len(c.apiKeys) > 16 {
			t.Fatalf("the cache outgrew MaxEntries: %d resolutions, %d keys", len(c.resolved), len(c.apiKeys))
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	c := liveCache(t, Deps{MaxEntries: 64})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			src := Resolutions[int](c, &source{version: g, asset: domain.AssetID(fmt.Sprint(g))})
			keys := APIKeys(c, &keyLookup{cred: domain.APIKeyCredential{ID: domain.APIKeyID(fmt.Sprint(g)), TenantID: tenantA}})
			for i := range 500 {
				resolve(t, src, ports.ResolutionKey{Tenant: tenantA, Asset: fmt.Sprint(g), Environment: fmt.Sprint(i % 8)})
				_, _ = keys.ByDigest(context.Background(), []byte(fmt.Sprint(g)))
			}
		})
	}
	wg.Go(func() {
		for i := range 500 {
			c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: domain.AssetID(fmt.Sprint(i % 4))})
			c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: domain.APIKeyID(fmt.Sprint(i % 4))})
		}
	})
	wg.Wait()
	checkIndexes(t, c)
}

// checkIndexes fails unless every index names exactly the cached entries.
func checkIndexes(t testing.TB, c *Cache) {
	t.Helper()
	c.mu.RLock()
	defer c.mu.RUnlock()
	indexed := 0
	for ref, keys := range c.byAsset {
		if len(keys) == 0 {
			t.Fatalf("byAsset holds an empty list for %v", ref)
		}
		if _, ok := c.assetsOf[ref.tenant][ref.asset]; !ok {
			t.Fatalf("assetsOf misses %v", ref)
		}
		for k := range keys {
			e, ok := c.resolved[k]
			reads := false
			e.reads.Each(func(a domain.AssetID) { reads = reads || a == ref.asset })
			if !ok || k.Tenant != ref.tenant || !reads {
				t.Fatalf("byAsset[%v] names %+v, cached %v reading %+v", ref, k, ok, e.reads)
			}
			indexed++
		}
	}
	want := 0
	for _, e := range c.resolved {
		e.reads.Each(func(domain.AssetID) { want++ })
	}
	if indexed != want {
		t.Fatalf("byAsset names %d reads, the %d cached resolutions read %d", indexed, len(c.resolved), want)
	}
	assets := 0
	for tenant, ids := range c.assetsOf {
		if len(ids) == 0 {
			t.Fatalf("assetsOf holds an empty set for %s", tenant)
		}
		assets += len(ids)
	}
	if assets != len(c.byAsset) {
		t.Fatalf("assetsOf names %d assets, byAsset %d", assets, len(c.byAsset))
	}
	if len(c.digestOf) != len(c.apiKeys) {
		t.Fatalf("digestOf names %d keys, %d are cached", len(c.digestOf), len(c.apiKeys))
	}
	for id, digest := range c.digestOf {
		if e, ok := c.apiKeys[digest]; !ok || e.cred.ID != id {
			t.Fatalf("digestOf[%s] names a digest cached %v for key %q", id, ok, e.cred.ID)
		}
		if _, ok := c.keysOf[c.apiKeys[digest].cred.TenantID][id]; !ok {
			t.Fatalf("keysOf misses key %s", id)
		}
	}
	keys := 0
	for tenant, ids := range c.keysOf {
		if len(ids) == 0 {
			t.Fatalf("keysOf holds an empty set for %s", tenant)
		}
		keys += len(ids)
	}
	if keys != len(c.apiKeys) {
		t.Fatalf("keysOf names %d keys, %d are cached", keys, len(c.apiKeys))
	}
}

// assertEmpty fails unless c holds no entry and no index entry.
func assertEmpty(t testing.TB, c *Cache) {
	t.Helper()
	sizes := map[string]int{
		"resolved": len(c.resolved), "apiKeys": len(c.apiKeys),
		"byAsset": len(c.byAsset), "assetsOf": len(c.assetsOf),
		"digestOf": len(c.digestOf), "keysOf": len(c.keysOf),
	}
	for name, n := range sizes {
		if n != 0 {
			t.Errorf("%s holds %d entries, want none", name, n)
		}
	}
}

func TestConcurrentMissesStoreOneEntry(t *testing.T) {
	c := liveCache(t, Deps{})
	key := ports.ResolutionKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
	f := &source{version: 1, asset: "x"}
	src := Resolutions[int](c, f)
	// Another reader misses, fetches and stores while this one fetches.
	f.during = func() { f.during = nil; resolve(t, src, key) }
	resolve(t, src, key)
	if f.calls != 2 || len(c.resolved) != 1 || len(c.byAsset[assetRef{tenantA, "x"}]) != 1 {
		t.Fatalf("calls %d, %d entries, index %v", f.calls, len(c.resolved), c.byAsset)
	}
	checkIndexes(t, c)
}

func TestAChangeOfAReferencedAssetInvalidates(t *testing.T) {
	c := liveCache(t, Deps{})
	f := &source{version: 1, asset: "app", refs: []domain.AssetID{"shared", "other"}}
	src := Resolutions[int](c, f)
	prod := ports.ResolutionKey{Tenant: tenantA, Asset: "app", Environment: "prod"}
	stage := ports.ResolutionKey{Tenant: tenantA, Asset: "app", Environment: "stage"}
	resolve(t, src, prod)
	resolve(t, src, stage)
	checkIndexes(t, c)
	// A change of a referenced asset in stage drops stage's entry only.
	c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "shared", Environment: "stage"})
	checkIndexes(t, c)
	resolve(t, src, prod)
	if f.calls != 2 {
		t.Fatalf("prod was fetched again (%d calls)", f.calls)
	}
	f.version = 2
	if v := resolve(t, src, stage); v != 2 || f.calls != 3 {
		t.Fatalf("stage = %d after %d calls, want 2 after 3", v, f.calls)
	}
	// A change of the other referenced asset in every environment drops both.
	c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "other"})
	checkIndexes(t, c)
	if len(c.resolved) != 0 {
		t.Fatalf("%d entries left after a change of a referenced asset", len(c.resolved))
	}
	assertEmpty(t, c)
	// An asset nobody references changes nothing.
	resolve(t, src, prod)
	c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "unrelated"})
	if len(c.resolved) != 1 {
		t.Fatalf("a change of an unrelated asset dropped an entry")
	}
	checkIndexes(t, c)
}
