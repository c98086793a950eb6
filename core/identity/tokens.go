package identity

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// issueToken creates a user token for user valid for the configured TTL and
// stores only its digest; the token text is returned once.
func (s *Service) issueToken(ctx context.Context, tokens ports.TokenStore, user domain.UserID) (IssuedToken, error) {
	text, err := domain.NewCredential(domain.UserTokenPrefix, s.deps.Random)
	if err != nil {
		return IssuedToken{}, err
	}
	id, err := newID(s.deps.Random)
	if err != nil {
		return IssuedToken{}, err
	}
	now := s.now()
	t := domain.UserToken{
		ID:        id,
		UserID:    user,
		Digest:    domain.CredentialDigest(text),
		ExpiresAt: now.Add(s.deps.TokenTTL),
		CreatedAt: now,
	}
	if err := tokens.Create(ctx, t); err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{Token: text, ExpiresAt: t.ExpiresAt}, nil
}
