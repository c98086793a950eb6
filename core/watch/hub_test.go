package watch_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/watch"
	"github.com/configmat/configmat/ports"
)

const (
	tenant  domain.TenantID = "00000000-0000-4000-8000-000000000001"
	assetID domain.AssetID  = "00000000-0000-4000-8000-0000000000a1"
)

// store is a resolution source whose versions the test sets; it counts the
// resolutions asked of it.
type store struct {
	mu       sync.Mutex
	versions map[string]int // by environment; 0: the asset does not exist
	asset    domain.AssetID
	// refs are the versions of the assets every resolution's references read.
	refs  map[domain.AssetID]int
	fail  error
	calls atomic.Int64
	// gate, when set, holds every resolution until it is closed.
	gate chan struct{}
}

func newStore() *store {
	return &store{versions: map[string]int{"prod": 1, "stage": 1}, asset: assetID}
}

func (s *store) set(env string, version int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.versions[env] = version
}

func (s *store) Resolve(ctx context.Context, k ports.ResolutionKey) (catalog.Resolved, ports.ReadSet, error) {
	s.calls.Add(1)
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		<-gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return catalog.Resolved{}, ports.ReadSet{}, s.fail
	}
	v := s.versions[k.Environment]
	if v == 0 || s.asset == "" {
		return catalog.Resolved{}, ports.ReadSet{}, domain.Errorf(domain.KindAssetNotFound, "The requested asset does not exist.")
	}
	r := catalog.Resolved{Asset: k.Asset, Environment: k.Environment, Version: v, AssetID: s.asset, WithSecrets: k.WithSecrets}
	for _, id := range slices.Sorted(maps.Keys(s.refs)) {
		r.Dependencies = append(r.Dependencies, catalog.Dependency{AssetID: id, Version: s.refs[id]})
	}
	return r, r.Reads(), nil
}

// access authorizes like catalog's rule for API keys, which is all these
// tests use.
type access struct{}

func (access) Access(actor domain.Actor, slug, env string) (ports.ResolutionKey, error) {
	if actor.Environment != "" && actor.Environment != env {
		return ports.ResolutionKey{}, domain.Errorf(domain.KindPermissionDenied, "This API key is limited to another environment.")
	}
	return ports.ResolutionKey{Tenant: actor.TenantID, Asset: slug, Environment: env, WithSecrets: true}, nil
}

func newHub(t *testing.T, s *store, mutate ...func(*watch.Deps)) *watch.Hub {
	t.Helper()
	d := watch.Deps{Access: access{}, Resolutions: s, Retry: 10 * time.Millisecond}
	for _, m := range mutate {
		m(&d)
	}
	h := watch.New(d)
	t.Cleanup(h.Close)
	return h
}

func keyActor(id domain.APIKeyID) domain.Actor {
	return domain.Actor{TenantID: tenant, APIKeyID: id}
}

// next returns the next resolution of sub, failing after a generous
// deadline (the hub resolves in the background).
func next(t *testing.T, sub *watch.Subscription) catalog.Resolved {
	t.Helper()
	select {
	case r := <-sub.Events():
		return r
	case <-sub.Done():
		select {
		case r := <-sub.Events():
			return r
		default:
		}
		t.Fatalf("subscription ended: %v", sub.Err())
	case <-time.After(5 * time.Second):
		t.Fatal("no resolution within 5 s")
	}
	return catalog.Resolved{}
}

// ended waits for sub to end and returns why.
func ended(t *testing.T, sub *watch.Subscription) error {
	t.Helper()
	select {
	case <-sub.Done():
		return sub.Err()
	case <-time.After(5 * time.Second):
		t.Fatal("the subscription did not end within 5 s")
	}
	return nil
}

