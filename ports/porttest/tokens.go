package porttest

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

func testTokens(t *testing.T, open Opener) {
	tx := open(t)
	u := NewUser(t, tx)
	tok := domain.UserToken{
		ID:        uuid.NewString(),
		UserID:    u.ID,
		Digest:    domain.CredentialDigest("cmt_token-one"),
		ExpiresAt: at(86400),
		CreatedAt: at(20),
	}
	MustGlobal(t, tx, func(ctx context.Context, s ports.GlobalTx) error { return s.Tokens().Create(ctx, tok) })

	byDigest := func(t *testing.T, digest []byte) (domain.UserToken, error) {
		var got domain.UserToken
		err := tx.Global(t.Context(), func(ctx context.Context, s ports.GlobalTx) error {
			var err error
			got, err = s.Tokens().ByDigest(ctx, digest)
			return err
		})
		return got, err
	}

	t.Run("ByDigestRoundTrip", func(t *testing.T) {
		got, err := byDigest(t, tok.Digest)
		mustNot(t, err)
		if got.ID != tok.ID || got.UserID != tok.UserID || !bytes.Equal(got.Digest, tok.Digest) || got.RevokedAt != nil {
			t.Errorf("token = %+v, want %+v", got, tok)
		}
		wantTime(t, "ExpiresAt", got.ExpiresAt, tok.ExpiresAt)
		wantTime(t, "CreatedAt", got.CreatedAt, tok.CreatedAt)
	})

	t.Run("ByDigestUnknown", func(t *testing.T) {
		_, err := byDigest(t, domain.CredentialDigest("cmt_unknown"))
		wantKind(t, err, domain.KindInvalidToken)
	})

	t.Run("Revoke", func(t *testing.T) {
		revokedAt := at(30)
		MustGlobal(t, tx, func(ctx context.Context, s ports.GlobalTx) error {
			return s.Tokens().Revoke(ctx, tok.ID, revokedAt)
		})
		got, err := byDigest(t, tok.Digest)
		mustNot(t, err)
		if !sameTime(got.RevokedAt, &revokedAt) {
			t.Errorf("RevokedAt = %v, want %v", got.RevokedAt, revokedAt)
		}
	})

	t.Run("RevokeUnknown", func(t *testing.T) {
		err := tx.Global(t.Context(), func(ctx context.Context, s ports.GlobalTx) error {
			return s.Tokens().Revoke(ctx, uuid.NewString(), at(31))
		})
		wantKind(t, err, domain.KindInvalidToken)
	})
}
