package identity

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Me returns the actor's user and memberships; any user actor may ask, with
// or without a tenant. PERMISSION_DENIED for an API key,
// AUTHENTICATION_REQUIRED for an actor that is no user.
func (s *Service) Me(ctx context.Context, actor domain.Actor) (Me, error) {
	switch {
	case actor.IsAPIKey():
		return Me{}, domain.Errorf(domain.KindPermissionDenied, "API keys cannot read a user profile.")
	case !actor.IsUser():
		return Me{}, domain.Errorf(domain.KindUnauthenticated, "Authentication is required.")
	}
	var me Me
	err := s.deps.Tx.Global(ctx, func(ctx context.Context, g ports.GlobalTx) error {
		user, err := g.Users().ByID(ctx, actor.UserID)
		if err != nil {
			return err
		}
		memberships, err := g.Directory().MembershipsOfUser(ctx, actor.UserID)
		if err != nil {
			return err
		}
		if memberships == nil {
			memberships = []domain.UserMembership{}
		}
		me = Me{User: user.Ref(), Memberships: memberships}
		return nil
	})
	if err != nil {
		return Me{}, err
	}
	return me, nil
}
