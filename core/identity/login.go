package identity

import (
	"context"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// Login checks a password and issues a token; INVALID_CREDENTIALS for a wrong
// email or password alike, in similar time: an unknown email is checked
// against a dummy hash of the same cost. The password is verified between
// two short transactions, so no database connection waits on the hash.
func (s *Service) Login(ctx context.Context, email, password string) (IssuedToken, error) {
	email = domain.NormalizeEmail(email)
	missing := domain.Problems{}
	if email == "" {
		missing.Add("email", "is required")
	}
	if password == "" {
		missing.Add("password", "is required")
	}
	if err := missing.Err(); err != nil {
		return IssuedToken{}, err
	}
	if len(password) > domain.MaxPasswordLength {
		return IssuedToken{}, invalidCredentials()
	}
	// An address no user can have is a wrong email: same answer, same cost,
	// and it never reaches the store (PostgreSQL refuses a NUL byte, say).
	malformed := domain.Problems{}
	domain.CheckEmail(malformed, "email", email)
	if malformed.Err() != nil {
		s.passwords.burn(password)
		return IssuedToken{}, invalidCredentials()
	}
	var user domain.User
	err := s.deps.Tx.Global(ctx, func(ctx context.Context, g ports.GlobalTx) error {
		var err error
		user, err = g.Users().ByEmail(ctx, email)
		return err
	})
	if domain.IsKind(err, domain.KindUserNotFound) {
		s.passwords.burn(password)
		return IssuedToken{}, invalidCredentials()
	}
	if err != nil {
		return IssuedToken{}, err
	}
	ok, err := s.passwords.verify(user.PasswordHash, password)
	if err != nil {
		return IssuedToken{}, err
	}
	if !ok {
		return IssuedToken{}, invalidCredentials()
	}
	var token IssuedToken
	err = s.deps.Tx.Global(ctx, func(ctx context.Context, g ports.GlobalTx) error {
		var err error
		token, err = s.issueToken(ctx, g.Tokens(), user.ID)
		return err
	})
	if err != nil {
		return IssuedToken{}, err
	}
	return token, nil
}
