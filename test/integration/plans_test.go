package integration

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/configmat/configmat/adapters/postgres"
	"github.com/configmat/configmat/test/pgtest"
)

// Shape of the history TestChangeSetPlansReadNoHistory writes before it looks
// at the plans: historyAssets assets of one tenant, historyVersions versions
// each in one environment, and an audit entry per version.
const (
	historyAssets   = 4
	historyVersions = 150
)

// TestChangeSetPlansReadNoHistory runs EXPLAIN ANALYZE on every statement of
// a change set, as the store sent it (pgtest's recording driver), on a
// database whose tables have a history and no statistics: never analyzed,
// as they are until autovacuum's first ANALYZE, or always when it is off.
// PostgreSQL then takes a fixed fraction of the rows for each equality,
// which rounds to one row here, and may take any index that the statement's
// constants match. No scan may read more rows of versions or audit_entries
// than maxRowsPerScan: a change set reads the current version and the
// audit tree's edge, not its environment's or its tenant's history. Both a
// fresh process's first change set (the long way: the chain head and the
// tree's edge) and the next one (4 statements) are checked. The recorder
// refuses each one's COMMIT, so that its statements are replayed from the
// state they were sent in.
//
// The version heads are not held to this: without statistics the lookup of
// the written head may scan the tenant's heads in the environment, one per
// asset, which does not grow with the history (BENCHMARKS.md section 2).
func TestChangeSetPlansReadNoHistory(t *testing.T) {
	db := pgtest.New(t).Fresh(t)
	admin := db.Admin(t)
	var tables []string
	if err := admin.SelectContext(t.Context(), &tables,
		`SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`); err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		if _, err := admin.ExecContext(t.Context(), `ALTER TABLE `+table+` SET (autovacuum_enabled = false)`); err != nil {
			t.Fatal(err)
		}
	}

	setup := newCore(t, db.Store(t))
	actor := newTenant(t, setup, "plans")
	values := map[string]map[string]string{"database": {"host": `"db"`, "port": `5432`, "secret_password": `"pw"`}}
	for a := range historyAssets {
		newAsset(t, setup, actor, fmt.Sprintf("app-%d", a))
	}
	for v := range historyVersions {
		for a := range historyAssets {
			values["database"]["port"] = fmt.Sprint(v)
			mustApply(t, setup, actor, fmt.Sprintf("app-%d", a), "prod", set("history", values))
		}
	}
	var analyzed int
	if err := admin.GetContext(t.Context(), &analyzed, `SELECT
		(SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)
		+ (SELECT count(*) FROM pg_stats WHERE schemaname = 'public')`); err != nil {
		t.Fatal(err)
	}
	if analyzed != 0 {
		t.Fatalf("the tables have statistics (%d tables analyzed and columns described); the test needs none", analyzed)
	}

	for _, c := range []struct {
		name string
		warm bool // a change set committed first: the process remembers the chain head
	}{
		{name: "first change set of a process"},
		{name: "change set from the remembered chain head", warm: true},
	} {
		recorder, dsn := pgtest.NewRecorder(t, db.AppURL)
		recorded := newCore(t, db.Store(t, func(cfg *postgres.Config) { cfg.URL, cfg.DriverName = dsn, pgtest.RecordingDriverName }))
		if c.warm {
			mustApply(t, recorded, actor, "app-0", "prod", set("warm", values))
		}
		recorder.Take()
		recorder.RefuseNextCommit()
		values["database"]["port"] = `"` + c.name + `"`
		if _, err := recorded.Catalog.ApplyChangeSet(t.Context(), actor, "app-0", "prod", set(c.name, values)); err == nil {
			t.Fatalf("%s: the change set committed; the recorder was to refuse it", c.name)
		}
		statements := recorder.Take()
		if len(statements) < maxChangeSetStatements {
			t.Fatalf("%s: recorded %d statements, want at least %d", c.name, len(statements), maxChangeSetStatements)
		}
		// As the store connected (binary_parameters included), unrecorded.
		app := pgtest.Connect(t, recorder.OpenedDSN())
		for _, read := range replayPlans(t, app, statements) {
			t.Errorf("%s: %s", c.name, read)
		}
	}
}

// replayPlans sends statements in order under EXPLAIN (ANALYZE), in one
// transaction that it rolls back: from the state they were first sent in
// (their own transaction rolled back), each does what it did then. It
// describes each scan that read history, with its statement.
func replayPlans(t *testing.T, app *sqlx.DB, statements []pgtest.Statement) []string {
	t.Helper()
	tx, err := app.BeginTxx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	var reads []string
	for i, s := range statements {
		var out []byte
		if err := tx.GetContext(t.Context(), &out, `EXPLAIN (ANALYZE, FORMAT JSON) `+s.Query, s.Args...); err != nil {
			t.Fatalf("statement %d, EXPLAIN %s: %v", i+1, s.Query, err)
		}
		var plans []struct {
			Plan planNode `json:"Plan"`
		}
		if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
			t.Fatalf("statement %d, EXPLAIN's output %s: %v", i+1, out, err)
		}
		for _, read := range plans[0].Plan.historyReads(nil) {
			reads = append(reads, fmt.Sprintf("statement %d: %s\n%s", i+1, read, s.Query))
		}
	}
	return reads
}

// maxRowsPerScan is the most rows of a table that grows with the history
// that one scan of a change set's statement may read (return or discard):
// its current version, and of the audit chain as many entries as the
// tree's edge has nodes (one per bit of the chain's length) and the entry
// that ends it. Reading a pair's or a tenant's history is linear.
var maxRowsPerScan = map[string]float64{
	"versions":      1,
	"audit_entries": float64(bits.Len(historyAssets*historyVersions) + 1),
}

// planNode is a node of EXPLAIN's JSON output, with the counts of rows it
// returned and discarded.
type planNode struct {
	NodeType      string     `json:"Node Type"`
	Relation      string     `json:"Relation Name"`
	Index         string     `json:"Index Name"`
	ActualRows    float64    `json:"Actual Rows"`
	ActualLoops   float64    `json:"Actual Loops"`
	RemovedFilter float64    `json:"Rows Removed by Filter"`
	RemovedCheck  float64    `json:"Rows Removed by Index Recheck"`
	Plans         []planNode `json:"Plans"`
}

// historyReads appends a description of each scan under n that read more
// rows of its table than maxRowsPerScan allows (those it returned and those
// its filter discarded).
func (n planNode) historyReads(out []string) []string {
	read := (n.ActualRows + n.RemovedFilter + n.RemovedCheck) * n.ActualLoops
	if most, ok := maxRowsPerScan[n.Relation]; ok && strings.Contains(n.NodeType, "Scan") && read > most {
		on := n.Relation
		if n.Index != "" {
			on += " by " + n.Index
		}
		out = append(out, fmt.Sprintf("%s on %s read %.0f rows (returned %.0f)", n.NodeType, on, read, n.ActualRows*n.ActualLoops))
	}
	for _, child := range n.Plans {
		out = child.historyReads(out)
	}
	return out
}
