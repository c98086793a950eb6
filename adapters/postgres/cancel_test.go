package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/catalog"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
	"github.com/configmat/configmat/test/pgtest"
)

// cancelKEK is the key-encryption key of the cancellation test.
const cancelKEK = "8f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100"

// TestCancelAtEveryStepOfAChangeSet cancels a PATCH's change set (a
// secret and a plain value) just before, and just after, each of its steps
// in turn: every BEGIN, statement and COMMIT it sends. Whatever the step, the answer is
// success or CANCELED (never an internal error, such as database/sql's
// "transaction has already been committed or rolled back" once it has
// rolled a canceled transaction back by itself), the change set committed
// whole (its version, values and audit entry) or not at all, a success is
// always committed, and the audit chain verifies after each.
func TestCancelAtEveryStepOfAChangeSet(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	canceler, dsn := pgtest.NewCanceler(t, db.AppURL)
	store := db.Store(t, func(c *postgres.Config) { c.URL, c.DriverName = dsn, pgtest.CancelingDriverName })
	kek, err := keys.ParseKEK(cancelKEK)
	if err != nil {
		t.Fatal(err)
	}
	c := core.New(core.Deps{Tx: store, KEK: kek})
	tenant, err := c.Identity.CreateTenant(t.Context(), "cancel-"+uuid.NewString()[:8], "Cancel")
	if err != nil {
		t.Fatal(err)
	}
	actor := domain.SystemActor(tenant.ID)
	if _, err := c.Catalog.CreateAsset(t.Context(), actor, catalog.AssetInput{Slug: "billing", Name: "Billing"}); err != nil {
		t.Fatal(err)
	}
	changeSet := func(n int) domain.ChangeSet {
		return domain.ChangeSet{Message: fmt.Sprintf("step %d", n), Set: map[string]map[string]domain.Value{
			"database": {
				"host":     {Value: json.RawMessage(fmt.Sprintf(`"db-%d.internal"`, n))},
				"password": {Value: json.RawMessage(fmt.Sprintf(`"secret-%d"`, n)), Secret: true},
			},
		}}
	}
	// state reads the head version, the host it holds and the length of
	// the audit chain, which must verify.
	state := func() (version int, host string, entries int64) {
		t.Helper()
		v, err := c.Catalog.GetValues(t.Context(), actor, "billing", "local")
		if err != nil && !domain.IsKind(err, domain.KindVersionNotFound) {
			t.Fatalf("GetValues: %v", err)
		}
		if h, ok := v.Values["database"]["host"]; ok {
			host = string(h.Value)
		}
		verification, err := c.Audit.Verify(t.Context(), actor)
		if err != nil || !verification.Valid {
			t.Fatalf("audit chain: %+v, %v", verification, err)
		}
		return v.Version, host, verification.Entries
	}

	// The first version takes other statements than the next ones: the
	// steps are counted on the second.
	for n := -1; n <= 0; n++ {
		canceler.Arm(0, nil)
		if _, err := c.Catalog.ApplyChangeSet(t.Context(), actor, "billing", "local", changeSet(n)); err != nil {
			t.Fatal(err)
		}
	}
	steps := canceler.Steps()
	if steps < 5 {
		t.Fatalf("a change set took %d steps: the driver does not count its statements", steps)
	}
	committed := 0
	for run := 0; run < 2*steps; run++ {
		n, after, when := run/2+1, run%2 == 1, "before"
		if after {
			when = "after"
		}
		version, _, entries := state()
		ctx, cancel := context.WithCancel(t.Context())
		if after {
			canceler.ArmAfter(n, cancel)
		} else {
			canceler.Arm(n, cancel)
		}
		_, err := c.Catalog.ApplyChangeSet(ctx, actor, "billing", "local", changeSet(run+1))
		cancel()
		if !canceler.Fired() {
			t.Fatalf("step %d of %d never came", n, steps)
		}
		if err != nil && !domain.IsKind(err, domain.KindCanceled) {
			t.Errorf("canceled %s step %d of %d: %v, want CANCELED or success", when, n, steps, err)
		}
		gotVersion, gotHost, gotEntries := state()
		switch {
		case gotVersion == version+1 && gotHost == fmt.Sprintf(`"db-%d.internal"`, run+1) && gotEntries == entries+1:
			committed++
		case gotVersion == version && gotEntries == entries:
			if err == nil {
				t.Errorf("canceled %s step %d of %d: success answered but nothing committed", when, n, steps)
			}
		default:
			t.Errorf("canceled %s step %d of %d: version %d -> %d, host %s, audit %d -> %d: neither all nor nothing",
				when, n, steps, version, gotVersion, gotHost, entries, gotEntries)
		}
	}
	t.Logf("%d steps; the change set committed in %d of %d cancellations", steps, committed, 2*steps)
}
