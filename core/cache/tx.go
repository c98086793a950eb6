package cache

import (
	"context"
	"sync"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// WrapTransactor returns a Transactor that applies to c, right after a
// successful commit, every change the transaction published: the process's
// own writes are visible to its own next read, without waiting for the feed.
// core.New applies it; wrapping twice for the same cache wraps once.
func WrapTransactor(inner ports.Transactor, c *Cache) ports.Transactor {
	if t, ok := inner.(*transactor); ok && t.cache == c {
		return t
	}
	return &transactor{inner: inner, cache: c}
}

type transactor struct {
	inner ports.Transactor
	cache *Cache
}

func (t *transactor) InTenant(ctx context.Context, tenant domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
	rec := &recorder{}
	err := t.inner.InTenant(ctx, tenant, func(ctx context.Context, s ports.TenantTx) error {
		return fn(ctx, recordingStores{TenantTx: s, rec: rec})
	})
	if err == nil {
		for _, ch := range rec.changes() {
			t.cache.Apply(ch)
		}
	}
	return err
}

func (t *transactor) Global(ctx context.Context, fn func(context.Context, ports.GlobalTx) error) error {
	return t.inner.Global(ctx, fn)
}

type recorder struct {
	mu   sync.Mutex
	list []domain.Change
}

func (r *recorder) add(ch domain.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, ch)
}

func (r *recorder) changes() []domain.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.list
}

type recordingStores struct {
	ports.TenantTx
	rec *recorder
}

func (s recordingStores) Changes() ports.ChangePublisher {
	return recordingPublisher{inner: s.TenantTx.Changes(), rec: s.rec}
}

type recordingPublisher struct {
	inner ports.ChangePublisher
	rec   *recorder
}

func (p recordingPublisher) Publish(ctx context.Context, ch domain.Change) error {
	if err := p.inner.Publish(ctx, ch); err != nil {
		return err
	}
	p.rec.add(ch)
	return nil
}
