package upgrade_test

import (
	"context"
	"encoding/json"
	"maps"
	"strconv"
	"testing"

	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/test/upgrade/internal/fixture"
)

// newCore wires the new core over tx with the old release's key-encryption
// key. It is the test's only use of the core's constructor.
func newCore(t *testing.T, tx ports.Transactor, kekHex string) *core.Core {
	t.Helper()
	kek, err := keys.ParseKEK(kekHex)
	if err != nil {
		t.Fatal(err)
	}
	return core.New(core.Options{Tx: tx, KEK: kek})
}

// upgraded is an upgraded database seen through the new core.
type upgraded struct {
	tx  ports.Transactor
	c   *core.Core
	exp fixture.Expected
	// owner is the tenant's owner, authenticated with the token the old
	// release issued.
	owner domain.Actor
	// assets are the tenant's assets by slug.
	assets map[string]domain.AssetID
}

// checkUpgraded reads everything the old release answered back through the
// new core over tx and compares, then writes one change and verifies the
// chain again. Reads come first: nothing the test writes shows in them.
func checkUpgraded(t *testing.T, tx ports.Transactor, exp fixture.Expected) {
	u := &upgraded{tx: tx, c: newCore(t, tx, exp.EncryptionKey), exp: exp, assets: map[string]domain.AssetID{}}
	u.owner = u.authenticate(t, exp.Users[0])
	if u.owner.Role != domain.RoleOwner || string(u.owner.TenantID) != exp.Tenant.ID {
		t.Fatalf("the old owner token authenticates as %+v, want the owner of tenant %s", u.owner, exp.Tenant.ID)
	}
	t.Run("tenant", u.checkTenant)
	t.Run("places", u.checkPlaces)
	t.Run("stored versions and their secrets", u.checkStoredVersions)
	t.Run("credentials", u.checkCredentials)
	t.Run("a change after the upgrade", u.checkNewChange)
}

// authenticate turns a user's old token into an actor in the tenant.
func (u *upgraded) authenticate(t *testing.T, user fixture.User) domain.Actor {
	t.Helper()
	actor, err := u.c.Identity.AuthenticateToken(t.Context(), user.Token, u.exp.Tenant.Slug)
	if err != nil {
		t.Fatalf("the token the old release issued to %s: %v", user.Email, err)
	}
	return actor
}

// readCase is one answer of the old API and the new core's read of it.
type readCase struct {
	name string
	want json.RawMessage
	read func(ctx context.Context) (any, error)
}

// run checks every case in its own subtest.
func run(t *testing.T, cases []readCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.read(t.Context())
			if err != nil {
				t.Fatalf("the new code cannot read it: %v", err)
			}
			assertSameJSON(t, c.want, got)
		})
	}
}

// checkTenant compares the tenant-wide answers: users, environments,
// assets, members, API keys and the whole audit chain with its verification.
func (u *upgraded) checkTenant(t *testing.T) {
	c, owner, res := u.c, u.owner, u.exp.Responses
	var cases []readCase
	for _, user := range u.exp.Users {
		cases = append(cases, readCase{"GET /me as " + user.Email, res.Me[user.Email], func(ctx context.Context) (any, error) {
			actor, err := c.Identity.AuthenticateToken(ctx, user.Token, "")
			if err != nil {
				return nil, err
			}
			me, err := c.Identity.Me(ctx, actor)
			if me.Memberships == nil {
				me.Memberships = []domain.UserMembership{}
			}
			return me, err
		}})
	}
	cases = append(cases,
		readCase{"GET /environments", res.Environments, func(ctx context.Context) (any, error) {
			envs, err := c.Catalog.ListEnvironments(ctx, owner)
			return viewEnvironments(envs), err
		}},
		readCase{"GET /assets", res.Assets, func(ctx context.Context) (any, error) {
			assets, cursor, err := c.Catalog.ListAssets(ctx, owner, domain.Page{Limit: domain.MaxPageSize})
			return viewAssets(assets, cursor), err
		}},
		readCase{"GET /members", res.Members, func(ctx context.Context) (any, error) {
			members, err := c.Identity.ListMembers(ctx, owner)
			return viewMembers(members), err
		}},
		readCase{"GET /api-keys", res.APIKeys, func(ctx context.Context) (any, error) {
			keys, err := c.Identity.ListAPIKeys(ctx, owner)
			return viewAPIKeys(keys), err
		}},
		readCase{"GET /audit/verify", res.AuditVerify, func(ctx context.Context) (any, error) {
			v, err := c.Audit.Verify(ctx, owner)
			return viewVerification(v), err
		}},
	)
	for _, slug := range sortedKeys(res.AssetDetails) {
		cases = append(cases, readCase{"GET /assets/" + slug, res.AssetDetails[slug], func(ctx context.Context) (any, error) {
			d, err := c.Catalog.GetAsset(ctx, owner, slug)
			return viewAsset(d), err
		}})
	}
	run(t, cases)

	t.Run("GET /audit", func(t *testing.T) {
		entries := u.auditEntries(t)
		if len(entries) != len(res.Audit) {
			t.Fatalf("%d audit entries, the old release listed %d", len(entries), len(res.Audit))
		}
		for i, e := range entries {
			t.Run("seq "+strconv.FormatInt(e.Seq, 10), func(t *testing.T) { assertSameJSON(t, res.Audit[i], viewAuditEntry(e)) })
		}
	})
}

