package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/configmat/configmat/adapters/logging"
	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/cache"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
)

// app is the wired program: settings, logger, store and core.
type app struct {
	settings Settings
	logger   *logrus.Logger
	store    backend
	kek      *keys.KEK
	cache    *cache.Cache
	core     *core.Core
	// warnings are the start-up's, logged once the store is open (serve
	// logs them just before it says where it listens).
	warnings []string
	// shutdownTimeout bounds serve's drain of in-flight requests.
	shutdownTimeout time.Duration
	// feedReconnects counts the times the change feed went live again
	// after it had been lost (configmat_change_feed_reconnects_total).
	feedReconnects atomic.Uint64
}

// loadSettings reads the settings and builds the logger they describe; a
// bad setting is an exit status 2 error with one line per setting.
func loadSettings(e env) (Settings, *logrus.Logger, error) {
	s, err := LoadSettings(e.getenv)
	if err != nil {
		return s, nil, &exitError{code: 2, err: err}
	}
	logger, err := logging.New(logging.Config{Level: s.LogLevel, Format: s.LogFormat, Out: e.stderr})
	if err != nil {
		return s, nil, &exitError{code: 2, err: err}
	}
	return s, logger, nil
}

// withApp opens the app for a one-shot subcommand, runs fn and closes it.
func withApp(ctx context.Context, e env, fn func(a *app) error) error {
	s, logger, err := loadSettings(e)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, s, logger, false)
	if err != nil {
		return err
	}
	defer a.close()
	a.logWarnings()
	return fn(a)
}

// openApp loads the key-encryption key, opens (and, for serve, migrates) the
// store, proves the key against existing data, and wires the core.
func openApp(ctx context.Context, s Settings, logger *logrus.Logger, serving bool) (*app, error) {
	var warnings []string
	kek, err := loadKEK(s, func(msg string) { warnings = append(warnings, msg) })
	if err != nil {
		return nil, err
	}
	if serving && s.MigrateOnStart {
		if err := migrate(ctx, s); err != nil {
			return nil, err
		}
	}
	store, err := openStore(ctx, s, logger)
	if err != nil {
		return nil, err
	}
	if serving {
		store.SetStatementTimeout(s.DBStatementTimeout)
	}
	a := &app{settings: s, logger: logger, store: store, kek: kek, warnings: warnings}
	a.cache = cache.New(cache.Deps{})
	signer, err := auditSigner(s, kek)
	if err != nil {
		_ = store.Close()
		return nil, err
	}
	var previous []*keys.KEK
	for _, k := range s.EncryptionKeyPrevious {
		p, err := keys.ParseKEK(k)
		if err != nil {
			_ = store.Close()
			return nil, &exitError{code: 2, err: errors.New("ENCRYPTION_KEY_PREVIOUS: a key must be 64 hex characters (32 bytes)")}
		}
		previous = append(previous, p)
	}
	a.core = core.New(core.Deps{
		Tx:           store,
		KEK:          kek,
		PreviousKEKs: previous,
		TokenTTL:     s.TokenTTL,
		Cache:        a.cache,
		WatchMax:     s.WatchMax,
		AuditSigner:  signer,
	})
	_, err = checkKEK(ctx, store, a.core.Keys)
	if damaged := (*damagedDataKey)(nil); errors.As(err, &damaged) {
		a.warnings = append(a.warnings, damaged.Error())
		err = nil
	}
	if err != nil {
		_ = store.Close()
		if mismatch := (*kekMismatch)(nil); errors.As(err, &mismatch) {
			return nil, &exitError{code: 2, err: mismatch}
		}
		return nil, err
	}
	return a, nil
}

// auditSigner is AUDIT_SIGNING_KEY's signer, or the one derived from kek.
func auditSigner(s Settings, kek *keys.KEK) (*audit.Signer, error) {
	if s.AuditSigningKey == "" {
		return core.DerivedAuditSigner(kek), nil
	}
	signer, err := audit.NewSigner(s.AuditSigningKey)
	if err != nil {
		return nil, &exitError{code: 2, err: errors.New("AUDIT_SIGNING_KEY: " + err.Error())}
	}
	return signer, nil
}

// logWarnings logs the warnings of the start-up.
func (a *app) logWarnings() {
	for _, w := range a.warnings {
		a.logger.Warn(w)
	}
}

func (a *app) close() {
	if err := a.store.Close(); err != nil {
		a.logger.WithError(err).Error("closing the store")
	}
}

// systemActor acts as the system (owner) in the tenant named by slug.
func (a *app) systemActor(ctx context.Context, slug string) (domain.Actor, error) {
	var ref domain.TenantRef
	err := a.store.Global(ctx, func(ctx context.Context, s ports.GlobalTx) error {
		var err error
		ref, err = s.Directory().TenantBySlug(ctx, slug)
		return err
	})
	if err != nil {
		return domain.Actor{}, describe(err)
	}
	return domain.SystemActor(ref.ID), nil
}

// hintKeygen tells the operator how to get a key-encryption key.
const hintKeygen = "generate one with `configmat keygen`"