func TestSubscribeDeliversCurrentThenEachChange(t *testing.T) {
	s := newStore()
	h := newHub(t, s)
	sub, err := h.Subscribe(t.Context(), keyActor("k1"), "billing", "prod", watch.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if r := next(t, sub); r.Version != 1 || r.Asset != "billing" || r.Environment != "prod" {
		t.Fatalf("first resolution %+v", r)
	}
	for v := 2; v <= 4; v++ {
		s.set("prod", v)
		h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID, Environment: "prod"})
		if r := next(t, sub); r.Version != v {
			t.Fatalf("after change to %d: version %d", v, r.Version)
		}
	}
	// Changes that leave this resolution as it is send nothing: another
	// environment, another asset, another tenant, a change that changed
	// nothing it reads.
	s.set("stage", 9)
	for _, ch := range []domain.Change{
		{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID, Environment: "stage"},
		{Kind: domain.ChangeValues, TenantID: tenant, AssetID: "00000000-0000-4000-8000-0000000000b2", Environment: "prod"},
		{Kind: domain.ChangeValues, TenantID: "00000000-0000-4000-8000-000000000002", AssetID: assetID, Environment: "prod"},
		{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID},
	} {
		h.Apply(ch)
	}
	// A topic's resolutions run one after the other and are handed out in
	// that order: had any of those changes sent something, it would come
	// before the next version.
	s.set("prod", 5)
	h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID, Environment: "prod"})
	if r := next(t, sub); r.Version != 5 {
		t.Fatalf("version %d, want 5 and nothing before it", r.Version)
	}
}

func TestAChangeOfAReferencedAssetIsAnEvent(t *testing.T) {
	const shared domain.AssetID = "00000000-0000-4000-8000-0000000000c3"
	const unrelated domain.AssetID = "00000000-0000-4000-8000-0000000000d4"
	s := newStore()
	s.refs = map[domain.AssetID]int{shared: 1}
	h := newHub(t, s)
	sub, err := h.Subscribe(t.Context(), keyActor("k1"), "billing", "prod", watch.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if r := next(t, sub); r.Version != 1 || len(r.Dependencies) != 1 || r.Dependencies[0].Version != 1 {
		t.Fatalf("first resolution %+v", r)
	}
	// The referenced asset changes: same version, other content.
	s.mu.Lock()
	s.refs[shared] = 2
	s.mu.Unlock()
	h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: shared, Environment: "prod"})
	if r := next(t, sub); r.Version != 1 || r.Dependencies[0] != (catalog.Dependency{AssetID: shared, Version: 2}) {
		t.Fatalf("after the referenced asset changed: %+v", r)
	}
	// A change of the referenced asset elsewhere, of an asset nobody
	// references, or one that leaves the read versions as they were sends
	// nothing.
	calls := s.calls.Load()
	h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: shared, Environment: "stage"})
	h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: unrelated, Environment: "prod"})
	h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: shared, Environment: "prod"})
	s.set("prod", 2)
	h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID, Environment: "prod"})
	if r := next(t, sub); r.Version != 2 {
		t.Fatalf("version %d, want 2 and nothing before it", r.Version)
	}
	if got := s.calls.Load() - calls; got > 2 {
		t.Errorf("%d resolutions for two changes that concern the topic", got)
	}
}

func TestOneResolutionPerChangeForEverySubscriber(t *testing.T) {
	s := newStore()
	h := newHub(t, s)
	subs := make([]*watch.Subscription, 500)
	for i := range subs {
		sub, err := h.Subscribe(t.Context(), keyActor("k1"), "billing", "prod", watch.Stream)
		if err != nil {
			t.Fatal(err)
		}
		subs[i] = sub
	}
	for _, sub := range subs {
		next(t, sub)
	}
	if got := s.calls.Load(); got != 1 {
		t.Fatalf("%d resolutions for 500 subscribers of one topic, want 1", got)
	}
	s.set("prod", 2)
	h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID, Environment: "prod"})
	for _, sub := range subs {
		if r := next(t, sub); r.Version != 2 {
			t.Fatalf("version %d", r.Version)
		}
	}
	if got := s.calls.Load(); got != 2 {
		t.Fatalf("%d resolutions after one change, want 2", got)
	}
	if h.Streams() != 500 {
		t.Fatalf("Streams() = %d", h.Streams())
	}
	for _, sub := range subs {
		sub.Close()
	}
	if h.Streams() != 0 {
		t.Fatalf("Streams() = %d after closing all", h.Streams())
	}
}

