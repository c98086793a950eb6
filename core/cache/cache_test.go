package cache

import (
	"context"
	"errors"
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

// fetcher counts calls and returns the current version.
type fetcher struct {
	calls   int
	version int
	asset   domain.AssetID
}

func (f *fetcher) fetch() (int, domain.AssetID, error) {
	f.calls++
	return f.version, f.asset, nil
}

func TestResolvedInvalidation(t *testing.T) {
	key := ResolvedKey{Tenant: tenantA, Asset: "billing", Environment: "prod", WithSecrets: true}
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
			c := New(Deps{})
			c.SetLive(true)
			f := &fetcher{version: 1, asset: "asset-1"}
			for i := 0; i < 3; i++ {
				if _, err := Resolved(c, key, f.fetch); err != nil {
					t.Fatal(err)
				}
			}
			if f.calls != 1 {
				t.Fatalf("fetches before the change = %d, want 1", f.calls)
			}
			c.Apply(tt.change)
			f.version = 2
			v, err := Resolved(c, key, f.fetch)
			if err != nil {
				t.Fatal(err)
			}
			if f.calls != tt.wantFetch {
				t.Errorf("fetches = %d, want %d", f.calls, tt.wantFetch)
			}
			if want := tt.wantFetch; v != want {
				t.Errorf("version = %d, want %d", v, want)
			}
		})
	}
}

func TestNotLiveBypasses(t *testing.T) {
	c := New(Deps{})
	key := ResolvedKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
	f := &fetcher{version: 1, asset: "x"}
	for i := 0; i < 3; i++ {
		if _, err := Resolved(c, key, f.fetch); err != nil {
			t.Fatal(err)
		}
	}
	if f.calls != 3 {
		t.Errorf("a cache that is not live served from memory: %d fetches, want 3", f.calls)
	}
	c.SetLive(true)
	_, _ = Resolved(c, key, f.fetch)
	_, _ = Resolved(c, key, f.fetch)
	if f.calls != 4 {
		t.Fatalf("live cache fetched %d times, want 4", f.calls)
	}
	c.SetLive(false)
	if c.Live() {
		t.Fatal("Live() after SetLive(false)")
	}
	_, _ = Resolved(c, key, f.fetch)
	if f.calls != 5 {
		t.Errorf("losing the feed did not drop the cache: %d fetches, want 5", f.calls)
	}
}

func TestRacingInvalidationIsNotStored(t *testing.T) {
	c := New(Deps{})
	c.SetLive(true)
	key := ResolvedKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
	calls := 0
	stale := func() (int, domain.AssetID, error) {
		calls++
		if calls == 1 {
			// A write commits while this read is in flight.
			c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenantA, AssetID: "x", Environment: "prod"})
			return 1, "x", nil
		}
		return 2, "x", nil
	}
	if v, _ := Resolved(c, key, stale); v != 1 {
		t.Fatalf("first read = %d", v)
	}
	if v, _ := Resolved(c, key, stale); v != 2 {
		t.Errorf("a read that raced with an invalidation was cached: got version %d, want 2", v)
	}
}

func TestErrorsAreNotCachedAndMaxAge(t *testing.T) {
	clock := &fixedClock{now: time.Unix(1000, 0)}
	c := New(Deps{Clock: clock, MaxAge: time.Minute, MaxEntries: 1})
	c.SetLive(true)
	key := ResolvedKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
	boom := errors.New("boom")
	if _, err := Resolved(c, key, func() (int, domain.AssetID, error) { return 0, "", boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	f := &fetcher{version: 7, asset: "x"}
	_, _ = Resolved(c, key, f.fetch)
	_, _ = Resolved(c, key, f.fetch)
	if f.calls != 1 {
		t.Fatalf("fetches = %d, want 1", f.calls)
	}
	clock.now = clock.now.Add(2 * time.Minute)
	_, _ = Resolved(c, key, f.fetch)
	if f.calls != 2 {
		t.Errorf("an entry older than MaxAge was served")
	}
	other := ResolvedKey{Tenant: tenantA, Asset: "b", Environment: "prod"}
	_, _ = Resolved(c, other, f.fetch)
	if len(c.resolved) != 1 {
		t.Errorf("MaxEntries 1 holds %d entries", len(c.resolved))
	}
}

func TestAPIKeyCache(t *testing.T) {
	c := New(Deps{})
	c.SetLive(true)
	cred := domain.APIKeyCredential{ID: "key-1", TenantID: tenantA}
	calls := 0
	fetch := func() (domain.APIKeyCredential, error) { calls++; return cred, nil }
	for i := 0; i < 3; i++ {
		if got, err := c.APIKey([]byte("digest"), fetch); err != nil || got.ID != "key-1" {
			t.Fatalf("got %v, %v", got, err)
		}
	}
	if calls != 1 {
		t.Fatalf("fetches = %d, want 1", calls)
	}
	c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: "other"})
	_, _ = c.APIKey([]byte("digest"), fetch)
	if calls != 1 {
		t.Errorf("revoking another key dropped this one")
	}
	c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: "key-1"})
	_, _ = c.APIKey([]byte("digest"), fetch)
	if calls != 2 {
		t.Errorf("a revoked key was served from the cache")
	}
	racing := func() (domain.APIKeyCredential, error) {
		calls++
		c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: "key-2"})
		return domain.APIKeyCredential{ID: "key-2", TenantID: tenantA}, nil
	}
	_, _ = c.APIKey([]byte("digest-2"), racing)
	_, _ = c.APIKey([]byte("digest-2"), racing)
	if calls != 4 {
		t.Errorf("a lookup that raced with its revocation was cached (calls %d, want 4)", calls)
	}
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
			c := New(Deps{})
			c.SetLive(true)
			key := ResolvedKey{Tenant: tenantA, Asset: "a", Environment: "prod"}
			f := &fetcher{version: 1, asset: "x"}
			_, _ = Resolved(c, key, f.fetch)
			tx := WrapTransactor(tt.tx, c)
			_ = tx.InTenant(context.Background(), tenantA, func(ctx context.Context, s ports.TenantTx) error {
				if err := s.Changes().Publish(ctx, change); err != nil {
					return err
				}
				return tt.fnErr
			})
			_, _ = Resolved(c, key, f.fetch)
			if applied := f.calls == 2; applied != tt.wantApplied {
				t.Errorf("change applied = %v, want %v", applied, tt.wantApplied)
			}
			if err := tx.Global(context.Background(), func(context.Context, ports.GlobalTx) error { return nil }); err != nil {
				t.Errorf("Global: %v", err)
			}
		})
	}
}
