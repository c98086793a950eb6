package bench

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/cache"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
)

// feedWait bounds how long the benchmarks wait for the change feed.
const feedWait = 10 * time.Second

// newKEK returns a new random key-encryption key.
func newKEK(tb testing.TB) *keys.KEK {
	tb.Helper()
	text, err := keys.GenerateKeyHex(rand.Reader)
	if err != nil {
		tb.Fatalf("generate a key-encryption key: %v", err)
	}
	kek, err := keys.ParseKEK(text)
	if err != nil {
		tb.Fatalf("parse the key-encryption key: %v", err)
	}
	return kek
}

// newCore wires the core over store without the read cache: every call goes
// to the store.
func newCore(tb testing.TB, store feedStore, kek *keys.KEK) *core.Core {
	tb.Helper()
	return core.New(core.Deps{Tx: store, KEK: kek})
}

// cachedStack is the core wired as cmd/configmat wires it: with the read
// cache, which core.New wraps around the store, and the store's change feed
// keeping the cache in step.
type cachedStack struct {
	core  *core.Core
	cache *cache.Cache
	// delivered receives every change the feed applied to the cache, when
	// there is room: a reader drains it before the change it waits for.
	delivered chan domain.Change
}

// newCachedStack wires the cached core over store and returns once the
// change feed is live. The feed stops when tb ends.
func newCachedStack(tb testing.TB, store feedStore, kek *keys.KEK) *cachedStack {
	tb.Helper()
	return newCachedStackWith(tb, store, kek, false)
}

// newCachedStackWith is newCachedStack, without the read audit when noReads
// is set.
func newCachedStackWith(tb testing.TB, store feedStore, kek *keys.KEK, noReads bool) *cachedStack {
	tb.Helper()
	c := cache.New(cache.Deps{})
	s := &cachedStack{
		core:      core.New(core.Deps{Tx: store, KEK: kek, Cache: c, NoReadCounting: noReads}),
		cache:     c,
		delivered: make(chan domain.Change, 1024),
	}
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- store.Listen(ctx, s.apply, c.SetLive) }()
	tb.Cleanup(func() {
		stop()
		if err := <-stopped; err != nil {
			tb.Errorf("change feed: %v", err)
		}
	})
	deadline := time.Now().Add(feedWait)
	for !c.Live() {
		if time.Now().After(deadline) {
			tb.Fatalf("the change feed did not go live within %s", feedWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s
}

// apply invalidates the cache as cmd/configmat does, then tells a waiting
// reader.
func (s *cachedStack) apply(ch domain.Change) {
	s.cache.Apply(ch)
	select {
	case s.delivered <- ch:
	default:
	}
}

// drainDelivered forgets the changes delivered so far.
func (s *cachedStack) drainDelivered() {
	for {
		select {
		case <-s.delivered:
		default:
			return
		}
	}
}

// awaitDelivered waits until the feed has applied a change of asset's values.
func (s *cachedStack) awaitDelivered(tb testing.TB, asset domain.AssetID) {
	tb.Helper()
	timeout := time.After(feedWait)
	for {
		select {
		case ch := <-s.delivered:
			if ch.Kind == domain.ChangeValues && ch.AssetID == asset {
				return
			}
		case <-timeout:
			tb.Fatalf("the change feed did not deliver the change of asset %s within %s", asset, feedWait)
		}
	}
}
