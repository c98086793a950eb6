package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/identity"
	"github.com/configmat/configmat/core/keys"
)

// cmdKeygen prints a new random key-encryption key.
func cmdKeygen(e env, args []string) error {
	var forAudit bool
	fs := newFlags(e, "keygen", "keygen [--audit]")
	fs.BoolVar(&forAudit, "audit", false, "print a new AUDIT_SIGNING_KEY and, on a second line, its verifier key")
	if err := parseFlags(fs, args, nil); err != nil {
		return err
	}
	if forAudit {
		return cmdKeygenAudit(e)
	}
	k, err := keys.GenerateKeyHex(rand.Reader)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, k)
	return nil
}

// cmdMigrate applies pending migrations and exits.
func cmdMigrate(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "migrate", "migrate")
	if err := parseFlags(fs, args, nil); err != nil {
		return err
	}
	s, logger, err := loadSettings(e)
	if err != nil {
		return err
	}
	if err := migrate(ctx, s); err != nil {
		return err
	}
	logger.Info("migrations applied")
	return nil
}

// cmdTenantCreate creates a tenant with its default environments.
func cmdTenantCreate(ctx context.Context, e env, args []string) error {
	var slug, name string
	fs := newFlags(e, "tenant create", "tenant create --slug S --name N")
	fs.StringVar(&slug, "slug", "", "tenant slug (^[a-z0-9][a-z0-9-]{0,62}$)")
	fs.StringVar(&name, "name", "", "tenant display name")
	if err := parseFlags(fs, args, map[string]*string{"slug": &slug, "name": &name}); err != nil {
		return err
	}
	return withApp(ctx, e, func(a *app) error {
		t, err := a.core.Identity.CreateTenant(ctx, slug, name)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(e.stdout, "tenant %s created (id %s) with environments %s\n", t.Slug, t.ID, strings.Join(domain.DefaultEnvironments, ", "))
		return nil
	})
}

// cmdUserCreate creates a user, reading the password from stdin, and makes
// them a member of a tenant.
func cmdUserCreate(ctx context.Context, e env, args []string) error {
	var email, tenant, role string
	fs := newFlags(e, "user create", "user create --email E --tenant S --role R  (password on stdin)")
	fs.StringVar(&email, "email", "", "the user's email address")
	fs.StringVar(&tenant, "tenant", "", "slug of the tenant to join")
	fs.StringVar(&role, "role", "", "owner, admin, editor or viewer")
	if err := parseFlags(fs, args, map[string]*string{"email": &email, "tenant": &tenant, "role": &role}); err != nil {
		return err
	}
	r, err := domain.ParseRole(role)
	if err != nil {
		return &exitError{code: 2, err: errors.New("--role must be owner, admin, editor or viewer")}
	}
	password, err := readPassword(e)
	if err != nil {
		return err
	}
	return withApp(ctx, e, func(a *app) error {
		u, err := a.core.Identity.CreateUser(ctx, email, password, tenant, r)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(e.stdout, "user %s created (id %s) as %s of %s\n", u.Email, u.ID, r, tenant)
		return nil
	})
}

// readPassword reads one line from stdin.
func readPassword(e env) (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", &exitError{code: 2, err: errors.New("the password is read from stdin; none was given")}
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// cmdAPIKeyCreate prints a new API key once.
func cmdAPIKeyCreate(ctx context.Context, e env, args []string) error {
	var tenant, name, environment string
	fs := newFlags(e, "apikey create", "apikey create --tenant S --name N [--environment E]")
	fs.StringVar(&tenant, "tenant", "", "slug of the tenant")
	fs.StringVar(&name, "name", "", "a name for the key")
	fs.StringVar(&environment, "environment", "", "limit the key to one environment")
	if err := parseFlags(fs, args, map[string]*string{"tenant": &tenant, "name": &name}); err != nil {
		return err
	}
	return withApp(ctx, e, func(a *app) error {
		actor, err := a.systemActor(ctx, tenant)
		if err != nil {
			return err
		}
		k, err := a.core.Identity.CreateAPIKey(ctx, actor, identity.APIKeyInput{Name: name, Environment: environment})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintln(e.stdout, k.Key)
		return nil
	})
}

// cmdAuditVerify verifies a tenant's chain: exit 0 intact, 1 broken, 2 error.
func cmdAuditVerify(ctx context.Context, e env, args []string) error {
	var tenant string
	var offline bool
	var files offlineInputs
	fs := newFlags(e, "audit verify", "audit verify --tenant S | audit verify --offline --entries F --checkpoint C --verifier-key K")
	fs.StringVar(&tenant, "tenant", "", "slug of the tenant")
	fs.BoolVar(&offline, "offline", false, "verify exported entries against a held checkpoint, with no database")
	fs.StringVar(&files.entries, "entries", "", "with --offline: the entries of GET /audit (JSON lines or one JSON array)")
	fs.StringVar(&files.checkpoint, "checkpoint", "", "with --offline: a checkpoint as GET /audit/checkpoint returns it")
	fs.StringVar(&files.verifierKey, "verifier-key", "", "with --offline: the verifier key, or a file holding it")
	if err := parseFlags(fs, args, nil); err != nil {
		return err
	}
	if offline {
		return cmdAuditVerifyOffline(e, files)
	}
	if tenant == "" {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("--tenant is required")}
	}
	err := withApp(ctx, e, func(a *app) error {
		actor, err := a.systemActor(ctx, tenant)
		if err != nil {
			return err
		}
		v, err := a.core.Audit.Verify(ctx, actor)
		if err != nil {
			return describe(err)
		}
		if !v.Valid {
			fmt.Fprintf(e.stdout, "audit chain of %s is BROKEN at seq %d (%s); %d entries checked\n", tenant, v.FirstInvalidSeq, v.Reason, v.Entries)
			return &exitError{code: 1}
		}
		fmt.Fprintf(e.stdout, "audit chain of %s is intact: %d entries, head %s\n", tenant, v.Entries, v.HeadHash)
		return nil
	})
	var ee *exitError
	if err != nil && !errors.As(err, &ee) {
		return &exitError{code: 2, err: err}
	}
	return err
}

// describe turns a domain error into a line for the operator, keeping
// internal causes (which may name hosts) for the logs.
func describe(err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		msg := de.Message
		if f, ok := de.Details["fields"].(map[string]any); ok {
			for k, v := range f {
				msg += fmt.Sprintf(" %s %v.", k, v)
			}
		}
		if de.Kind == domain.KindInternal && de.Cause != nil {
			return fmt.Errorf("%s: %v", de.Message, de.Cause)
		}
		return errors.New(msg)
	}
	return err
}
