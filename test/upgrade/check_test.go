package upgrade_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strconv"
	"testing"

	"github.com/transparency-dev/merkle/proof"

	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/audit"
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
	return core.New(core.Deps{Tx: tx, KEK: kek})
}

// resolvedAnswer is the body of GET /assets/{slug}/values.
type resolvedAnswer struct {
	Asset       string                                `json:"asset"`
	Environment string                                `json:"environment"`
	Version     int                                   `json:"version"`
	Config      map[string]map[string]json.RawMessage `json:"config"`
}

// upgraded is an upgraded database seen through the new core and its API.
type upgraded struct {
	tx  ports.Transactor
	c   *core.Core
	api api
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
	u.api = newAPI(t, u.c)
	u.owner = u.authenticate(t, exp.Users[0])
	if u.owner.Role != domain.RoleOwner || string(u.owner.TenantID) != exp.Tenant.ID {
		t.Fatalf("the old owner token authenticates as %+v, want the owner of tenant %s", u.owner, exp.Tenant.ID)
	}
	t.Run("tenant", u.checkTenant)
	t.Run("places", u.checkPlaces)
	t.Run("stored versions and their secrets", u.checkStoredVersions)
	t.Run("credentials", u.checkCredentials)
	t.Run("checkpoints of the old chain", u.checkCheckpoints)
	t.Run("a change after the upgrade", u.checkNewChange)
}