// auditEntries lists the whole chain through the audit service, page by page.
func (u *upgraded) auditEntries(t *testing.T) []domain.AuditEntry {
	t.Helper()
	var all []domain.AuditEntry
	var after int64
	for {
		page, next, err := u.c.Audit.List(t.Context(), u.owner, after, 7)
		if err != nil {
			t.Fatalf("list the audit chain after seq %d: %v", after, err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		if after, err = strconv.ParseInt(next, 10, 64); err != nil {
			t.Fatalf("audit cursor %q: %v", next, err)
		}
	}
}

// checkPlaces compares, for every asset in every environment, the values,
// the resolved configuration (as the owner, a viewer and each API key),
// the version listing and every version's values.
func (u *upgraded) checkPlaces(t *testing.T) {
	c, owner := u.c, u.owner
	viewer := u.authenticate(t, u.userWithRole(t, "viewer"))
	keyActors := map[string]domain.Actor{}
	for _, k := range u.exp.APIKeys {
		if k.Revoked {
			continue
		}
		actor, err := c.Identity.AuthenticateAPIKey(t.Context(), k.Key)
		if err != nil {
			t.Fatalf("the API key %s the old release issued: %v", k.Name, err)
		}
		keyActors[k.Name] = actor
	}
	if len(u.exp.Places) == 0 {
		t.Fatal("the fixture has no places")
	}
	for _, p := range u.exp.Places {
		asset, env := p.Asset, p.Environment
		q := "?environment=" + env
		cases := []readCase{
			{"GET " + values(asset, env), p.Values, func(ctx context.Context) (any, error) {
				v, err := c.Catalog.GetValues(ctx, owner, asset, env)
				return viewValues(v), err
			}},
			{"GET /assets/" + asset + "/values" + q + " as the owner", p.Resolved, resolve(c, owner, asset, env)},
			{"GET /assets/" + asset + "/versions" + q, p.Versions, func(ctx context.Context) (any, error) {
				return listVersions(ctx, c, owner, asset, env)
			}},
		}
		if p.ResolvedByViewer != nil {
			cases = append(cases, readCase{"GET /assets/" + asset + "/values" + q + " as a viewer", p.ResolvedByViewer, resolve(c, viewer, asset, env)})
		}
		for _, name := range sortedKeys(p.ResolvedByAPIKey) {
			actor, ok := keyActors[name]
			if !ok {
				t.Fatalf("the fixture reads with an unknown API key %s", name)
			}
			cases = append(cases, readCase{"GET /assets/" + asset + "/values" + q + " with the API key " + name, p.ResolvedByAPIKey[name], resolve(c, actor, asset, env)})
		}
		for _, n := range sortedKeys(p.VersionValues) {
			cases = append(cases, readCase{"GET /assets/" + asset + "/versions/" + strconv.Itoa(n) + q, p.VersionValues[n], func(ctx context.Context) (any, error) {
				v, err := c.Catalog.GetVersion(ctx, owner, asset, env, n)
				return viewValues(v), err
			}})
		}
		t.Run(asset+"/"+env, func(t *testing.T) { run(t, cases) })
	}
}

// values is the path of an environment's values.
func values(asset, env string) string { return "/assets/" + asset + "/environments/" + env }

// resolve reads a resolved configuration as the API encodes it.
func resolve(c *core.Core, actor domain.Actor, asset, env string) func(ctx context.Context) (any, error) {
	return func(ctx context.Context) (any, error) {
		r, err := c.Catalog.Resolve(ctx, actor, asset, env)
		if err != nil {
			return nil, err
		}
		body, _, err := r.Encoded()
		return json.RawMessage(body), err
	}
}

// listVersions gathers every page of an environment's versions, as the API
// does.
func listVersions(ctx context.Context, c *core.Core, actor domain.Actor, asset, env string) (versionList, error) {
	var all []catalog.VersionInfo
	page := domain.Page{Limit: 2}
	for {
		batch, cursor, err := c.Catalog.ListVersions(ctx, actor, asset, env, page)
		if err != nil {
			return versionList{}, err
		}
		all = append(all, batch...)
		if cursor == "" {
			return viewVersions(all), nil
		}
		page.Cursor = cursor
	}
}

// checkStoredVersions reads every stored version of every place through
// the store and opens each of its secrets with the core's key manager: each
// holds exactly the configuration the old release resolved right after
// making it. This reaches the secrets of versions that are no longer
// current, which no API answer shows.
func (u *upgraded) checkStoredVersions(t *testing.T) {
	tenant := domain.TenantID(u.exp.Tenant.ID)
	for _, p := range u.exp.Places {
		id := u.assetID(t, p.Asset)
		for _, n := range sortedKeys(p.History) {
			t.Run(p.Asset+"/"+p.Environment+"/"+strconv.Itoa(n), func(t *testing.T) {
				var got catalog.Resolved
				err := u.tx.InTenant(t.Context(), tenant, func(ctx context.Context, st ports.TenantTx) error {
					v, err := st.Versions().Get(ctx, id, p.Environment, n)
					if err != nil {
						return err
					}
					got = catalog.Resolved{Asset: p.Asset, Environment: p.Environment, Version: v.Number, Config: map[string]map[string]json.RawMessage{}}
					for object, keyValues := range v.Snapshot {
						got.Config[object] = map[string]json.RawMessage{}
						for key, sv := range keyValues {
							if !sv.Secret {
								got.Config[object][key] = sv.Value
								continue
							}
							aad := keys.SecretAAD{TenantID: tenant, AssetID: id, Environment: p.Environment, Object: object, Key: key}
							plain, err := u.c.Keys.Open(ctx, st, aad, sv.Sealed)
							if err != nil {
								return err
							}
							got.Config[object][key] = json.RawMessage(plain)
						}
					}
					return nil
				})
				if err != nil {
					t.Fatalf("read version %d: %v", n, err)
				}
				body, _, err := got.Encoded()
				if err != nil {
					t.Fatal(err)
				}
				assertSameJSON(t, p.History[n], json.RawMessage(body))
			})
		}
	}
}

// assetID returns an asset's ID, read once through the catalog.
func (u *upgraded) assetID(t *testing.T, slug string) domain.AssetID {
	t.Helper()
	if id, ok := u.assets[slug]; ok {
		return id
	}
	d, err := u.c.Catalog.GetAsset(t.Context(), u.owner, slug)
	if err != nil {
		t.Fatalf("GetAsset(%s): %v", slug, err)
	}
	u.assets[slug] = d.ID
	return d.ID
}

// userWithRole returns the fixture's user with role.
func (u *upgraded) userWithRole(t *testing.T, role string) fixture.User {
	t.Helper()
	for _, user := range u.exp.Users {
		if user.Role == role {
			return user
		}
	}
	t.Fatalf("the fixture has no %s", role)
	return fixture.User{}
}

// checkCredentials logs every user in with their password (the old password
// hashes), and checks that the revoked API key stays revoked and the others
// keep their environment.
func (u *upgraded) checkCredentials(t *testing.T) {
	for _, user := range u.exp.Users {
		t.Run("login "+user.Email, func(t *testing.T) {
			tok, err := u.c.Identity.Login(t.Context(), user.Email, user.Password)
			if err != nil {
				t.Fatalf("login with the old password: %v", err)
			}
			actor, err := u.c.Identity.AuthenticateToken(t.Context(), tok.Token, u.exp.Tenant.Slug)
			if err != nil {
				t.Fatal(err)
			}
			if string(actor.UserID) != user.ID || string(actor.Role) != user.Role {
				t.Errorf("logged in as %s with role %s, want %s with role %s", actor.UserID, actor.Role, user.ID, user.Role)
			}
		})
	}
	for _, k := range u.exp.APIKeys {
		t.Run("API key "+k.Name, func(t *testing.T) {
			actor, err := u.c.Identity.AuthenticateAPIKey(t.Context(), k.Key)
			switch {
			case k.Revoked:
				if domain.KindOf(err) != domain.KindInvalidAPIKey {
					t.Errorf("the revoked key authenticates: %+v, %v", actor, err)
				}
			case err != nil:
				t.Errorf("authenticate: %v", err)
			case string(actor.APIKeyID) != k.ID || actor.Environment != k.Environment || string(actor.TenantID) != u.exp.Tenant.ID:
				t.Errorf("the key authenticates as %+v, want key %s of tenant %s limited to %q", actor, k.ID, u.exp.Tenant.ID, k.Environment)
			}
		})
	}
}

// checkNewChange applies one change set through the new code on top of the
// old data and checks that the environment keeps every old value beside
// the new ones and that the chain, old entries and the new one, verifies.
func (u *upgraded) checkNewChange(t *testing.T) {
	ctx, c, owner := t.Context(), u.c, u.owner
	old := u.placeOf(t, "billing", "prod")
	var before catalog.Resolved
	if err := json.Unmarshal(old.Resolved, &before); err != nil {
		t.Fatal(err)
	}
	cs := domain.ChangeSet{Message: "after the upgrade", Set: map[string]map[string]domain.Value{
		"upgrade": {
			"checked": {Value: json.RawMessage(`1.50`)},
			"token":   {Value: json.RawMessage(`"new-secret ✓"`), Secret: true},
		},
	}}
	v, err := c.Catalog.ApplyChangeSet(ctx, owner, "billing", "prod", cs)
	if err != nil {
		t.Fatalf("a change set on the upgraded database: %v", err)
	}
	if v.Version != before.Version+1 {
		t.Errorf("the change made version %d, want %d", v.Version, before.Version+1)
	}

	want := before
	want.Version = v.Version
	want.Config = maps.Clone(before.Config)
	want.Config["upgrade"] = map[string]json.RawMessage{"checked": json.RawMessage(`1.50`), "token": json.RawMessage(`"new-secret ✓"`)}
	wantBody, _, err := want.Encoded()
	if err != nil {
		t.Fatal(err)
	}
	got, err := resolve(c, owner, "billing", "prod")(ctx)
	if err != nil {
		t.Fatalf("resolve after the change: %v", err)
	}
	assertSameJSON(t, json.RawMessage(wantBody), got)

	oldChain := u.exp.Responses.Audit
	entries := u.auditEntries(t)
	if len(entries) != len(oldChain)+1 {
		t.Fatalf("%d audit entries after one change, want %d", len(entries), len(oldChain)+1)
	}
	for i, raw := range oldChain {
		assertSameJSON(t, raw, viewAuditEntry(entries[i]))
	}
	var oldHead struct {
		Hash string `json:"hash"`
	}
	if err := json.Unmarshal(oldChain[len(oldChain)-1], &oldHead); err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.Action != "values.changed" || last.PreviousHash != oldHead.Hash || last.Seq != int64(len(oldChain)+1) {
		t.Errorf("the new entry is %+v, want values.changed at seq %d after hash %s", last, len(oldChain)+1, oldHead.Hash)
	}
	verified, err := c.Audit.Verify(ctx, owner)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !verified.Valid || verified.Entries != int64(len(entries)) || verified.HeadHash != last.Hash {
		t.Errorf("verification after the change: %+v, want valid, %d entries, head %s", verified, len(entries), last.Hash)
	}
}

// placeOf returns the fixture's place for asset and env.
func (u *upgraded) placeOf(t *testing.T, asset, env string) fixture.Place {
	t.Helper()
	for _, p := range u.exp.Places {
		if p.Asset == asset && p.Environment == env {
			return p
		}
	}
	t.Fatalf("the fixture has no %s/%s", asset, env)
	return fixture.Place{}
}
