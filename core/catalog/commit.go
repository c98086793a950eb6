package catalog

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// commitVersion stores v as the next version of its pair, appends its audit
// entry and announces the change, all in the caller's transaction.
func (s *Service) commitVersion(ctx context.Context, st ports.TenantTx, actor domain.Actor, slug string, v domain.Version, action string, details any) error {
	if err := st.Versions().Create(ctx, v); err != nil {
		return err
	}
	if err := s.deps.Audit.Append(ctx, st.Audit(), actor, action, assetTarget(slug), details); err != nil {
		return err
	}
	return st.Changes().Publish(ctx, domain.Change{
		Kind:        domain.ChangeValues,
		TenantID:    actor.TenantID,
		AssetID:     v.AssetID,
		Environment: v.Environment,
	})
}
