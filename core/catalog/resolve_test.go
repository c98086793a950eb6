package catalog

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/cache"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/mocks"
)

func TestResolveByActor(t *testing.T) {
	withSecrets := Resolved{Asset: "billing", Environment: "prod", Version: 3, AssetID: assetID, WithSecrets: true,
		Config: map[string]map[string]json.RawMessage{"db": {"host": json.RawMessage(`"h"`), "pw": json.RawMessage(`"hunter2"`)}, "keys": {"stripe": json.RawMessage(`{"live":true}`)}}}
	tests := []struct {
		name        string
		actor       domain.Actor
		opensSecret bool
		want        Resolved
	}{
		{"api key", apiKey, true, withSecrets},
		{"api key of the environment", domain.Actor{TenantID: tenantID, APIKeyID: "k", Environment: "prod"}, true, withSecrets},
		{"editor", editor, true, withSecrets},
		{"viewer", viewer, false, Resolved{Asset: "billing", Environment: "prod", Version: 3, AssetID: assetID,
			Config: map[string]map[string]json.RawMessage{"db": {"host": json.RawMessage(`"h"`)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
			w.versions.EXPECT().Current(gomock.Any(), assetID, "prod").Return(version("prod", 3, domain.Snapshot{
				"db":   {"host": plain(`"h"`), "pw": w.sealed("prod", "db", "pw", `"hunter2"`)},
				"keys": {"stripe": w.sealed("prod", "keys", "stripe", `{"live":true}`)},
			}), nil)
			if tt.opensSecret {
				w.expectTenantKey()
			}
			got, err := w.svc.Resolve(w.ctx, tt.actor, assetSlug, "prod")
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			assertJSON(t, got, tt.want)
			w.assertCommitted(true)
		})
	}
}

func TestResolveWithoutVersionChecksTheEnvironment(t *testing.T) {
	tests := []struct {
		name   string
		envErr error
		kind   domain.Kind
	}{
		{"existing environment", nil, ""},
		{"unknown environment", domain.Errorf(domain.KindEnvironmentNotFound, "none"), domain.KindEnvironmentNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
			w.versions.EXPECT().Current(gomock.Any(), assetID, "qa").Return(version("qa", 0, nil), nil)
			w.envs.EXPECT().Get(gomock.Any(), "qa").Return(domain.Environment{Name: "qa"}, tt.envErr)
			got, err := w.svc.Resolve(w.ctx, apiKey, assetSlug, "qa")
			if domain.KindOf(err) != tt.kind {
				t.Fatalf("error = %v, want kind %q", err, tt.kind)
			}
			if err == nil {
				assertJSON(t, got, Resolved{Asset: "billing", Environment: "qa", AssetID: assetID, WithSecrets: true, Config: map[string]map[string]json.RawMessage{}})
			}
		})
	}
}

func TestResolveFailures(t *testing.T) {
	storeErr := domain.Wrap(errTest("database down"), "store failed")
	tests := []struct {
		name  string
		setup func(w *world)
		kind  domain.Kind
	}{
		{"unknown asset", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(domain.Asset{}, domain.Errorf(domain.KindAssetNotFound, "none"))
		}, domain.KindAssetNotFound},
		{"current version", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
			w.versions.EXPECT().Current(gomock.Any(), assetID, "prod").Return(domain.Version{}, storeErr)
		}, domain.KindInternal},
		{"secret bound elsewhere", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
			w.versions.EXPECT().Current(gomock.Any(), assetID, "prod").Return(version("prod", 1, domain.Snapshot{
				"db": {"pw": w.sealed("stage", "db", "pw", `"copied"`)},
			}), nil)
			w.expectTenantKey()
		}, domain.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.setup(w)
			_, err := w.svc.Resolve(w.ctx, apiKey, assetSlug, "prod")
			assertKind(t, err, tt.kind)
			w.assertCommitted(false)
		})
	}
}

// errTest is a plain error for causes.
type errTest string

func (e errTest) Error() string { return string(e) }