// checkCheckpoints asks for the checkpoint of the chain written before
// checkpoints existed: the tree is completed once, the checkpoint opens with
// the verifier key, and every old entry's inclusion proof verifies.
func (u *upgraded) checkCheckpoints(t *testing.T) {
	owner := domain.SystemActor(domain.TenantID(u.exp.Tenant.ID))
	cp, err := u.c.Audit.Checkpoint(t.Context(), owner)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != int64(len(u.exp.Responses.Audit)) {
		t.Fatalf("the checkpoint covers %d entries, the old chain has %d", cp.Size, len(u.exp.Responses.Audit))
	}
	opened, err := audit.OpenCheckpoint([]byte(cp.Note), u.c.Audit.VerifierKey())
	if err != nil || opened.Size != cp.Size || !bytes.Equal(opened.RootHash, cp.RootHash) {
		t.Fatalf("the checkpoint does not open with the verifier key: %+v, %v", opened, err)
	}
	for seq := int64(1); seq <= cp.Size; seq++ {
		p, err := u.c.Audit.Inclusion(t.Context(), owner, seq, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyInclusion(audit.Hasher, uint64(seq-1), uint64(cp.Size), p.LeafHash, p.Proof, cp.RootHash); err != nil {
			t.Fatalf("entry %d's inclusion proof: %v", seq, err)
		}
	}
	if v, err := u.c.Audit.Verify(t.Context(), owner); err != nil || !v.Valid {
		t.Fatalf("verify after completing the tree: %+v, %v", v, err)
	}
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
	res, slug := u.exp.Responses, u.exp.Tenant.Slug
	owner := asUser(u.exp.Users[0].Token, slug)
	var cases []readCase
	for _, user := range u.exp.Users {
		cases = append(cases, readCase{"GET /me as " + user.Email, res.Me[user.Email], u.api.reader("/me", asUser(user.Token, ""))})
	}
	cases = append(cases,
		readCase{"GET /environments", res.Environments, u.api.reader("/environments", owner)},
		readCase{"GET /assets", res.Assets, u.api.reader("/assets?limit=200", owner)},
		readCase{"GET /members", res.Members, u.api.reader("/members", owner)},
		readCase{"GET /api-keys", res.APIKeys, u.api.reader("/api-keys", owner)},
		readCase{"GET /audit/verify", res.AuditVerify, u.api.reader("/audit/verify", owner)},
	)
	for _, asset := range sortedKeys(res.AssetDetails) {
		cases = append(cases, readCase{"GET /assets/" + asset, res.AssetDetails[asset], u.api.reader("/assets/"+asset, owner)})
	}
	run(t, cases)

	t.Run("GET /audit", func(t *testing.T) {
		entries := u.api.auditEntries(t, owner)
		if len(entries) != len(res.Audit) {
			t.Fatalf("%d audit entries, the old release listed %d", len(entries), len(res.Audit))
		}
		for i, e := range entries {
			t.Run("entry "+strconv.Itoa(i+1), func(t *testing.T) { assertSameJSON(t, res.Audit[i], e) })
		}
	})
}

// checkPlaces compares, for every asset in every environment, the values,
// the resolved configuration (as the owner, a viewer and each API key),
// the version listing and every version's values.
func (u *upgraded) checkPlaces(t *testing.T) {
	slug := u.exp.Tenant.Slug
	owner := asUser(u.exp.Users[0].Token, slug)
	viewer := asUser(u.userWithRole(t, "viewer").Token, slug)
	keys := map[string]credential{}
	for _, k := range u.exp.APIKeys {
		if !k.Revoked {
			keys[k.Name] = withAPIKey(k.Key)
		}
	}
	if len(u.exp.Places) == 0 {
		t.Fatal("the fixture has no places")
	}
	for _, p := range u.exp.Places {
		asset, env := p.Asset, p.Environment
		q := "?environment=" + env
		resolved := "/assets/" + asset + "/values" + q
		cases := []readCase{
			{"GET " + values(asset, env), p.Values, u.api.reader(values(asset, env), owner)},
			{"GET " + resolved + " as the owner", p.Resolved, u.api.reader(resolved, owner)},
			{"GET /assets/" + asset + "/versions" + q, p.Versions, u.api.reader("/assets/"+asset+"/versions"+q+"&limit=200", owner)},
		}
		if p.ResolvedByViewer != nil {
			cases = append(cases, readCase{"GET " + resolved + " as a viewer", p.ResolvedByViewer, u.api.reader(resolved, viewer)})
		}
		for _, name := range sortedKeys(p.ResolvedByAPIKey) {
			key, ok := keys[name]
			if !ok {
				t.Fatalf("the fixture reads with an unknown API key %s", name)
			}
			cases = append(cases, readCase{"GET " + resolved + " with the API key " + name, p.ResolvedByAPIKey[name], u.api.reader(resolved, key)})
		}
		for _, n := range sortedKeys(p.VersionValues) {
			path := "/assets/" + asset + "/versions/" + strconv.Itoa(n) + q
			cases = append(cases, readCase{"GET " + path, p.VersionValues[n], u.api.reader(path, owner)})
		}
		t.Run(asset+"/"+env, func(t *testing.T) { run(t, cases) })
	}
}

// values is the path of an environment's values.
func values(asset, env string) string { return "/assets/" + asset + "/environments/" + env }

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
							plain, err := u.c.Keys.Open(ctx, st.Tenants(), aad, sv.Sealed)
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
				assertSameJSON(t, p.History[n], resolvedAnswer{got.Asset, got.Environment, got.Version, got.Config})
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
	var before resolvedAnswer
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
	ownerAPI := asUser(u.exp.Users[0].Token, u.exp.Tenant.Slug)
	got, err := u.api.get(ctx, "/assets/billing/values?environment=prod", ownerAPI)
	if err != nil {
		t.Fatalf("resolve after the change: %v", err)
	}
	assertSameJSON(t, jsonOf(t, want), got)

	oldChain := u.exp.Responses.Audit
	entries := u.api.auditEntries(t, ownerAPI)
	if len(entries) != len(oldChain)+1 {
		t.Fatalf("%d audit entries after one change, want %d", len(entries), len(oldChain)+1)
	}
	for i, raw := range oldChain {
		assertSameJSON(t, raw, entries[i])
	}
	type entry struct {
		Seq          int64  `json:"seq"`
		Action       string `json:"action"`
		PreviousHash string `json:"previous_hash"`
		Hash         string `json:"hash"`
	}
	var oldHead, last entry
	if err := json.Unmarshal(oldChain[len(oldChain)-1], &oldHead); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(entries[len(entries)-1], &last); err != nil {
		t.Fatal(err)
	}
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
