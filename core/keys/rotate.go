package keys

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// RotationBatch is how many tenants Rotate lists at a time.
const RotationBatch = 100

// Usage returns how many data keys each key-encryption key wraps.
func (m *Manager) Usage(ctx context.Context, tx ports.Transactor) ([]domain.DataKeyUse, error) {
	var uses []domain.DataKeyUse
	err := tx.Global(ctx, func(ctx context.Context, s ports.GlobalTx) error {
		var err error
		uses, err = s.Directory().DataKeyUses(ctx)
		return err
	})
	return uses, err
}

// OnPrevious counts the data keys that a key other than the KEK wraps.
func OnPrevious(uses []domain.DataKeyUse, current string) int64 {
	var n int64
	for _, u := range uses {
		if u.KeyID != current {
			n += u.Tenants
		}
	}
	return n
}

// RotationProgress is reported after every batch of Rotate.
type RotationProgress struct {
	// Rewrapped counts the data keys this run rewrapped so far.
	Rewrapped int64
	// Left counts the data keys still on a previous key.
	Left int64
}

// Rotate rewraps every tenant's data key that a previous key wraps under
// the KEK, one tenant per transaction, batch tenants at a time, and reports
// progress after each batch. It touches no secret's ciphertext: the data key
// itself stays the same, so servers holding it keep working. Each rewrap
// replaces the wrapped key only if it is still the one read (a compare and
// swap): a second run or a racing server never loses a key, and a run that
// was interrupted resumes where it stopped. A data key of an unknown key
// stops it (an *UnknownKEKError in the chain).
func (m *Manager) Rotate(ctx context.Context, tx ports.Transactor, batch int, progress func(RotationProgress)) (RotationProgress, error) {
	if batch <= 0 {
		batch = RotationBatch
	}
	var p RotationProgress
	for {
		var tenants []domain.TenantID
		err := tx.Global(ctx, func(ctx context.Context, s ports.GlobalTx) error {
			var err error
			tenants, err = s.Directory().TenantsNotOnKey(ctx, m.CurrentKeyID(), batch)
			return err
		})
		if err != nil {
			return p, err
		}
		for _, tenant := range tenants {
			done, err := m.rewrap(ctx, tx, tenant)
			if err != nil {
				return p, err
			}
			if done {
				p.Rewrapped++
			}
		}
		uses, err := m.Usage(ctx, tx)
		if err != nil {
			return p, err
		}
		p.Left = OnPrevious(uses, m.CurrentKeyID())
		if progress != nil {
			progress(p)
		}
		if len(tenants) == 0 || p.Left == 0 {
			return p, nil
		}
	}
}

// rewrap rewraps one tenant's data key under the KEK in a transaction of its
// own; false when it already was (another run got there first).
func (m *Manager) rewrap(ctx context.Context, tx ports.Transactor, tenant domain.TenantID) (bool, error) {
	done := false
	err := tx.InTenant(ctx, tenant, func(ctx context.Context, s ports.TenantTx) error {
		t, err := s.Tenants().Get(ctx)
		if err != nil {
			return err
		}
		if t.DataKey.KeyID == m.CurrentKeyID() {
			return nil
		}
		dek, err := m.unwrap(tenant, t.DataKey)
		if err != nil {
			return err
		}
		defer clear(dek)
		to, err := m.kek.wrap(m.random, tenant, dek)
		if err != nil {
			return err
		}
		err = s.Tenants().RewrapDataKey(ctx, t.DataKey, to)
		if domain.IsKind(err, domain.KindConflict) {
			return nil
		}
		done = err == nil
		return err
	})
	return done, err
}
