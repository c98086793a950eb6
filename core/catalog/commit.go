package catalog

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// commitVersion stores v as the next version of its pair, announces the
// change and appends its audit entry, all in the caller's transaction. The
// audit entry comes last: appending it locks the tenant's chain head, which
// every write of the tenant waits for, so it is held from the last
// statement to the commit and no longer.
func (s *Service) commitVersion(ctx context.Context, st ports.TenantTx, actor domain.Actor, slug string, v domain.Version, action string, details any) error {
	if err := st.Versions().Create(ctx, v); err != nil {
		return err
	}
	if err := st.Changes().Publish(ctx, domain.Change{
		Kind:        domain.ChangeValues,
		TenantID:    actor.TenantID,
		AssetID:     v.AssetID,
		Environment: v.Environment,
	}); err != nil {
		return err
	}
	return s.deps.Audit.Append(ctx, st.Audit(), actor, action, assetTarget(slug), details)
}
