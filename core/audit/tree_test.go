package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"go.uber.org/mock/gomock"
	"golang.org/x/mod/sumdb/note"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
	"github.com/configmat/configmat/ports/mocks"
)

// memChain is an in-memory audit store of one tenant, keeping entries with
// their tree nodes and checkpoints as the SQL store does.
type memChain struct {
	entries []domain.AuditEntry
}

func newMemChain() *memChain { return &memChain{} }

func (m *memChain) LockHead(context.Context) (int64, string, error) {
	if len(m.entries) == 0 {
		return 0, domain.GenesisHash, nil
	}
	last := m.entries[len(m.entries)-1]
	return last.Seq, last.Hash, nil
}

func (m *memChain) Append(_ context.Context, e domain.AuditEntry) error {
	m.entries = append(m.entries, e)
	return nil
}

func (m *memChain) TryAppend(ctx context.Context, e domain.AuditEntry) (bool, error) {
	if seq, hash, _ := m.LockHead(ctx); e.Seq != seq+1 || e.PreviousHash != hash {
		return false, nil
	}
	return true, m.Append(ctx, e)
}

func (m *memChain) List(_ context.Context, after int64, limit int) ([]domain.AuditEntry, error) {
	var out []domain.AuditEntry
	for _, e := range m.entries {
		if e.Seq > after && len(out) < limit {
			e.TreeNodes, e.Checkpoint = nil, ""
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memChain) Checkpoint(context.Context) (domain.AuditCheckpoint, error) {
	for i := len(m.entries) - 1; i >= 0; i-- {
		if m.entries[i].Checkpoint != "" {
			return domain.AuditCheckpoint{Size: m.entries[i].Seq, Note: m.entries[i].Checkpoint}, nil
		}
	}
	return domain.AuditCheckpoint{}, nil
}

func (m *memChain) TreeNodes(_ context.Context, places []domain.AuditTreeNode) ([][]byte, error) {
	out := make([][]byte, len(places))
	for i, p := range places {
		seq := (p.Index + 1) << p.Level
		if seq > int64(len(m.entries)) || p.Level >= len(m.entries[seq-1].TreeNodes) {
			return nil, domain.Errorf(domain.KindInternal, "node (%d, %d) missing", p.Level, p.Index)
		}
		out[i] = m.entries[seq-1].TreeNodes[p.Level]
	}
	return out, nil
}

func (m *memChain) SetTree(_ context.Context, seq int64, nodes [][]byte, checkpoint string) error {
	if seq > int64(len(m.entries)) || m.entries[seq-1].TreeNodes != nil {
		return domain.StoreError(domain.KindConflict)
	}
	m.entries[seq-1].TreeNodes, m.entries[seq-1].Checkpoint = nodes, checkpoint
	return nil
}

func (m *memChain) AddReads(context.Context, []domain.ReadCount) error { return nil }

func (m *memChain) Reads(context.Context, domain.ReadFilter) ([]domain.ReadCount, error) {
	return nil, nil
}

// note returns the checkpoint stored with entry seq.
func (m *memChain) note(seq int64) string { return m.entries[seq-1].Checkpoint }

var _ ports.AuditStore = (*memChain)(nil)

// testSigner is a signer of a fixed seed.
func testSigner(tb testing.TB) *Signer {
	tb.Helper()
	s, err := SignerFromSeed(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// grow appends n entries to chain through a new log with signer.
func grow(t *testing.T, chain *memChain, signer *Signer, n int) {
	t.Helper()
	growWith(t, NewLog(Deps{Clock: fixedClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)), Signer: signer}), chain, n)
}

// growWith appends n entries to chain through log.
func growWith(t *testing.T, log *Log, chain *memChain, n int) {
	t.Helper()
	actor := domain.Actor{TenantID: tenant1, UserID: "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", Role: domain.RoleEditor}
	for i := range n {
		if err := log.Append(t.Context(), chain, actor, "test.appended", fmt.Sprintf("item:%d", i), map[string]any{"i": i}); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// mth is RFC 9162's Merkle Tree Hash written from its definition, with
// crypto/sha256 alone: the independent computation of the root.
func mth(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		h := sha256.Sum256(nil)
		return h[:]
	case 1:
		h := sha256.Sum256(append([]byte{0}, leaves[0]...))
		return h[:]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	h := sha256.Sum256(append(append([]byte{1}, mth(leaves[:k])...), mth(leaves[k:])...))
	return h[:]
}

// canonicals returns the canonical forms of the first n entries.
func canonicals(t *testing.T, entries []domain.AuditEntry, n int) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	for i := range n {
		c, err := Canonical(entries[i])
		if err != nil {
			t.Fatal(err)
		}
		out[i] = c
	}
	return out
}

// proofService is a service over chain through a mocked transactor.
func proofService(t *testing.T, chain *memChain, signer *Signer) *Service {
	t.Helper()
	ctrl := gomock.NewController(t)
	s := mocks.NewMockTenantTx(ctrl)
	s.EXPECT().Audit().Return(chain).AnyTimes()
	tx := mocks.NewMockTransactor(ctrl)
	tx.EXPECT().InTenant(gomock.Any(), tenant1, gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
			return fn(ctx, s)
		}).AnyTimes()
	return NewService(Deps{Tx: tx, Signer: signer})
}

func TestCheckpointsAndProofs(t *testing.T) {
	const n = 100
	signer := testSigner(t)
	chain := newMemChain()
	grow(t, chain, signer, n)
	svc := proofService(t, chain, signer)
	leaves := canonicals(t, chain.entries, n)

	verifier, err := note.NewVerifier(signer.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	roots := map[int64][]byte{}
	for size := int64(1); size <= n; size++ {
		if chain.note(size) == "" {
			t.Fatalf("no checkpoint was signed at size %d", size)
		}
		opened, err := note.Open([]byte(chain.note(size)), note.VerifierList(verifier))
		if err != nil {
			t.Fatalf("checkpoint %d does not open with the verifier key: %v", size, err)
		}
		want := checkpointText(tenant1, size, mth(leaves[:size]))
		if opened.Text != want {
			t.Fatalf("checkpoint %d states %q, the independent root gives %q", size, opened.Text, want)
		}
		roots[size] = mth(leaves[:size])
	}

	for size := int64(1); size <= n; size++ {
		for seq := int64(1); seq <= size; seq++ {
			p, err := svc.Inclusion(t.Context(), admin(), seq, size)
			if err != nil {
				t.Fatalf("inclusion %d in %d: %v", seq, size, err)
			}
			if !bytes.Equal(p.LeafHash, Hasher.HashLeaf(leaves[seq-1])) {
				t.Fatalf("leaf hash of %d is not SHA-256(0x00 || canonical)", seq)
			}
			if err := proof.VerifyInclusion(Hasher, uint64(seq-1), uint64(size), p.LeafHash, p.Proof, roots[size]); err != nil {
				t.Fatalf("inclusion proof of %d in %d: %v", seq, size, err)
			}
		}
	}
	for from := int64(1); from <= n; from++ {
		for to := from; to <= n; to++ {
			p, err := svc.Consistency(t.Context(), admin(), from, to)
			if err != nil {
				t.Fatalf("consistency %d..%d: %v", from, to, err)
			}
			if err := proof.VerifyConsistency(Hasher, uint64(from), uint64(to), p.Proof, roots[from], roots[to]); err != nil {
				t.Fatalf("consistency proof %d..%d: %v", from, to, err)
			}
		}
	}
	latest, err := svc.Checkpoint(t.Context(), admin())
	if err != nil || latest.Size != n || !bytes.Equal(latest.RootHash, roots[n]) {
		t.Fatalf("latest checkpoint = %d %x, %v; want %d %x", latest.Size, latest.RootHash, err, n, roots[n])
	}
	v, err := svc.Verify(t.Context(), admin())
	if err != nil || !v.Valid {
		t.Fatalf("verify = %+v, %v", v, err)
	}
}

func TestProofValidation(t *testing.T) {
	signer := testSigner(t)
	chain := newMemChain()
	grow(t, chain, signer, 5)
	svc := proofService(t, chain, signer)
	for _, tc := range []struct {
		name      string
		a, b      int64
		field     string
		inclProof bool
	}{
		{"seq zero", 0, 3, "seq", true},
		{"size below seq", 4, 3, "size", true},
		{"size beyond the log", 2, 6, "size", true},
		{"from zero", 0, 3, "from", false},
		{"to below from", 4, 3, "to", false},
		{"to beyond the log", 2, 6, "to", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.inclProof {
				_, err = svc.Inclusion(t.Context(), admin(), tc.a, tc.b)
			} else {
				_, err = svc.Consistency(t.Context(), admin(), tc.a, tc.b)
			}
			var e *domain.Error
			if !errors.As(err, &e) || e.Kind != domain.KindInvalid || !strings.Contains(fmt.Sprint(e.Details), tc.field) {
				t.Fatalf("err = %v, want VALIDATION_ERROR naming %s", err, tc.field)
			}
		})
	}
}

func TestCheckpointWithAChangedByteFails(t *testing.T) {
	signer := testSigner(t)
	chain := newMemChain()
	grow(t, chain, signer, 3)
	msg := []byte(chain.note(3))
	if _, err := OpenCheckpoint(msg, signer.VerifierKey()); err != nil {
		t.Fatalf("the intact checkpoint does not open: %v", err)
	}
	for i := range msg {
		changed := bytes.Clone(msg)
		changed[i] ^= 0x01
		if _, err := OpenCheckpoint(changed, signer.VerifierKey()); err == nil {
			t.Fatalf("a checkpoint with byte %d changed opens", i)
		}
	}
	other, _ := SignerFromSeed(bytes.Repeat([]byte{8}, 32))
	if _, err := OpenCheckpoint(msg, other.VerifierKey()); err == nil {
		t.Fatal("a checkpoint opens with another verifier key")
	}
}

func TestCheckCheckpointCatchesACutLog(t *testing.T) {
	signer := testSigner(t)
	chain := newMemChain()
	log := NewLog(Deps{Clock: fixedClock(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)), Signer: signer})
	growWith(t, log, chain, 10)
	held, err := OpenCheckpoint([]byte(chain.note(10)), signer.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		entries []domain.AuditEntry
		valid   bool
	}{
		{"whole", chain.entries, true},
		{"newest three removed", chain.entries[:7], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := Verifier{CheckpointSize: held.Size}
			for _, e := range tc.entries {
				v.Add(e)
			}
			r := v.CheckCheckpoint(held)
			if r.Valid != tc.valid || (!tc.valid && r.Reason != ReasonCheckpoint) {
				t.Fatalf("result = %+v, want valid %v", r, tc.valid)
			}
		})
	}
	// The log cut to 7 (the head with it) and grown again to 12, through the
	// same log, whose memory of the tree's edge no longer matches the head.
	chain.entries = chain.entries[:7]
	growWith(t, log, chain, 5)
	svc := proofService(t, chain, signer)
	now, err := svc.Checkpoint(t.Context(), admin())
	if err != nil {
		t.Fatal(err)
	}
	if want := mth(canonicals(t, chain.entries, 12)); now.Size != 12 || !bytes.Equal(now.RootHash, want) {
		t.Fatalf("checkpoint of the regrown log = %d %x, want 12 %x", now.Size, now.RootHash, want)
	}
	p, err := svc.Consistency(t.Context(), admin(), held.Size, now.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := proof.VerifyConsistency(Hasher, uint64(held.Size), uint64(now.Size), p.Proof, held.RootHash, now.RootHash); err == nil {
		t.Fatal("a consistency proof from the held checkpoint verifies over a rewritten log")
	}
}

func TestTreeCatchesUpWithEntriesWrittenBeforeCheckpoints(t *testing.T) {
	signer := testSigner(t)
	chain := newMemChain()
	grow(t, chain, nil, 7) // written before checkpoints existed
	grow(t, chain, signer, 1)
	cp, err := OpenCheckpoint([]byte(chain.note(8)), signer.VerifierKey())
	if err != nil || cp.Size != 8 || !bytes.Equal(cp.RootHash, mth(canonicals(t, chain.entries, 8))) {
		t.Fatalf("checkpoint after catching up = %+v, %v", cp, err)
	}
	for seq := int64(1); seq <= 8; seq++ {
		if len(chain.entries[seq-1].TreeNodes) == 0 {
			t.Errorf("entry %d has no tree nodes after catching up", seq)
		}
	}
	// A service catches up too, without an append.
	grow(t, chain, nil, 3)
	svc := proofService(t, chain, signer)
	now, err := svc.Checkpoint(t.Context(), admin())
	if err != nil || now.Size != 11 || !bytes.Equal(now.RootHash, mth(canonicals(t, chain.entries, 11))) {
		t.Fatalf("service checkpoint after catching up = %+v, %v", now, err)
	}

}

func TestSigningKeys(t *testing.T) {
	// Keys whose base64 holds '+' (as most random ones do) parse too.
	for i := range 50 {
		skey, vkey, err := GenerateSigningKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		s, err := NewSigner(skey)
		if err != nil {
			t.Fatalf("key %d, %q: %v", i, skey, err)
		}
		if s.VerifierKey() != vkey {
			t.Fatalf("verifier key = %q, want %q", s.VerifierKey(), vkey)
		}
	}
	skey, vkey, err := GenerateSigningKey(strings.NewReader(strings.Repeat("k", 64)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(vkey, SignerName+"+") {
		t.Fatalf("verifier key %q does not start with %s", vkey, SignerName)
	}
	for _, bad := range []string{"", vkey, "PRIVATE+KEY+other+00000000+AQ==", strings.Replace(skey, SignerName, "other", 1)} {
		if _, err := NewSigner(bad); domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("NewSigner(%q) = %v, want VALIDATION_ERROR", bad, err)
		}
	}
}

func TestCheckpointsAcrossASigningKeyChange(t *testing.T) {
	oldSigner := testSigner(t)
	newSigner, err := SignerFromSeed(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	chain := newMemChain()
	grow(t, chain, oldSigner, 6)
	root := mth(canonicals(t, chain.entries, 6))

	ctrl := gomock.NewController(t)
	s := mocks.NewMockTenantTx(ctrl)
	s.EXPECT().Audit().Return(chain).AnyTimes()
	tx := mocks.NewMockTransactor(ctrl)
	tx.EXPECT().InTenant(gomock.Any(), tenant1, gomock.Any()).DoAndReturn(
		func(ctx context.Context, _ domain.TenantID, fn func(context.Context, ports.TenantTx) error) error {
			return fn(ctx, s)
		}).AnyTimes()
	for _, tc := range []struct {
		name    string
		earlier []string
		valid   bool
	}{
		{"the old key still known", []string{oldSigner.VerifierKey()}, true},
		{"the old key forgotten", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := NewService(Deps{Tx: tx, Signer: newSigner, EarlierVerifierKeys: tc.earlier})
			v, err := svc.Verify(t.Context(), admin())
			if err != nil || v.Valid != tc.valid {
				t.Fatalf("verify = %+v, %v; want valid %v", v, err, tc.valid)
			}
			cp, err := svc.Checkpoint(t.Context(), admin())
			if err != nil {
				t.Fatal(err)
			}
			opened, err := OpenCheckpoint([]byte(cp.Note), newSigner.VerifierKey())
			if err != nil || opened.Size != 6 || !bytes.Equal(opened.RootHash, root) {
				t.Fatalf("the served checkpoint is not the tree's under the new key: %+v, %v", opened, err)
			}
		})
	}
}
