package identity

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/cache"
	"github.com/configmat/configmat/core/domain"
)

// malformedCredentials are refused by their checksum, before any store call.
func malformedCredentials(t *testing.T, prefix, other string) map[string]string {
	good := newCredential(t, prefix)
	flipped := []byte(good)
	if flipped[10] == 'A' {
		flipped[10] = 'B'
	} else {
		flipped[10] = 'A'
	}
	return map[string]string{
		"empty":           "",
		"prefix only":     prefix,
		"bad checksum":    string(flipped),
		"truncated":       good[:len(good)-1],
		"extended":        good + "0",
		"other prefix":    newCredential(t, other),
		"bad alphabet":    prefix + strings.Repeat("-", 40) + good[len(good)-6:],
		"surrounded":      " " + good[1:],
		"upper-case kind": strings.ToUpper(prefix) + good[len(prefix):],
	}
}

func TestAuthenticateTokenRefusesMalformedWithoutStoreCall(t *testing.T) {
	for name, token := range malformedCredentials(t, domain.UserTokenPrefix, domain.APIKeyPrefix) {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t) // no transaction expected: any call fails the test
			actor, err := h.svc.AuthenticateToken(context.Background(), token, "")
			wantKind(t, err, domain.KindInvalidToken)
			if actor != (domain.Actor{}) {
				t.Fatalf("actor = %+v, want none", actor)
			}
		})
	}
}

func TestAuthenticateAPIKeyRefusesMalformedWithoutStoreCall(t *testing.T) {
	for name, key := range malformedCredentials(t, domain.APIKeyPrefix, domain.UserTokenPrefix) {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			actor, err := h.svc.AuthenticateAPIKey(context.Background(), key)
			wantKind(t, err, domain.KindInvalidAPIKey)
			if actor != (domain.Actor{}) {
				t.Fatalf("actor = %+v, want none", actor)
			}
		})
	}
}

func TestAuthenticateToken(t *testing.T) {
	token := newCredential(t, domain.UserTokenPrefix)
	digest := domain.CredentialDigest(token)
	past, future := testNow.Add(-time.Second), testNow.Add(time.Hour)
	active := domain.UserToken{ID: "t1", UserID: userA, Digest: digest, ExpiresAt: future}
	memberships := []domain.UserMembership{
		{Tenant: domain.TenantRef{ID: tenantA, Slug: "acme"}, Role: domain.RoleEditor},
		{Tenant: domain.TenantRef{ID: tenantB, Slug: "globex"}, Role: domain.RoleOwner},
	}
	storeDown := domain.Wrap(errors.New("timeout"), "store failed")
	tests := []struct {
		name        string
		slug        string
		stored      domain.UserToken
		lookupErr   error
		memberships []domain.UserMembership
		// listed says whether memberships are looked up.
		listed     bool
		membersErr error
		want       domain.Actor
		wantKind   domain.Kind
	}{
		{name: "first membership", stored: active, memberships: memberships, listed: true,
			want: domain.Actor{TenantID: tenantA, UserID: userA, Role: domain.RoleEditor, Expires: future}},
		{name: "named tenant", slug: "globex", stored: active, memberships: memberships, listed: true,
			want: domain.Actor{TenantID: tenantB, UserID: userA, Role: domain.RoleOwner, Expires: future}},
		{name: "tenant of another user", slug: "initech", stored: active, memberships: memberships, listed: true,
			wantKind: domain.KindTenantNotFound},
		{name: "no membership, no tenant named", stored: active, listed: true,
			want: domain.Actor{UserID: userA, Expires: future}},
		{name: "no membership, tenant named", slug: "acme", stored: active, listed: true,
			wantKind: domain.KindTenantNotFound},
		{name: "unknown token", lookupErr: domain.Errorf(domain.KindInvalidToken, "none"), wantKind: domain.KindInvalidToken},
		{name: "lookup failure", lookupErr: storeDown, wantKind: domain.KindInternal},
		{name: "expired", stored: domain.UserToken{UserID: userA, Digest: digest, ExpiresAt: past}, wantKind: domain.KindInvalidToken},
		{name: "expiring now", stored: domain.UserToken{UserID: userA, Digest: digest, ExpiresAt: testNow}, wantKind: domain.KindInvalidToken},
		{name: "revoked", stored: domain.UserToken{UserID: userA, Digest: digest, ExpiresAt: future, RevokedAt: &past}, wantKind: domain.KindInvalidToken},
		{name: "digest mismatch", stored: domain.UserToken{UserID: userA, Digest: make([]byte, 32), ExpiresAt: future}, wantKind: domain.KindInvalidToken},
		{name: "membership lookup failure", stored: active, listed: true, membersErr: storeDown, wantKind: domain.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.expectGlobalTx()
			h.tokens.EXPECT().ByDigest(gomock.Any(), digest).Return(tt.stored, tt.lookupErr)
			if tt.listed {
				h.dir.EXPECT().MembershipsOfUser(gomock.Any(), userA).Return(tt.memberships, tt.membersErr)
			}
			actor, err := h.svc.AuthenticateToken(context.Background(), token, tt.slug)
			wantKind(t, err, tt.wantKind)
			if actor != tt.want {
				t.Fatalf("actor = %+v, want %+v", actor, tt.want)
			}
			if tt.wantKind == domain.KindTenantNotFound {
				wantDetail(t, err, "tenant", tt.slug)
			}
		})
	}
}

