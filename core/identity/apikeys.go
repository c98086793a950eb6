package identity

import (
	"context"
	"strings"
	"time"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// ListAPIKeys lists the tenant's API keys without their secret part (admin),
// newest first.
func (s *Service) ListAPIKeys(ctx context.Context, actor domain.Actor) ([]domain.APIKey, error) {
	if err := requireRole(actor, domain.RoleAdmin); err != nil {
		return nil, err
	}
	var list []domain.APIKey
	err := s.deps.Tx.InTenant(ctx, actor.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		var err error
		list, err = st.APIKeys().List(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]domain.APIKey, len(list))
	for i, k := range list {
		k.Digest = nil
		out[i] = k
	}
	return out, nil
}

// CreateAPIKey creates an API key (admin); the key text is returned only here.
// The environment, when given, must exist (ENVIRONMENT_NOT_FOUND); an expiry
// must lie in the future.
func (s *Service) CreateAPIKey(ctx context.Context, actor domain.Actor, in APIKeyInput) (CreatedAPIKey, error) {
	if err := requireRole(actor, domain.RoleAdmin); err != nil {
		return CreatedAPIKey{}, err
	}
	now := s.now()
	p := domain.Problems{}
	domain.CheckText(p, "name", in.Name, domain.MaxNameLength, true)
	if in.Environment != "" {
		domain.CheckEnvironmentName(p, "environment", in.Environment)
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		p.Add("expires_at", "must be in the future")
	}
	if err := p.Err(); err != nil {
		return CreatedAPIKey{}, err
	}
	var expires *time.Time
	if in.ExpiresAt != nil {
		// Stored in UTC at the stores' precision, whatever offset it came with.
		utc := in.ExpiresAt.UTC().Truncate(time.Microsecond)
		expires = &utc
	}
	text, err := domain.NewCredential(domain.APIKeyPrefix, s.deps.Random)
	if err != nil {
		return CreatedAPIKey{}, err
	}
	id, err := newID(s.deps.Random)
	if err != nil {
		return CreatedAPIKey{}, err
	}
	key := domain.APIKey{
		ID:          domain.APIKeyID(id),
		TenantID:    actor.TenantID,
		Name:        strings.TrimSpace(in.Name),
		Prefix:      text[:domain.DisplayPrefixLength],
		Digest:      domain.CredentialDigest(text),
		Environment: in.Environment,
		ExpiresAt:   expires,
		CreatedAt:   now,
		CreatedBy:   actor.String(),
	}
	err = s.deps.Tx.InTenant(ctx, actor.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		if key.Environment != "" {
			if _, err := st.Environments().Get(ctx, key.Environment); err != nil {
				return err
			}
		}
		if err := st.APIKeys().Create(ctx, key); err != nil {
			return err
		}
		details := map[string]any{"id": string(key.ID), "name": key.Name, "environment": key.Environment}
		return s.audit.Append(ctx, st.Audit(), actor, domain.ActionAPIKeyCreated, apiKeyTarget(key.ID), details)
	})
	if err != nil {
		return CreatedAPIKey{}, err
	}
	key.Digest = nil
	return CreatedAPIKey{APIKey: key, Key: text}, nil
}

// RevokeAPIKey revokes a key at once (admin): every process's cache is told
// to drop it when the transaction commits. API_KEY_NOT_FOUND for an unknown
// or already revoked key.
func (s *Service) RevokeAPIKey(ctx context.Context, actor domain.Actor, id domain.APIKeyID) error {
	if err := requireRole(actor, domain.RoleAdmin); err != nil {
		return err
	}
	if !validUUID(string(id)) {
		return apiKeyNotFound(id)
	}
	return s.deps.Tx.InTenant(ctx, actor.TenantID, func(ctx context.Context, st ports.TenantTx) error {
		if err := st.APIKeys().Revoke(ctx, id, s.now()); err != nil {
			return err
		}
		if err := st.Changes().Publish(ctx, domain.Change{Kind: domain.ChangeAPIKey, TenantID: actor.TenantID, APIKeyID: id}); err != nil {
			return err
		}
		// The tenant's chain head last, just before the commit.
		details := map[string]any{"id": string(id)}
		return s.audit.Append(ctx, st.Audit(), actor, domain.ActionAPIKeyRevoked, apiKeyTarget(id), details)
	})
}
