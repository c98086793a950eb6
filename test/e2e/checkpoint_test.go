package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/lib/pq" // the PostgreSQL driver of the attack's statements
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	_ "modernc.org/sqlite" // the SQLite driver of the attack's statements

	"github.com/configmat/configmat/core/canonjson"
)

// checkpointView is the answer of GET /audit/checkpoint.
type checkpointView struct {
	Size        int64  `json:"size"`
	RootHash    string `json:"root_hash"`
	Checkpoint  string `json:"checkpoint"`
	VerifierKey string `json:"verifier_key"`
}

// getCheckpoint reads fx's latest checkpoint.
func getCheckpoint(t *testing.T, fx *tenantFixture) (checkpointView, []byte) {
	t.Helper()
	var cp checkpointView
	r := fx.owner.get(t, "/api/v1/audit/checkpoint").want(t, http.StatusOK)
	r.decode(t, &cp)
	return cp, r.body
}

// exportEntries writes fx's whole chain, as GET /audit lists it, to a file
// of JSON lines, and returns the file and the entries' canonical forms
// computed here from their listed fields.
func exportEntries(t *testing.T, fx *tenantFixture, dir, name string) (string, [][]byte) {
	t.Helper()
	var page struct {
		Entries    []json.RawMessage `json:"entries"`
		NextCursor *string           `json:"next_cursor"`
	}
	fx.owner.get(t, "/api/v1/audit?limit=200").want(t, http.StatusOK).decode(t, &page)
	var lines bytes.Buffer
	var canonicals [][]byte
	for _, raw := range page.Entries {
		lines.Write(raw)
		lines.WriteByte('\n')
		var e map[string]any
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		c, err := canonjson.Marshal(map[string]any{
			"action": e["action"], "actor": e["actor"], "created_at": e["created_at"], "details": e["details"],
			"seq": e["seq"], "target": e["target"], "tenant_id": fx.id,
		})
		if err != nil {
			t.Fatal(err)
		}
		canonicals = append(canonicals, c)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, lines.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, canonicals
}

// leafHash is RFC 9162's leaf hash, computed without the library.
func leafHash(canonical []byte) []byte {
	h := sha256.Sum256(append([]byte{0}, canonical...))
	return h[:]
}

// unhex decodes a list of hex hashes.
func unhex(t *testing.T, hashes []string) [][]byte {
	t.Helper()
	out := make([][]byte, len(hashes))
	for i, h := range hashes {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// tamperer runs statements on the server's database bound to one tenant,
// as an attacker with write access to it (the owner role on PostgreSQL).
func tamperer(t *testing.T, st *stack, tenant string) func(query string, args ...any) {
	t.Helper()
	var db *sql.DB
	var err error
	switch st.kind {
	case sqliteStore:
		db, err = sql.Open("sqlite", "file:"+filepath.Join(st.dir, "data", "configmat.db")+"?_pragma=busy_timeout(10000)")
	case postgresStore:
		db, err = sql.Open("postgres", st.env["MIGRATION_DATABASE_URL"])
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return func(query string, args ...any) {
		t.Helper()
		ctx := context.Background()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		if st.kind == postgresStore {
			if _, err := tx.ExecContext(ctx, `SELECT set_config('app.current_tenant', $1, true)`, tenant); err != nil {
				t.Fatal(err)
			}
			query = strings.NewReplacer("?1", "$1", "?2", "$2", "?3", "$3", "?4", "$4", "?5", "$5").Replace(query)
		}
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// testAuditCheckpoints checks the signed checkpoints and proofs of a
// tenant's chain from outside: the checkpoint opens with the verifier key
// alone, every entry's inclusion proof and the consistency proofs verify
// with the library's verifier against independently computed roots, and
// the attack that no chain catches (delete the newest entries, rewind every
// head row) is caught by `audit verify --offline` with a checkpoint taken
// before it and by a consistency proof request from that checkpoint.
func testAuditCheckpoints(t *testing.T, st *stack) {
	dir := t.TempDir()
	fx := st.newTenant(t)
	for range 4 {
		fx.newAsset(t)
	}
	code, pinned, stderr := st.run(t, "", "audit", "verifier-key")
	pinned = strings.TrimSpace(pinned)
	if code != 0 || !strings.HasPrefix(pinned, "configmat.audit+") {
		t.Fatalf("configmat audit verifier-key exited %d: %q %s", code, pinned, stderr)
	}
	early, _ := getCheckpoint(t, fx)
	if early.VerifierKey != pinned {
		t.Fatalf("the checkpoint names verifier key %q, the binary prints %q", early.VerifierKey, pinned)
	}
	verifier, err := note.NewVerifier(pinned)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(early.Checkpoint), note.VerifierList(verifier))
	if err != nil {
		t.Fatalf("the checkpoint does not open with the verifier key alone: %v", err)
	}
	entriesFile, canonicals := exportEntries(t, fx, dir, "early.jsonl")
	if int64(len(canonicals)) != early.Size {
		t.Fatalf("the checkpoint has size %d, the chain %d entries", early.Size, len(canonicals))
	}
	root, _ := hex.DecodeString(early.RootHash)
	wantText := fmt.Sprintf("configmat.audit/%s\n%d\n%s\n", fx.id, early.Size, base64.StdEncoding.EncodeToString(root))
	if n.Text != wantText {
		t.Fatalf("checkpoint text %q, want %q", n.Text, wantText)
	}
	for seq := int64(1); seq <= early.Size; seq++ {
		var p struct {
			Seq      int64    `json:"seq"`
			Size     int64    `json:"size"`
			LeafHash string   `json:"leaf_hash"`
			Proof    []string `json:"proof"`
		}
		fx.owner.get(t, fmt.Sprintf("/api/v1/audit/proof/inclusion?seq=%d&size=%d", seq, early.Size)).want(t, http.StatusOK).decode(t, &p)
		if p.LeafHash != hex.EncodeToString(leafHash(canonicals[seq-1])) {
			t.Fatalf("entry %d: leaf hash %s, SHA-256(0x00 || canonical JSON) is %x", seq, p.LeafHash, leafHash(canonicals[seq-1]))
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(seq-1), uint64(early.Size), leafHash(canonicals[seq-1]), unhex(t, p.Proof), root); err != nil {
			t.Fatalf("entry %d's inclusion proof: %v", seq, err)
		}
	}
	offline := func(t *testing.T, entries, checkpoint string) (int, string) {
		t.Helper()
		code, stdout, stderr := st.run(t, "", "audit", "verify", "--offline", "--entries", entries, "--checkpoint", checkpoint, "--verifier-key", pinned)
		if code == 2 {
			t.Fatalf("audit verify --offline failed: %s %s", stdout, stderr)
		}
		return code, stdout
	}
	earlyFile := filepath.Join(dir, "early-checkpoint.json")
	_, earlyJSON := getCheckpoint(t, fx)
	if err := os.WriteFile(earlyFile, earlyJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := offline(t, entriesFile, earlyFile); code != 0 {
		t.Fatalf("offline verification of the intact chain exited %d: %s", code, out)
	}

	var headHash string
	{
		var page auditPage
		fx.owner.get(t, "/api/v1/audit?limit=200").want(t, http.StatusOK).decode(t, &page)
		headHash = page.Entries[len(page.Entries)-1].Hash
	}

	for range 3 {
		fx.newAsset(t)
	}
	held, heldJSON := getCheckpoint(t, fx)
	heldFile := filepath.Join(dir, "held-checkpoint.json")
	if err := os.WriteFile(heldFile, heldJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	heldRoot, _ := hex.DecodeString(held.RootHash)
	var c struct {
		From  int64    `json:"from"`
		To    int64    `json:"to"`
		Proof []string `json:"proof"`
	}
	fx.owner.get(t, fmt.Sprintf("/api/v1/audit/proof/consistency?from=%d&to=%d", early.Size, held.Size)).want(t, http.StatusOK).decode(t, &c)
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(early.Size), uint64(held.Size), unhex(t, c.Proof), root, heldRoot); err != nil {
		t.Fatalf("the consistency proof of the grown log: %v", err)
	}

	// The attack: delete the newest entries (their checkpoints with them),
	// rewind every head row.
	exec := tamperer(t, st, fx.id)
	exec(`DELETE FROM audit_entries WHERE tenant_id = ?1 AND seq > ?2`, fx.id, early.Size)
	exec(`UPDATE audit_heads SET seq = ?1, hash = ?2 WHERE tenant_id = ?3`, early.Size, headHash, fx.id)

	var v auditVerification
	fx.owner.get(t, "/api/v1/audit/verify").want(t, http.StatusOK).decode(t, &v)
	if !v.Valid {
		t.Fatalf("the rewound chain is reported broken by the database alone (%+v): the attack is not the one described", v)
	}
	cutFile, _ := exportEntries(t, fx, dir, "cut.jsonl")
	if code, out := offline(t, cutFile, heldFile); code != 1 || !strings.Contains(out, "BROKEN") {
		t.Fatalf("offline verification of the cut chain against the held checkpoint exited %d: %s", code, out)
	}
	fx.owner.get(t, fmt.Sprintf("/api/v1/audit/proof/consistency?from=%d&to=%d", held.Size, held.Size)).
		wantError(t, http.StatusBadRequest, "VALIDATION_ERROR")

	// Grown again past the held size, the log cannot prove it extends it.
	for range 4 {
		fx.newAsset(t)
	}
	now, _ := getCheckpoint(t, fx)
	nowRoot, _ := hex.DecodeString(now.RootHash)
	fx.owner.get(t, fmt.Sprintf("/api/v1/audit/proof/consistency?from=%d&to=%d", held.Size, now.Size)).want(t, http.StatusOK).decode(t, &c)
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(held.Size), uint64(now.Size), unhex(t, c.Proof), heldRoot, nowRoot); err == nil {
		t.Fatal("a consistency proof from the held checkpoint verifies over the rewritten log")
	}
	grownFile, _ := exportEntries(t, fx, dir, "grown.jsonl")
	if code, out := offline(t, grownFile, heldFile); code != 1 {
		t.Fatalf("offline verification of the rewritten chain against the held checkpoint exited %d: %s", code, out)
	}

	// A checkpoint with one changed byte fails.
	changed := []byte(held.Checkpoint)
	changed[len(changed)/2] ^= 0x01
	changedFile := filepath.Join(dir, "changed.txt")
	if err := os.WriteFile(changedFile, changed, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := offline(t, entriesFile, changedFile); code != 1 {
		t.Fatalf("offline verification against a changed checkpoint exited %d: %s", code, out)
	}
}
