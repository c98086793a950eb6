package e2e

import "testing"

// scenario is one part of the acceptance run against a shared server.
type scenario struct {
	name string
	run  func(t *testing.T, st *stack)
}

// scenarios run in order against one server per store; each makes its own
// tenants and assets, so they share the server without interfering.
var scenarios = []scenario{
	{"routes answer as documented, with or without a trailing slash", testRoutes},
	{"unknown routes and methods", testUnroutedRequests},
	{"request IDs", testRequestIDs},
	{"error codes", testErrorCodes},
	{"login failures look alike", testLoginFailuresAlike},
	{"revoked API key", testRevokedAPIKey},
	{"asset paging", testAssetPaging},
	{"versions count up by one", testVersionNumbers},
	{"stale expected_version changes nothing", testVersionConflict},
	{"promotion", testPromotion},
	{"rollback", testRollback},
	{"schemas", testSchemas},
	{"schema checks promotions", testSchemaPromotion},
	{"compare", testCompare},
	{"references", testReferences},
	{"reference errors", testReferenceErrors},
	{"secrets are hidden from the values routes", testSecretsHidden},
	{"resolved config by caller", testResolvedByCaller},
	{"resolved config ETag", testResolvedETag},
	{"reads follow changes at once", testReadsFollowChanges},
	{"members", testMembers},
	{"audit chain", testAuditChain},
	{"audit checkpoints and proofs", testAuditCheckpoints},
	{"read audit", testReadAudit},
	{"tenant isolation", testIsolation},
	{"administrative subcommands", testCommands},
}

// TestAPI runs every scenario on each store, against one server per store
// started with JSON logs; when the server stops, its logs are checked
// (request IDs, tenant IDs, no secret).
func TestAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind storeKind) {
		st := startStack(t, kind, generousLimits)
		for _, sc := range scenarios {
			t.Run(sc.name, func(t *testing.T) { sc.run(t, st) })
		}
	})
}