// loadKEK reads ENCRYPTION_KEY; in debug mode without one, a development key
// is generated once and kept beside the embedded database with mode 0600,
// and warn is told so.
func loadKEK(s Settings, warn func(string)) (*keys.KEK, error) {
	path := devKeyPath(s)
	kek, err := keys.LoadKEK(keys.KEKConfig{
		Hex:                 s.EncryptionKey,
		AllowDevelopmentKey: s.Debug,
		DevelopmentKey:      func() (string, error) { return developmentKey(path) },
	})
	if err != nil {
		return nil, &exitError{code: 2, err: kekProblem(err, path)}
	}
	if kek.Development() {
		warn("ENCRYPTION_KEY is not set and DEBUG=true: secrets are encrypted with the development key " + kek.ID() +
			". DO NOT USE IN PRODUCTION: set ENCRYPTION_KEY (" + hintKeygen + ")")
	}
	return kek, nil
}

// kekProblem phrases why no key-encryption key was loaded for the operator:
// which setting to fix and how; devKey is where the development key lives.
func kekProblem(err error, devKey string) error {
	var ke *keys.KEKError
	if !errors.As(err, &ke) {
		return plain(err)
	}
	switch ke.Problem {
	case keys.KEKMissing:
		return errors.New("ENCRYPTION_KEY must be set to 64 hex characters (32 bytes); " + hintKeygen +
			", or set DEBUG=true to use a development key")
	case keys.KEKWrongLength:
		return fmt.Errorf("ENCRYPTION_KEY must be 64 hex characters (32 bytes) but has %d; %s", ke.Length, hintKeygen)
	case keys.KEKNotHex:
		return errors.New("ENCRYPTION_KEY must be 64 hex characters (32 bytes) but contains a character that is not hex; " + hintKeygen)
	case keys.DevelopmentKeyUnavailable:
		if ke.Cause != nil {
			return fmt.Errorf("ENCRYPTION_KEY is not set and the development key could not be loaded or created: %v", ke.Cause)
		}
		return errors.New("ENCRYPTION_KEY is not set and no development key source is configured")
	case keys.DevelopmentKeyMalformed:
		return fmt.Errorf("ENCRYPTION_KEY is not set and the stored development key %s is malformed: it must be 64 hex characters (32 bytes)", devKey)
	}
	return plain(err)
}

// plain returns the caller-facing message of a domain error.
func plain(err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		return errors.New(de.Message)
	}
	return err
}

// devKeyPath is where the development key lives: beside the embedded
// database, or in ./data for PostgreSQL.
func devKeyPath(s Settings) string {
	dir := filepath.Dir(defaultDatabasePath)
	if kind, path, err := s.Store(); err == nil && kind == storeSQLite {
		dir = filepath.Dir(path)
	}
	return filepath.Join(dir, "dev-encryption.key")
}

// developmentKey returns the key stored at path, creating it (0600, in a
// 0700 folder) on first use.
func developmentKey(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil { // #nosec G304 -- the development key file in the data folder
		return strings.TrimSpace(string(b)), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("reading the development key %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	k, err := keys.GenerateKeyHex(rand.Reader)
	if err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- the development key file in the data folder
	if err != nil {
		return "", fmt.Errorf("creating the development key %s: %w", path, err)
	}
	if _, err := f.WriteString(k + "\n"); err != nil {
		_ = f.Close()
		return "", err
	}
	return k, f.Close()
}

// checkKEK proves, by ID, that every key that wraps a stored data key is
// ENCRYPTION_KEY or one of ENCRYPTION_KEY_PREVIOUS, so a missing or wrong
// key stops the program before it serves anything, and that each known key
// unwraps one of its data keys. A key ID in neither setting is a
// *kekMismatch naming both; a known key whose sample does not unwrap is a
// *damagedDataKey (that tenant's row, not the key: its ID is the key's); a
// data key that could not be read is any other error.
func checkKEK(ctx context.Context, store backend, km *keys.Manager) ([]domain.DataKeyUse, error) {
	var uses []domain.DataKeyUse
	err := store.Global(ctx, func(ctx context.Context, s ports.GlobalTx) error {
		var err error
		uses, err = s.Directory().DataKeyUses(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the data keys to check ENCRYPTION_KEY: %w", err)
	}
	for _, u := range uses {
		if !km.Knows(u.KeyID) {
			return uses, &kekMismatch{cause: fmt.Errorf("%d data keys are wrapped by key %s, which is neither ENCRYPTION_KEY (key %s) nor in ENCRYPTION_KEY_PREVIOUS",
				u.Tenants, u.KeyID, km.CurrentKeyID())}
		}
	}
	for _, u := range uses {
		if err := km.CheckWrapped(u.SampleTenant, u.Sample); err != nil {
			return uses, &damagedDataKey{tenant: u.SampleTenant, keyID: u.KeyID}
		}
	}
	return uses, nil
}

// damagedDataKey is checkKEK's answer when a data key of a known key does
// not unwrap: the key is right (its ID says so), the tenant's row is not.
type damagedDataKey struct {
	tenant domain.TenantID
	keyID  string
}

func (e *damagedDataKey) Error() string {
	return fmt.Sprintf("the data key of tenant %s (wrapped by key %s, which is configured) does not unwrap: that tenant's row is damaged", e.tenant, e.keyID)
}

// kekMismatch is checkKEK's answer when a stored data key was read and the
// key-encryption key does not unwrap it, told apart from a data key that
// could not be read (the database is down).
type kekMismatch struct{ cause error }

func (e *kekMismatch) Error() string {
	return "ENCRYPTION_KEY does not decrypt the existing data: " + e.cause.Error()
}
