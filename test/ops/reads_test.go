package ops

import (
	"net/http"
	"testing"
	"time"

	"github.com/configmat/configmat/test/e2etest"
	"github.com/configmat/configmat/test/pgtest"
)

// TestReadCountsSurviveSIGTERM: reads counted in memory and not yet flushed
// are written when the server stops on SIGTERM, and the next server on the
// same store lists them.
func TestReadCountsSurviveSIGTERM(t *testing.T) {
	e2etest.ForEachStore(t, func(t *testing.T, store e2etest.Store) {
		o := e2etest.Options{Dir: t.TempDir()}
		switch store {
		case e2etest.SQLite:
			o.Env = map[string]string{"DEBUG": "true"}
		case e2etest.Postgres:
			o.Env = postgresEnv(pgtest.New(t).Fresh(t), newEncryptionKey(t), nil)
		}
		srv := e2etest.Start(t, o)
		acct := registerAccount(t, srv)
		acct.createAsset(t, "billing")
		acct.setValue(t, "billing", "local", "features", "release", 1)
		key := acct.createAPIKey(t, "sdk", "local")
		const reads = 7
		for range reads {
			resp, body := readWithKey(t, srv, key.Key, "billing", "local")
			requireStatus(t, resp, body, http.StatusOK)
		}
		started := time.Now()
		if code := srv.Stop(t); code != 0 {
			t.Fatalf("exit status after SIGTERM %d; log:\n%s", code, srv.Logs())
		}
		t.Logf("stopped %s after the reads", time.Since(started).Round(time.Millisecond))

		next := startServer(t, o)
		body := acct.on(next).must(t, http.StatusOK, http.MethodGet, apiBase+"/audit/reads?asset=billing", nil)
		got := decode[struct {
			Reads []struct {
				Actor string `json:"actor"`
				Count int64  `json:"count"`
			} `json:"reads"`
		}](t, body)
		if len(got.Reads) != 1 || got.Reads[0].Actor != "api_key:"+key.ID || got.Reads[0].Count != reads {
			t.Fatalf("after a restart, GET /audit/reads lists %+v; want %d reads by api_key:%s", got.Reads, reads, key.ID)
		}
	})
}
