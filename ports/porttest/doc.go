// Package porttest is the conformance suite every store adapter runs: one
// call exercises every store port through the Transactor, plus rollback,
// panics, tenant isolation, concurrent changes, audit tamper detection, and
// an asset's deletion racing its change sets, promotion and rollback through
// the real core services (core.New), so that the store is locked in the
// production order.
//
// An adapter's test opens a fresh, migrated, empty store per call of its
// Opener and registers the store's cleanup with t.Cleanup:
//
//	func TestConformance(t *testing.T) {
//		porttest.Run(t, func(t *testing.T) ports.Transactor {
//			s, err := mystore.Open(t.Context(), t.TempDir()+"/db")
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		}, porttest.Options{Tamper: func(t *testing.T, s ports.Transactor) porttest.Tamperer {
//			return myTamperer{s.(*mystore.Store)}
//		}})
//	}
//
// The suite calls the Opener once per top-level case, so cases never see each
// other's rows. Stores that also implement ports.ChangeFeed get the feed
// cases; Options.Tamper enables the tamper-detection cases, which need raw
// access to the adapter's tables. Cases that cannot run say so with t.Skip.
//
// Behaviour the suite pins down where the ports leave a choice:
//   - A panic inside fn rolls the transaction back and is re-raised with its
//     original value once the store is ready for the next transaction.
//   - An error returned by fn is returned by InTenant/Global (errors.Is holds).
//   - Writing an entity whose tenant differs from the bound tenant fails and
//     writes nothing.
//   - JSON (values, audit details) round-trips semantically (RFC 8785 form),
//     not byte for byte; times round-trip to the microsecond.
//
// Expected failures run in their own transaction, so that adapters whose
// database aborts a transaction after a constraint violation behave the same.
//
// The exported seed helpers (NewTenant, NewUser, NewAsset, MustInTenant,
// MustGlobal) are meant for adapters' own tests as well.
package porttest