func TestResolveStoreCallsDoNotGrowWithValues(t *testing.T) {
	resolveCounting := func(objects, keysPerObject int) (storeCalls, configKeys int) {
		w := newWorld(t)
		m, st := w.sealer()
		snap := domain.Snapshot{}
		for o := range objects {
			obj := "obj" + strconv.Itoa(o)
			snap[obj] = map[string]domain.StoredValue{}
			for k := range keysPerObject {
				key := "key" + strconv.Itoa(k)
				if k%2 == 0 {
					snap[obj][key] = plain(strconv.Itoa(k))
					continue
				}
				sealed, err := m.Seal(w.ctx, st, place{tenant: tenantID, asset: assetID, env: "prod"}.aad(obj, key), []byte(`"s"`))
				if err != nil {
					t.Fatalf("seal: %v", err)
				}
				snap[obj][key] = domain.StoredValue{Secret: true, Sealed: sealed}
			}
		}
		w.assets.EXPECT().BySlug(gomock.Any(), gomock.Any()).AnyTimes().
			DoAndReturn(func(context.Context, string) (domain.Asset, error) { storeCalls++; return testAsset, nil })
		w.versions.EXPECT().Current(gomock.Any(), gomock.Any(), gomock.Any()).AnyTimes().
			DoAndReturn(func(context.Context, domain.AssetID, string) (domain.Version, error) {
				storeCalls++
				return version("prod", 8, snap), nil
			})
		w.envs.EXPECT().Get(gomock.Any(), gomock.Any()).AnyTimes().
			DoAndReturn(func(context.Context, string) (domain.Environment, error) {
				storeCalls++
				return domain.Environment{}, nil
			})
		w.tenants.EXPECT().Get(gomock.Any()).AnyTimes().
			DoAndReturn(func(context.Context) (domain.Tenant, error) { storeCalls++; return w.tenant, nil })
		got, err := w.svc.Resolve(w.ctx, apiKey, assetSlug, "prod")
		if err != nil {
			t.Fatalf("Resolve: %v", err)
		}
		for _, keys := range got.Config {
			configKeys += len(keys)
		}
		return storeCalls, configKeys
	}
	small, smallKeys := resolveCounting(1, 2)
	large, largeKeys := resolveCounting(100, 10)
	if smallKeys != 2 || largeKeys != 1000 {
		t.Fatalf("resolved %d and %d keys, want 2 and 1000", smallKeys, largeKeys)
	}
	// The asset, the current version and, on the key cache's miss, the tenant.
	if small != 3 || large != small {
		t.Fatalf("store calls: %d for 1 object, %d for 100 objects x 10 keys; want 3 for both", small, large)
	}
}

func TestResolveCache(t *testing.T) {
	w := newWorld(t)
	c := cache.New(cache.Deps{})
	c.SetLive(true)
	w.svc.deps.Resolutions = cache.Resolutions(c, w.svc.deps.Resolutions)
	snap := domain.Snapshot{"db": {"host": plain(`"h"`)}}
	// One read of the store serves every later call until a change arrives.
	w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil).Times(2)
	w.versions.EXPECT().Current(gomock.Any(), assetID, "prod").Return(version("prod", 3, snap), nil)
	for i := 0; i < 3; i++ {
		got, err := w.svc.Resolve(w.ctx, apiKey, assetSlug, "prod")
		if err != nil || got.Version != 3 {
			t.Fatalf("call %d: %+v, %v", i, got, err)
		}
	}
	// Authorization still runs on a cached read.
	other := domain.Actor{TenantID: tenantID, APIKeyID: "k", Environment: "stage"}
	if _, err := w.svc.Resolve(w.ctx, other, assetSlug, "prod"); !domain.IsKind(err, domain.KindPermissionDenied) {
		t.Fatalf("a key of another environment read from the cache: %v", err)
	}
	c.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenantID, AssetID: assetID, Environment: "prod"})
	w.versions.EXPECT().Current(gomock.Any(), assetID, "prod").Return(version("prod", 4, snap), nil)
	if got, err := w.svc.Resolve(w.ctx, apiKey, assetSlug, "prod"); err != nil || got.Version != 4 {
		t.Fatalf("after the change: %+v, %v", got, err)
	}
}

// Resolve authorizes before it asks its resolution source, and asks with the
// key of what was authorized: whatever the source (the store, the cache), an
// actor is never answered more than it may see.
func TestResolveAuthorizesBeforeTheSource(t *testing.T) {
	stored := Resolved{Asset: assetSlug, Environment: "prod", Version: 7}
	sourceErr := domain.Errorf(domain.KindAssetNotFound, "none")
	tests := []struct {
		name    string
		actor   domain.Actor
		env     string
		wantKey *ports.ResolutionKey
		kind    domain.Kind
	}{
		{"api key", apiKey, "prod", &ports.ResolutionKey{Tenant: tenantID, Asset: assetSlug, Environment: "prod", WithSecrets: true}, ""},
		{"editor", editor, "prod", &ports.ResolutionKey{Tenant: tenantID, Asset: assetSlug, Environment: "prod", WithSecrets: true}, ""},
		{"viewer", viewer, "prod", &ports.ResolutionKey{Tenant: tenantID, Asset: assetSlug, Environment: "prod"}, ""},
		{"key of another environment", domain.Actor{TenantID: tenantID, APIKeyID: "k", Environment: "stage"}, "prod", nil, domain.KindPermissionDenied},
		{"no tenant", domain.Actor{UserID: "u"}, "prod", nil, domain.KindUnauthenticated},
		{"invalid environment", apiKey, "Not An Env!", nil, domain.KindInvalid},
		{"source error", apiKey, "qa", &ports.ResolutionKey{Tenant: tenantID, Asset: assetSlug, Environment: "qa", WithSecrets: true}, domain.KindAssetNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			source := mocks.NewMockResolutionSource[Resolved](gomock.NewController(t))
			if tt.wantKey != nil {
				var err error
				if tt.kind != "" {
					err = sourceErr
				}
				source.EXPECT().Resolve(gomock.Any(), *tt.wantKey).Return(stored, ports.ReadSet{Asset: assetID}, err)
			}
			svc := New(Deps{Resolutions: source})
			got, err := svc.Resolve(context.Background(), tt.actor, assetSlug, tt.env)
			assertKind(t, err, tt.kind)
			if err == nil && got.Version != stored.Version {
				t.Fatalf("Resolve = %+v, want the source's %+v", got, stored)
			}
			if err != nil && got.Version != 0 {
				t.Fatalf("Resolve failed but returned %+v", got)
			}
		})
	}
}
