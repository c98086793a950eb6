package identity

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

const rightPassword = "the right password"

func TestLogin(t *testing.T) {
	storeDown := domain.Wrap(errors.New("connection reset"), "could not read the user")
	tests := []struct {
		name     string
		email    string
		password string
		setup    func(t *testing.T, h *harness)
		wantKind domain.Kind
		// wantErr, when set, must be the very error returned.
		wantErr         error
		wantDerivations int
		wantCommits     int
	}{
		{
			name: "right password issues a token", email: "  Ada@Example.COM ", password: rightPassword,
			setup: func(t *testing.T, h *harness) {
				h.expectGlobalTx().Times(2)
				h.users.EXPECT().ByEmail(gomock.Any(), "ada@example.com").
					Return(domain.User{ID: userA, Email: "ada@example.com", PasswordHash: h.hashOf(t, rightPassword)}, nil)
				h.tokens.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil)
			},
			wantDerivations: 1, wantCommits: 2,
		},
		{
			name: "store failure is returned", email: "ada@example.com", password: rightPassword,
			setup: func(t *testing.T, h *harness) {
				h.expectGlobalTx()
				h.users.EXPECT().ByEmail(gomock.Any(), "ada@example.com").Return(domain.User{}, storeDown)
			},
			wantKind: domain.KindInternal, wantErr: storeDown,
		},
		{
			name: "corrupt stored hash is internal", email: "ada@example.com", password: rightPassword,
			setup: func(t *testing.T, h *harness) {
				h.expectGlobalTx()
				h.users.EXPECT().ByEmail(gomock.Any(), "ada@example.com").
					Return(domain.User{ID: userA, PasswordHash: "$argon2id$broken"}, nil)
			},
			wantKind: domain.KindInternal, wantCommits: 1,
		},
		{
			name: "token store failure is returned", email: "ada@example.com", password: rightPassword,
			setup: func(t *testing.T, h *harness) {
				h.expectGlobalTx().Times(2)
				h.users.EXPECT().ByEmail(gomock.Any(), "ada@example.com").
					Return(domain.User{ID: userA, PasswordHash: h.hashOf(t, rightPassword)}, nil)
				h.tokens.EXPECT().Create(gomock.Any(), gomock.Any()).Return(storeDown)
			},
			wantKind: domain.KindInternal, wantErr: storeDown, wantDerivations: 1, wantCommits: 1,
		},
		{
			name: "over-long password is refused without a lookup", email: "ada@example.com",
			password: strings.Repeat("p", domain.MaxPasswordLength+1),
			setup:    func(t *testing.T, h *harness) {},
			wantKind: domain.KindInvalidCredentials,
		},
		{
			name: "an email no user can have costs a hash and no lookup", email: "a\x00@example.com", password: rightPassword,
			setup: func(t *testing.T, h *harness) {
				h.svc.passwords.burn("warm up the dummy hash")
				h.derivations = 0
			},
			wantKind: domain.KindInvalidCredentials, wantDerivations: 1,
		},
		{
			name: "missing email", email: " ", password: rightPassword,
			setup: func(t *testing.T, h *harness) {}, wantKind: domain.KindInvalid,
		},
		{
			name: "missing password", email: "ada@example.com",
			setup: func(t *testing.T, h *harness) {}, wantKind: domain.KindInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.setup(t, h)
			got, err := h.svc.Login(context.Background(), tt.email, tt.password)
			wantKind(t, err, tt.wantKind)
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if h.derivations != tt.wantDerivations || h.commits != tt.wantCommits {
				t.Fatalf("derivations, commits = %d, %d; want %d, %d", h.derivations, h.commits, tt.wantDerivations, tt.wantCommits)
			}
			if err != nil {
				if got != (IssuedToken{}) {
					t.Fatalf("a failed login returned %+v", got)
				}
				return
			}
			if !domain.WellFormedCredential(domain.UserTokenPrefix, got.Token) || !got.ExpiresAt.Equal(testNow.Add(time.Hour)) {
				t.Fatalf("issued %+v, want a well-formed token expiring in one hour", got)
			}
		})
	}
}

func TestLoginStoresOnlyTheTokenDigest(t *testing.T) {
	h := newHarness(t)
	h.expectGlobalTx().Times(2)
	h.users.EXPECT().ByEmail(gomock.Any(), "ada@example.com").
		Return(domain.User{ID: userA, PasswordHash: h.hashOf(t, rightPassword)}, nil)
	var stored domain.UserToken
	h.tokens.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, tok domain.UserToken) error {
		stored = tok
		return nil
	})
	got, err := h.svc.Login(context.Background(), "ada@example.com", rightPassword)
	wantKind(t, err, "")
	want := domain.UserToken{
		ID: stored.ID, UserID: userA, Digest: domain.CredentialDigest(got.Token),
		ExpiresAt: testNow.Add(time.Hour), CreatedAt: testNow,
	}
	if !reflect.DeepEqual(stored, want) || !validUUID(stored.ID) {
		t.Fatalf("stored token %+v, want %+v with a UUID", stored, want)
	}
}

// An unknown email and a wrong password must be indistinguishable: the same
// error, and the same work (one argon2id derivation each).
func TestLoginUnknownEmailAndWrongPasswordLookAlike(t *testing.T) {
	attempts := []struct {
		name  string
		setup func(t *testing.T, h *harness)
	}{
		{"unknown email", func(t *testing.T, h *harness) {
			h.users.EXPECT().ByEmail(gomock.Any(), "ada@example.com").
				Return(domain.User{}, domain.Errorf(domain.KindUserNotFound, "no such user"))
		}},
		{"wrong password", func(t *testing.T, h *harness) {
			h.users.EXPECT().ByEmail(gomock.Any(), "ada@example.com").
				Return(domain.User{ID: userA, PasswordHash: h.hashOf(t, rightPassword)}, nil)
		}},
	}
	var errs []error
	for _, a := range attempts {
		t.Run(a.name, func(t *testing.T) {
			h := newHarness(t)
			h.svc.passwords.burn("warm up the dummy hash")
			h.derivations = 0
			h.expectGlobalTx()
			a.setup(t, h)
			_, err := h.svc.Login(context.Background(), "ada@example.com", "not the password")
			wantKind(t, err, domain.KindInvalidCredentials)
			if h.derivations != 1 {
				t.Fatalf("argon2id derivations = %d, want 1", h.derivations)
			}
			errs = append(errs, err)
		})
	}
	if len(errs) != 2 || !reflect.DeepEqual(errs[0], errs[1]) {
		t.Fatalf("answers differ: %#v", errs)
	}
}

func TestLoginFailsWithoutRandomness(t *testing.T) {
	for _, good := range []int{0, 64} { // the token, then its identifier
		h := newHarness(t)
		h.svc.deps.Random = &limitedReader{n: good}
		h.expectGlobalTx().Times(2)
		h.users.EXPECT().ByEmail(gomock.Any(), "ada@example.com").
			Return(domain.User{ID: userA, PasswordHash: h.hashOf(t, rightPassword)}, nil)
		_, err := h.svc.Login(context.Background(), "ada@example.com", rightPassword)
		wantKind(t, err, domain.KindInternal)
		if h.commits != 1 {
			t.Fatalf("commits = %d, want only the lookup's", h.commits)
		}
	}
}