func TestChangeDuringResolutionIsNotLost(t *testing.T) {
	s := newStore()
	h := newHub(t, s)
	sub, err := h.Subscribe(t.Context(), keyActor("k1"), "billing", "prod", watch.Stream)
	if err != nil {
		t.Fatal(err)
	}
	next(t, sub)
	gate := make(chan struct{})
	s.mu.Lock()
	s.gate = gate
	s.mu.Unlock()
	calls := s.calls.Load()
	h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID, Environment: "prod"})
	for s.calls.Load() == calls {
		time.Sleep(time.Millisecond)
	}
	// The resolution has started and reads version 1 or 2; a change
	// committed now must be resolved again after it.
	s.set("prod", 2)
	h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID, Environment: "prod"})
	s.mu.Lock()
	s.gate = nil
	s.mu.Unlock()
	close(gate)
	if r := next(t, sub); r.Version != 2 {
		t.Fatalf("version %d, want 2", r.Version)
	}
}

func TestSubscriptionsEnd(t *testing.T) {
	user := domain.Actor{TenantID: tenant, UserID: "00000000-0000-4000-8000-0000000000c1", Role: domain.RoleEditor}
	tests := []struct {
		name  string
		actor domain.Actor
		act   func(*watch.Hub, *store)
		want  error
	}{
		{"asset deleted", keyActor("k1"), func(h *watch.Hub, s *store) {
			s.mu.Lock()
			s.asset = ""
			s.mu.Unlock()
			h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID})
		}, watch.ErrDeleted},
		{"asset deleted and created again", keyActor("k1"), func(h *watch.Hub, s *store) {
			s.mu.Lock()
			s.asset = "00000000-0000-4000-8000-0000000000a2"
			s.mu.Unlock()
			h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID})
		}, watch.ErrDeleted},
		{"its API key revoked", keyActor("k1"), func(h *watch.Hub, _ *store) {
			h.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenant, APIKeyID: "k1"})
		}, watch.ErrCredentialEnded},
		{"every key of the tenant revoked", keyActor("k1"), func(h *watch.Hub, _ *store) {
			h.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenant})
		}, watch.ErrCredentialEnded},
		{"the user's membership changed", user, func(h *watch.Hub, _ *store) {
			h.Apply(domain.Change{Kind: domain.ChangeMember, TenantID: tenant, UserID: user.UserID})
		}, watch.ErrCredentialEnded},
		{"the credential expired", domain.Actor{TenantID: tenant, APIKeyID: "k1", Expires: time.Now().Add(50 * time.Millisecond)}, func(*watch.Hub, *store) {}, watch.ErrCredentialEnded},
		{"shutdown", keyActor("k1"), func(h *watch.Hub, _ *store) { h.Close() }, watch.ErrShutdown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore()
			h := newHub(t, s)
			sub, err := h.Subscribe(t.Context(), tt.actor, "billing", "prod", watch.Stream)
			if err != nil {
				t.Fatal(err)
			}
			next(t, sub)
			tt.act(h, s)
			if got := ended(t, sub); !errors.Is(got, tt.want) {
				t.Fatalf("ended with %v, want %v", got, tt.want)
			}
			if h.Streams() != 0 {
				t.Fatalf("Streams() = %d after the end", h.Streams())
			}
		})
	}
}

func TestCredentialChangesEndOnlyTheirSubscriptions(t *testing.T) {
	s := newStore()
	h := newHub(t, s)
	other := domain.Actor{TenantID: tenant, UserID: "00000000-0000-4000-8000-0000000000c2", Role: domain.RoleViewer}
	subs := map[string]*watch.Subscription{}
	for name, actor := range map[string]domain.Actor{"k2": keyActor("k2"), "user": other} {
		sub, err := h.Subscribe(t.Context(), actor, "billing", "prod", watch.Stream)
		if err != nil {
			t.Fatal(err)
		}
		next(t, sub)
		subs[name] = sub
	}
	h.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenant, APIKeyID: "k1"})
	h.Apply(domain.Change{Kind: domain.ChangeMember, TenantID: tenant, UserID: "00000000-0000-4000-8000-0000000000c1"})
	h.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: "00000000-0000-4000-8000-000000000002"})
	// Apply ends what it ends before it returns.
	for name, sub := range subs {
		if err := sub.Err(); err != nil {
			t.Fatalf("%s ended: %v", name, err)
		}
	}
}