// Every refusal of a well-formed token gives the same answer, so that a
// caller cannot tell an unknown token from an expired or revoked one.
func TestAuthenticateTokenRefusalsLookAlike(t *testing.T) {
	token := newCredential(t, domain.UserTokenPrefix)
	past := testNow.Add(-time.Minute)
	stored := []struct {
		tok domain.UserToken
		err error
	}{
		{err: domain.Errorf(domain.KindInvalidToken, "adapter wording")},
		{tok: domain.UserToken{Digest: domain.CredentialDigest(token), ExpiresAt: past}},
		{tok: domain.UserToken{Digest: domain.CredentialDigest(token), ExpiresAt: testNow.Add(time.Hour), RevokedAt: &past}},
	}
	want := invalidToken().Error()
	for _, s := range stored {
		h := newHarness(t)
		h.expectGlobalTx()
		h.tokens.EXPECT().ByDigest(gomock.Any(), gomock.Any()).Return(s.tok, s.err)
		if _, err := h.svc.AuthenticateToken(context.Background(), token, ""); err == nil || err.Error() != want {
			t.Fatalf("error = %v, want %q", err, want)
		}
	}
	if _, err := newHarness(t).svc.AuthenticateToken(context.Background(), "cmt_nope", ""); err.Error() != want {
		t.Fatalf("malformed token error = %v, want %q", err, want)
	}
}

func TestAuthenticateAPIKey(t *testing.T) {
	key := newCredential(t, domain.APIKeyPrefix)
	digest := domain.CredentialDigest(key)
	past, future := testNow.Add(-time.Second), testNow.Add(time.Hour)
	storeDown := domain.Wrap(errors.New("timeout"), "store failed")
	tests := []struct {
		name      string
		stored    domain.APIKeyCredential
		lookupErr error
		want      domain.Actor
		wantKind  domain.Kind
	}{
		{name: "no expiry, all environments",
			stored: domain.APIKeyCredential{ID: keyA, TenantID: tenantA, Digest: digest},
			want:   domain.Actor{TenantID: tenantA, APIKeyID: keyA}},
		{name: "limited to one environment, expiring later",
			stored: domain.APIKeyCredential{ID: keyA, TenantID: tenantA, Digest: digest, Environment: "prod", ExpiresAt: &future},
			want:   domain.Actor{TenantID: tenantA, APIKeyID: keyA, Environment: "prod", Expires: future}},
		{name: "unknown", lookupErr: domain.Errorf(domain.KindInvalidAPIKey, "none"), wantKind: domain.KindInvalidAPIKey},
		{name: "lookup failure", lookupErr: storeDown, wantKind: domain.KindInternal},
		{name: "expired", stored: domain.APIKeyCredential{ID: keyA, TenantID: tenantA, Digest: digest, ExpiresAt: &past},
			wantKind: domain.KindInvalidAPIKey},
		{name: "revoked", stored: domain.APIKeyCredential{ID: keyA, TenantID: tenantA, Digest: digest, RevokedAt: &past},
			wantKind: domain.KindInvalidAPIKey},
		{name: "digest mismatch", stored: domain.APIKeyCredential{ID: keyA, TenantID: tenantA, Digest: digest[:31]},
			wantKind: domain.KindInvalidAPIKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.expectGlobalTx()
			h.dir.EXPECT().APIKeyByDigest(gomock.Any(), digest).Return(tt.stored, tt.lookupErr)
			actor, err := h.svc.AuthenticateAPIKey(context.Background(), key)
			wantKind(t, err, tt.wantKind)
			if actor != tt.want {
				t.Fatalf("actor = %+v, want %+v", actor, tt.want)
			}
			if err == nil && (actor.Role != "" || actor.Require(domain.RoleViewer) == nil) {
				t.Fatalf("an API key actor must hold no role: %+v", actor)
			}
		})
	}
}

func TestAuthenticateAPIKeyCache(t *testing.T) {
	key := newCredential(t, domain.APIKeyPrefix)
	digest := domain.CredentialDigest(key)
	h := newHarness(t)
	c := cache.New(cache.Deps{Clock: fixedClock{testNow}})
	c.SetLive(true)
	h.svc.deps.APIKeyLookup = cache.APIKeys(c, h.svc.deps.APIKeyLookup)
	stored := domain.APIKeyCredential{ID: keyA, TenantID: tenantA, Digest: digest}

	h.expectGlobalTx().Times(2)
	h.dir.EXPECT().APIKeyByDigest(gomock.Any(), digest).Return(stored, nil)
	for i := 0; i < 3; i++ {
		if _, err := h.svc.AuthenticateAPIKey(context.Background(), key); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// The revocation reaches the cache; the next call reads the store again.
	c.Apply(domain.Change{Kind: domain.ChangeAPIKey, TenantID: tenantA, APIKeyID: keyA})
	revoked := stored
	past := testNow.Add(-time.Second)
	revoked.RevokedAt = &past
	h.dir.EXPECT().APIKeyByDigest(gomock.Any(), digest).Return(revoked, nil)
	_, err := h.svc.AuthenticateAPIKey(context.Background(), key)
	wantKind(t, err, domain.KindInvalidAPIKey)
}
