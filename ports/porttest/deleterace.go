package porttest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/ports"
)

// deleteRaceRounds is how many rounds testDeleteRace runs.
const deleteRaceRounds = 50

// coreKEK is the key-encryption key of the cases that run the real core.
const coreKEK = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// newCore wires the real core services over tx, as cmd/configmat does but
// without a cache, so that the stores are locked in the production order.
func newCore(t *testing.T, tx ports.Transactor) *core.Core {
	t.Helper()
	kek, err := keys.ParseKEK(coreKEK)
	mustNot(t, err)
	return core.New(core.Deps{Tx: tx, KEK: kek})
}

// raceOp is one operation of a delete race round.
type raceOp struct {
	name string
	// env is the environment the operation writes a version of; "" for the
	// deletion.
	env string
	// allowed are the error kinds it may legitimately answer; none for the
	// deletion, which must succeed.
	allowed []domain.Kind
	// run performs it and returns the version it made.
	run func(ctx context.Context) (int, error)
}

// raceResult is how one operation ended.
type raceResult struct {
	version int
	err     error
}

// testDeleteRace deletes an asset while change sets, a promotion and a
// rollback of that same asset run, through the real core services, round
// after round. Every operation succeeds or answers a domain error of a kind
// the race explains, never an internal error such as a deadlock; afterwards
// the asset is gone with every version and head, the versions the writers
// reported are consecutive, and the tenant's audit chain verifies with one
// entry per success.
//
// The kinds the race explains: ASSET_NOT_FOUND for every writer, when the
// deletion commits first (the asset, or its head, is gone when the writer
// looks); VERSION_CONFLICT only for the change set that names an expected
// version, when another writer of that environment commits first. No
// operation may answer ENVIRONMENT_NOT_FOUND (no environment is deleted) or
// VERSION_NOT_FOUND (the rollback reads its version under the head lock,
// which the deletion must wait for); the deletion has no excuse to fail.
func testDeleteRace(t *testing.T, open Opener) {
	tx := open(t)
	c := newCore(t, tx)
	tenant, err := c.Identity.CreateTenant(t.Context(), "delete-race", "Delete race")
	mustNot(t, err)
	actor := domain.SystemActor(tenant.ID)

	failed := 0
	outcomes := map[string]int{}
	for round := range deleteRaceRounds {
		if problems := deleteRaceRound(t, c, tx, actor, round, outcomes); len(problems) > 0 {
			failed++
			for _, p := range problems {
				t.Errorf("round %d: %s", round, p)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d rounds failed", failed, deleteRaceRounds)
	}
	t.Logf("outcomes over %d rounds: %v", deleteRaceRounds, outcomes)
}

// deleteRaceRound runs one round on a fresh asset and returns what went
// wrong; it counts how each operation ended in outcomes.
func deleteRaceRound(t *testing.T, c *core.Core, tx ports.Transactor, actor domain.Actor, round int, outcomes map[string]int) []string {
	t.Helper()
	ctx := t.Context()
	slug := fmt.Sprintf("race-%02d", round)
	asset, err := c.Catalog.CreateAsset(ctx, actor, catalog.AssetInput{Slug: slug, Name: "Race " + slug})
	mustNot(t, err)

	// local at version 3 and stage at version 2, secrets included, so that
	// the promotion opens and seals again.
	for _, step := range []struct {
		env string
		set map[string]map[string]domain.Value
	}{
		{"local", map[string]map[string]domain.Value{"database": {"host": raceValue(`"db-1"`), "password": {Value: json.RawMessage(`"pw-1"`), Secret: true}}}},
		{"local", map[string]map[string]domain.Value{"database": {"host": raceValue(`"db-2"`)}, "features": {"fast": raceValue(`true`)}}},
		{"local", map[string]map[string]domain.Value{"features": {"fast": raceValue(`false`)}}},
		{"stage", map[string]map[string]domain.Value{"database": {"host": raceValue(`"stage-db"`)}}},
		{"stage", map[string]map[string]domain.Value{"database": {"password": {Value: json.RawMessage(`"stage-pw"`), Secret: true}}}},
	} {
		_, err := c.Catalog.ApplyChangeSet(ctx, actor, slug, step.env, domain.ChangeSet{Message: "set-up", Set: step.set})
		mustNot(t, err)
	}
	start := map[string]int{"local": 3, "stage": 2}
	before, err := c.Audit.Verify(ctx, actor)
	mustNot(t, err)
	if !before.Valid {
		t.Fatalf("round %d: the audit chain is broken before the race: %+v", round, before)
	}

	stageAt := start["stage"]
	change := func(env string, expected *int) func(ctx context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			cs := domain.ChangeSet{Message: "racing the deletion", ExpectedVersion: expected,
				Set: map[string]map[string]domain.Value{"race": {"round": raceValue(fmt.Sprint(round))}}}
			v, err := c.Catalog.ApplyChangeSet(ctx, actor, slug, env, cs)
			return v.Version, err
		}
	}
	gone := []domain.Kind{domain.KindAssetNotFound}
	ops := []raceOp{
		{name: "delete", run: func(ctx context.Context) (int, error) { return 0, c.Catalog.DeleteAsset(ctx, actor, slug) }},
		{name: "change set on local", env: "local", allowed: gone, run: change("local", nil)},
		{name: "change set on stage", env: "stage", allowed: gone, run: change("stage", nil)},
		{name: "change set on stage expecting its version", env: "stage",
			allowed: []domain.Kind{domain.KindAssetNotFound, domain.KindVersionConflict}, run: change("stage", &stageAt)},
		{name: "promotion local->stage", env: "stage", allowed: gone, run: func(ctx context.Context) (int, error) {
			res, err := c.Catalog.Promote(ctx, actor, slug, catalog.PromoteRequest{From: "local", To: "stage"})
			if err != nil {
				return 0, err
			}
			return *res.Version, nil
		}},
		{name: "rollback of stage to version 1", env: "stage", allowed: gone, run: func(ctx context.Context) (int, error) {
			res, err := c.Catalog.Rollback(ctx, actor, slug, "stage", 1)
			return res.Version, err
		}},
	}
	results := raceAll(ctx, ops)

	var problems []string
	successes := 0
	made := map[string][]int{}
	for i, op := range ops {
		r := results[i]
		outcome := "ok"
		if r.err != nil {
			outcome = string(domain.KindOf(r.err))
		}
		outcomes[op.name+": "+outcome]++
		if r.err == nil {
			successes++
			if op.env != "" {
				made[op.env] = append(made[op.env], r.version)
			}
			continue
		}
		if p := unexplained(op, r.err); p != "" {
			problems = append(problems, p)
		}
	}
	for env, numbers := range made {
		slices.Sort(numbers)
		for i, n := range numbers {
			if want := start[env] + 1 + i; n != want {
				problems = append(problems, fmt.Sprintf("the writers of %s reported versions %v, want %d..%d",
					env, numbers, start[env]+1, start[env]+len(numbers)))
				break
			}
		}
	}
	problems = append(problems, afterDeleteRace(t, c, tx, actor, asset.ID, slug)...)

	after, err := c.Audit.Verify(ctx, actor)
	mustNot(t, err)
	if !after.Valid {
		t.Fatalf("round %d: the audit chain no longer verifies after the race: %+v", round, after)
	}
	if want := before.Entries + int64(successes); after.Entries != want {
		problems = append(problems, fmt.Sprintf("the audit chain has %d entries, want %d (%d before and one per success)",
			after.Entries, want, before.Entries))
	}
	return problems
}

// raceValue is a non-secret value.
func raceValue(v string) domain.Value { return domain.Value{Value: json.RawMessage(v)} }

// raceAll starts every operation at once (a start barrier, no sleeps) and
// returns how each ended, in the order of ops.
func raceAll(ctx context.Context, ops []raceOp) []raceResult {
	results := make([]raceResult, len(ops))
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for i, op := range ops {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			results[i].version, results[i].err = op.run(ctx)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return results
}

// unexplained describes err when the race does not explain it, or returns "".
func unexplained(op raceOp, err error) string {
	kind := domain.KindOf(err)
	text := err.Error()
	lower := strings.ToLower(text)
	switch {
	case kind == domain.KindInternal:
		return fmt.Sprintf("%s answered an internal error: %v", op.name, err)
	case strings.Contains(text, "40P01") || strings.Contains(lower, "deadlock") || strings.Contains(lower, "could not"):
		return fmt.Sprintf("%s answered %s, but the error shows a store failure: %v", op.name, kind, err)
	case !slices.Contains(op.allowed, kind):
		return fmt.Sprintf("%s answered %s (%v); the race explains only %v", op.name, kind, err, op.allowed)
	}
	return ""
}

// afterDeleteRace checks the asset after a round: gone, with no version or
// head left under its ID, when the deletion succeeded; otherwise still there
// with versions 1..head in each environment.
func afterDeleteRace(t *testing.T, c *core.Core, tx ports.Transactor, actor domain.Actor, asset domain.AssetID, slug string) []string {
	t.Helper()
	_, err := c.Catalog.GetAsset(t.Context(), actor, slug)
	present := err == nil
	if !present && !domain.IsKind(err, domain.KindAssetNotFound) {
		return []string{fmt.Sprintf("reading the asset after the race: %v", err)}
	}
	var problems []string
	MustInTenant(t, tx, actor.TenantID, func(ctx context.Context, s ports.TenantTx) error {
		heads, err := s.Versions().Heads(ctx, asset)
		if err != nil {
			return err
		}
		if !present && len(heads) > 0 {
			problems = append(problems, fmt.Sprintf("the asset is deleted but heads %v remain under its ID", heads))
		}
		for _, env := range domain.DefaultEnvironments {
			page, _, err := s.Versions().List(ctx, asset, env, domain.Page{Limit: domain.MaxPageSize})
			if err != nil {
				return err
			}
			if !present {
				if len(page) > 0 {
					problems = append(problems, fmt.Sprintf("the asset is deleted but %d versions of %s remain under its ID", len(page), env))
				}
				continue
			}
			for i, v := range page {
				if want := heads[env] - i; v.Number != want {
					problems = append(problems, fmt.Sprintf("%s's versions are not 1..%d: listing %d is version %d", env, heads[env], i, v.Number))
					break
				}
			}
			if len(page) != heads[env] {
				problems = append(problems, fmt.Sprintf("%s has %d versions under head %d", env, len(page), heads[env]))
			}
		}
		return nil
	})
	return problems
}