func TestSlowSubscriberIsDroppedWithoutDelayingOthers(t *testing.T) {
	s := newStore()
	h := newHub(t, s, func(d *watch.Deps) { d.Buffer = 2 })
	slow, err := h.Subscribe(t.Context(), keyActor("k1"), "billing", "prod", watch.Stream)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := h.Subscribe(t.Context(), keyActor("k1"), "billing", "prod", watch.Stream)
	if err != nil {
		t.Fatal(err)
	}
	next(t, fast)
	for v := 2; v <= 5; v++ {
		s.set("prod", v)
		h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID, Environment: "prod"})
		if r := next(t, fast); r.Version != v {
			t.Fatalf("fast subscriber: version %d, want %d", r.Version, v)
		}
	}
	if got := ended(t, slow); !errors.Is(got, watch.ErrTooSlow) {
		t.Fatalf("slow subscriber ended with %v", got)
	}
}

func TestSubscribeRefuses(t *testing.T) {
	notFound := domain.Errorf(domain.KindAssetNotFound, "The requested asset does not exist.")
	tests := []struct {
		name  string
		setup func(*watch.Hub, *store)
		actor domain.Actor
		kind  watch.Kind
		want  domain.Kind
	}{
		{"over MaxStreams", func(h *watch.Hub, _ *store) {
			if _, err := h.Subscribe(context.Background(), keyActor("k1"), "billing", "prod", watch.Stream); err != nil {
				panic(err)
			}
		}, keyActor("k1"), watch.Stream, domain.KindUnavailable},
		{"after Close", func(h *watch.Hub, _ *store) { h.Close() }, keyActor("k1"), watch.LongPoll, domain.KindUnavailable},
		{"no such asset", func(_ *watch.Hub, s *store) { s.fail = notFound }, keyActor("k1"), watch.Stream, domain.KindAssetNotFound},
		{"the store is down", func(_ *watch.Hub, s *store) { s.fail = domain.Errorf(domain.KindUnavailable, "down") }, keyActor("k1"), watch.Stream, domain.KindUnavailable},
		{"a key of another environment", func(*watch.Hub, *store) {}, domain.Actor{TenantID: tenant, APIKeyID: "k1", Environment: "stage"}, watch.Stream, domain.KindPermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore()
			h := newHub(t, s, func(d *watch.Deps) { d.MaxStreams = 1 })
			tt.setup(h, s)
			before := h.Streams()
			_, err := h.Subscribe(t.Context(), tt.actor, "billing", "prod", tt.kind)
			if !domain.IsKind(err, tt.want) {
				t.Fatalf("error %v, want kind %s", err, tt.want)
			}
			if h.Streams() != before {
				t.Fatalf("Streams() = %d, was %d", h.Streams(), before)
			}
		})
	}
}

func TestLongPollsAreNotCounted(t *testing.T) {
	s := newStore()
	h := newHub(t, s, func(d *watch.Deps) { d.MaxStreams = 1 })
	if _, err := h.Subscribe(t.Context(), keyActor("k1"), "billing", "prod", watch.Stream); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := h.Subscribe(t.Context(), keyActor("k1"), "billing", "prod", watch.LongPoll); err != nil {
			t.Fatalf("long poll refused: %v", err)
		}
	}
}

func TestFailedResolutionIsRetriedAndLiveFeedResyncs(t *testing.T) {
	s := newStore()
	h := newHub(t, s)
	sub, err := h.Subscribe(t.Context(), keyActor("k1"), "billing", "prod", watch.Stream)
	if err != nil {
		t.Fatal(err)
	}
	next(t, sub)
	s.mu.Lock()
	s.fail = domain.Errorf(domain.KindUnavailable, "down")
	s.versions["prod"] = 2
	s.mu.Unlock()
	h.Apply(domain.Change{Kind: domain.ChangeValues, TenantID: tenant, AssetID: assetID, Environment: "prod"})
	calls := s.calls.Load()
	for s.calls.Load() < calls+2 {
		time.Sleep(time.Millisecond)
	}
	s.mu.Lock()
	s.fail = nil
	s.mu.Unlock()
	if r := next(t, sub); r.Version != 2 {
		t.Fatalf("version %d after the store came back", r.Version)
	}
	// A change missed while the feed was down is found when it is live.
	s.set("prod", 3)
	h.SetLive(false)
	h.SetLive(true)
	if r := next(t, sub); r.Version != 3 {
		t.Fatalf("version %d after the feed came back", r.Version)
	}
}
