package audit

import (
	"context"
	"sync"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// ReadFlushInterval is how often Run adds the counted reads to the store:
// within the 10 seconds the contract allows, with room for the write.
const ReadFlushInterval = 5 * time.Second

// readKey is what one read count is kept per.
type readKey struct {
	tenant      domain.TenantID
	actor       reader
	asset       string
	environment string
	hour        time.Time
	withSecrets bool
}

// reader is the actor a read is counted for, by the fields that
// domain.Actor.String names it by, so that counting a read builds no string:
// a user by its ID, else an API key by its ID, else the system.
type reader struct {
	user   domain.UserID
	apiKey domain.APIKeyID
}

// readerOf returns actor's reader: two actors have the same exactly when
// their String is the same.
func readerOf(actor domain.Actor) reader {
	switch {
	case actor.UserID != "":
		return reader{user: actor.UserID}
	case actor.APIKeyID != "":
		return reader{apiKey: actor.APIKeyID}
	}
	return reader{}
}

// String is the actor's String.
func (r reader) String() string {
	return domain.Actor{UserID: r.user, APIKeyID: r.apiKey}.String()
}

// ReadCounter counts resolved-configuration reads in memory, per actor,
// asset, environment and hour, and adds them to each tenant's store in the
// background (Run, Flush): a read costs a map increment under a lock, never
// a statement.
type ReadCounter struct {
	tx    ports.Transactor
	clock ports.Clock
	mu    sync.Mutex
	// counts are the reads not yet flushed.
	counts map[readKey]int64
	// flushing serializes flushes.
	flushing sync.Mutex
}

// NewReadCounter returns a counter that flushes through deps.Tx and tells
// the hour with deps.Clock (the system clock when nil).
func NewReadCounter(deps Deps) *ReadCounter {
	if deps.Clock == nil {
		deps.Clock = ports.SystemClock{}
	}
	return &ReadCounter{tx: deps.Tx, clock: deps.Clock, counts: map[readKey]int64{}}
}

// RecordRead counts one read by actor of asset in environment.
func (c *ReadCounter) RecordRead(actor domain.Actor, asset, environment string, withSecrets bool) {
	k := readKey{
		tenant: actor.TenantID, actor: readerOf(actor), asset: asset, environment: environment,
		hour: c.clock.Now().UTC().Truncate(time.Hour), withSecrets: withSecrets,
	}
	c.mu.Lock()
	c.counts[k]++
	c.mu.Unlock()
}

// Flush adds the reads counted so far to the store, one transaction per
// tenant. Counts that could not be written are kept for the next flush.
func (c *ReadCounter) Flush(ctx context.Context) error {
	c.flushing.Lock()
	defer c.flushing.Unlock()
	c.mu.Lock()
	pending := c.counts
	c.counts = map[readKey]int64{}
	c.mu.Unlock()
	type tenantReads struct {
		keys   []readKey
		counts []domain.ReadCount
	}
	byTenant := map[domain.TenantID]*tenantReads{}
	for k, n := range pending {
		reads := byTenant[k.tenant]
		if reads == nil {
			reads = &tenantReads{}
			byTenant[k.tenant] = reads
		}
		reads.keys = append(reads.keys, k)
		reads.counts = append(reads.counts, domain.ReadCount{
			Actor: k.actor.String(), Asset: k.asset, Environment: k.environment, Hour: k.hour, WithSecrets: k.withSecrets, Count: n,
		})
	}
	var first error
	for tenant, reads := range byTenant {
		err := c.tx.InTenant(ctx, tenant, func(ctx context.Context, s ports.TenantTx) error {
			return s.Audit().AddReads(ctx, reads.counts)
		})
		switch {
		case err == nil:
		case domain.IsKind(err, domain.KindTenantNotFound):
			// The tenant was deleted meanwhile: nothing to keep.
		default:
			if first == nil {
				first = err
			}
			c.keep(reads.keys, reads.counts)
		}
	}
	return first
}

// keep puts counts that could not be written back for the next flush,
// under their keys.
func (c *ReadCounter) keep(keys []readKey, counts []domain.ReadCount) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range keys {
		c.counts[k] += counts[i].Count
	}
}

// Run flushes every interval until ctx ends, then once more with final's
// context (the shutdown's), and returns that last flush's error; failed
// flushes in between are told to failed.
func (c *ReadCounter) Run(ctx context.Context, interval time.Duration, final func() (context.Context, context.CancelFunc), failed func(error)) error {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			if err := c.Flush(ctx); err != nil && ctx.Err() == nil && failed != nil {
				failed(err)
			}
		case <-ctx.Done():
			fctx, cancel := final()
			defer cancel()
			return c.Flush(fctx)
		}
	}
}

// Reads returns who read resolved configurations of the actor's tenant, as
// f selects, newest hour first. It requires the admin role.
func (s *Service) Reads(ctx context.Context, actor domain.Actor, f domain.ReadFilter) ([]domain.ReadCount, error) {
	if err := actor.Require(domain.RoleAdmin); err != nil {
		return nil, err
	}
	var out []domain.ReadCount
	err := s.tx.InTenant(ctx, actor.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		var err error
		out, err = st.Audit().Reads(ctx, f)
		return err
	})
	if out == nil {
		out = []domain.ReadCount{}
	}
	return out, err
}
