package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
)

// withSettings opens the app on settings, as a one-shot subcommand does.
func withSettings(t *testing.T, settings map[string]string, fn func(a *app)) {
	t.Helper()
	err := withApp(context.Background(), env{getenv: func(k string) string { return settings[k] }, stdout: &strings.Builder{}, stderr: &strings.Builder{}},
		func(a *app) error { fn(a); return nil })
	if err != nil {
		t.Fatalf("open the app: %v", err)
	}
}

func TestKeysRotate(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/c.db"
	k1, k2 := strings.Repeat("a1", 32), strings.Repeat("b2", 32)
	old := map[string]string{"DATABASE_URL": db, "ENCRYPTION_KEY": k1}
	both := map[string]string{"DATABASE_URL": db, "ENCRYPTION_KEY": k2, "ENCRYPTION_KEY_PREVIOUS": " " + strings.Repeat("c3", 32) + "," + k1}
	next := map[string]string{"DATABASE_URL": db, "ENCRYPTION_KEY": k2}
	k1ID, _ := keys.ParseKEK(k1)

	const tenants = 5
	for i := range tenants {
		if code, _, stderr := runWith(old, "tenant", "create", "--slug", fmt.Sprintf("t%d", i), "--name", "T"); code != 0 {
			t.Fatalf("tenant create: %s", stderr)
		}
	}
	secret := func(i int) json.RawMessage { return json.RawMessage(fmt.Sprintf(`"secret-%d"`, i)) }
	withSettings(t, old, func(a *app) {
		for i := range tenants {
			actor, err := a.systemActor(context.Background(), fmt.Sprintf("t%d", i))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.core.Catalog.CreateAsset(context.Background(), actor, catalog.AssetInput{Slug: "app", Name: "App"}); err != nil {
				t.Fatal(err)
			}
			cs := domain.ChangeSet{Set: map[string]map[string]domain.Value{"db": {"password": {Value: secret(i), Secret: true}}}}
			if _, err := a.core.Catalog.ApplyChangeSet(context.Background(), actor, "app", "prod", cs); err != nil {
				t.Fatal(err)
			}
		}
	})
	readAll := func(t *testing.T, settings map[string]string) {
		t.Helper()
		withSettings(t, settings, func(a *app) {
			for i := range tenants {
				actor, _ := a.systemActor(context.Background(), fmt.Sprintf("t%d", i))
				r, err := a.core.Catalog.Resolve(context.Background(), actor, "app", "prod")
				if err != nil || string(r.Config["db"]["password"]) != string(secret(i)) {
					t.Fatalf("tenant %d reads %s, %v", i, r.Config["db"]["password"], err)
				}
			}
		})
	}

	code, _, stderr := runWith(next, "apikey", "create", "--tenant", "t0", "--name", "k")
	if code != 2 || !strings.Contains(stderr, "ENCRYPTION_KEY") || !strings.Contains(stderr, "ENCRYPTION_KEY_PREVIOUS") || !strings.Contains(stderr, k1ID.ID()) {
		t.Fatalf("a data key of a key in neither setting: exit %d, %q", code, stderr)
	}
	readAll(t, both)

	code, out, stderr := runWith(both, "keys", "rotate", "--batch", "2")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("done: %d data keys rewrapped, 0 left on previous keys", tenants)) ||
		!strings.Contains(out, "left on previous keys") || !strings.Contains(out, "audit verifier key") {
		t.Fatalf("keys rotate: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = runWith(both, "keys", "rotate")
	if code != 0 || !strings.Contains(out, "done: 0 data keys rewrapped, 0 left") {
		t.Fatalf("keys rotate again: exit %d\n%s", code, out)
	}
	readAll(t, next)
	withSettings(t, next, func(a *app) {
		status, healthy := encryptionCheck(a.store, a.core.Keys, a.kek.ID())(context.Background())
		if !healthy || status["key_id"] != a.kek.ID() || status["data_keys_on_previous_keys"] != int64(0) {
			t.Fatalf("encryption health after rotating = %v, %v", status, healthy)
		}
	})
}

func TestStartupCheckTellsADamagedRowFromAWrongKey(t *testing.T) {
	db := "sqlite:" + t.TempDir() + "/c.db"
	settings := map[string]string{"DATABASE_URL": db, "ENCRYPTION_KEY": strings.Repeat("a1", 32)}
	if code, _, stderr := runWith(settings, "tenant", "create", "--slug", "t0", "--name", "T"); code != 0 {
		t.Fatal(stderr)
	}
	withSettings(t, settings, func(a *app) {
		actor, _ := a.systemActor(context.Background(), "t0")
		err := a.store.InTenant(context.Background(), actor.TenantID, func(ctx context.Context, s ports.TenantTx) error {
			tn, err := s.Tenants().Get(ctx)
			if err != nil {
				return err
			}
			damaged := domain.WrappedKey{KeyID: tn.DataKey.KeyID, Ciphertext: append([]byte{}, tn.DataKey.Ciphertext...)}
			damaged.Ciphertext[len(damaged.Ciphertext)-1] ^= 1
			return s.Tenants().RewrapDataKey(ctx, tn.DataKey, damaged)
		})
		if err != nil {
			t.Fatal(err)
		}
		status, healthy := encryptionCheck(a.store, a.core.Keys, a.kek.ID())(context.Background())
		if healthy || status["status"] != "degraded" {
			t.Fatalf("encryption health with a damaged row = %v", status)
		}
	})
	code, _, stderr := runWith(settings, "apikey", "create", "--tenant", "t0", "--name", "k")
	if strings.Contains(stderr, "does not decrypt the existing data") {
		t.Fatalf("a damaged tenant row is reported as a wrong ENCRYPTION_KEY: exit %d, %s", code, stderr)
	}
	if !strings.Contains(stderr, "damaged") {
		t.Fatalf("the damaged row is not reported: exit %d, %s", code, stderr)
	}
}
