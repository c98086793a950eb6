package bench

import (
	"fmt"
	"testing"

	"github.com/configmat/configmat/test/pgtest"
)

// BenchmarkNotifyingCommits measures the ceiling that notifying commits put
// on PostgreSQL's write throughput, apart from ConfigMat: concurrent
// transactions that each insert one row of their own and commit, with and
// without a pg_notify before the commit (as a change set's notification).
// PostgreSQL takes its notification queue's lock at commit and holds it
// through the commit's WAL flush, so notifying commits are serialized
// across the server and cannot share a flush (group commit): with
// notifications, commits/s stays near one flush's rate however many
// writers there are. writers=8 is the change-set benchmark's eight
// writers.
func BenchmarkNotifyingCommits(b *testing.B) {
	db := pgtest.New(b).Fresh(b)
	conn := pgtest.Connect(b, withServiceOptions(b, db.AdminURL))
	conn.SetMaxOpenConns(changeSetWriters)
	if _, err := conn.ExecContext(b.Context(), `CREATE TABLE IF NOT EXISTS bench_commits (writer int, n int)`); err != nil {
		b.Fatal(err)
	}
	for _, writers := range []int{1, changeSetWriters} {
		for _, notify := range []bool{false, true} {
			b.Run(fmt.Sprintf("writers=%d/notify=%v", writers, notify), func(b *testing.B) {
				r := load{workers: writers}.run(b, func(w, i int) error {
					tx, err := conn.BeginTx(b.Context(), nil)
					if err != nil {
						return err
					}
					defer func() { _ = tx.Rollback() }()
					if _, err := tx.ExecContext(b.Context(), `INSERT INTO bench_commits (writer, n) VALUES ($1, $2)`, w, i); err != nil {
						return err
					}
					if notify {
						if _, err := tx.ExecContext(b.Context(), `SELECT pg_notify('configmat_bench', 'commit')`); err != nil {
							return err
						}
					}
					return tx.Commit()
				})
				r.report(b, "commits/s")
			})
		}
	}
}
