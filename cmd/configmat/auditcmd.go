package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/configmat/configmat/adapters/httpapi"
	"github.com/configmat/configmat/core"
	"github.com/configmat/configmat/core/audit"
	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/keys"
)

// cmdKeygenAudit prints a new AUDIT_SIGNING_KEY and, on a second line, its
// verifier key.
func cmdKeygenAudit(e env) error {
	skey, vkey, err := audit.GenerateSigningKey(rand.Reader)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, skey)
	fmt.Fprintln(e.stdout, vkey)
	return nil
}

// cmdAuditVerifierKey prints the verifier key of the configured signing key:
// AUDIT_SIGNING_KEY's, or the one derived from ENCRYPTION_KEY. It opens no
// database.
func cmdAuditVerifierKey(e env, args []string) error {
	fs := newFlags(e, "audit verifier-key", "audit verifier-key")
	if err := parseFlags(fs, args, nil); err != nil {
		return err
	}
	s, logger, err := loadSettings(e)
	if err != nil {
		return err
	}
	kek, err := loadKEK(s, func(msg string) { logger.Warn(msg) })
	if err != nil {
		return err
	}
	signer, err := auditSigner(s, kek)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, signer.VerifierKey())
	return nil
}

// offlineInputs are the files of `audit verify --offline`.
type offlineInputs struct{ entries, checkpoint, verifierKey string }

// cmdAuditVerifyOffline verifies exported entries against a held checkpoint
// with the verifier key alone, with no database: exit 0 intact, 1 broken
// (a changed, missing, reordered or cut-off entry, a checkpoint the entries
// do not reach, or a checkpoint whose signature fails), 2 error.
func cmdAuditVerifyOffline(e env, in offlineInputs) error {
	for name, v := range map[string]string{"entries": in.entries, "checkpoint": in.checkpoint, "verifier-key": in.verifierKey} {
		if v == "" {
			return &exitError{code: 2, err: fmt.Errorf("--offline needs --%s", name)}
		}
	}
	vkey, err := readVerifierKey(in.verifierKey)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	note, err := readCheckpoint(in.checkpoint)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	entries, err := readEntries(in.entries)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	cp, err := audit.OpenCheckpoint(note, vkey)
	if err != nil {
		fmt.Fprintf(e.stdout, "checkpoint is INVALID: %s\n", describe(err))
		return &exitError{code: 1}
	}
	tenant := domain.TenantID(strings.TrimPrefix(cp.Origin, audit.OriginPrefix))
	v := audit.Verifier{CheckpointSize: cp.Size}
	for _, entry := range entries {
		entry.TenantID = tenant
		if !v.Add(entry) {
			break
		}
	}
	r := v.CheckCheckpoint(cp)
	if !r.Valid {
		fmt.Fprintf(e.stdout, "audit chain of tenant %s is BROKEN at seq %d (%s); %d entries checked against a checkpoint of %d\n",
			tenant, r.FirstInvalidSeq, r.Reason, r.Entries, cp.Size)
		return &exitError{code: 1}
	}
	fmt.Fprintf(e.stdout, "audit chain of tenant %s is intact: %d entries, head %s, reaching the checkpoint of %d entries\n",
		tenant, r.Entries, r.HeadHash, cp.Size)
	return nil
}

// readVerifierKey reads --verifier-key: the key itself, or a file holding it.
func readVerifierKey(arg string) (string, error) {
	if _, err := note.NewVerifier(arg); err == nil {
		return arg, nil
	}
	if b, err := os.ReadFile(arg); err == nil { // #nosec G304 -- a file the operator names
		return strings.TrimSpace(string(b)), nil
	}
	return "", fmt.Errorf("--verifier-key: %q is neither a verifier key nor a readable file", arg)
}

// readCheckpoint reads --checkpoint: the JSON of GET /audit/checkpoint (its
// verifier_key is ignored: only --verifier-key is trusted), or the signed
// note itself.
func readCheckpoint(path string) ([]byte, error) {
	b, err := os.ReadFile(path) // #nosec G304 -- a file the operator names
	if err != nil {
		return nil, fmt.Errorf("--checkpoint: %w", err)
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var body struct {
			Checkpoint string `json:"checkpoint"`
		}
		if err := json.Unmarshal(t, &body); err != nil || body.Checkpoint == "" {
			return nil, errors.New("--checkpoint: not the JSON of GET /audit/checkpoint")
		}
		return []byte(body.Checkpoint), nil
	}
	return b, nil
}

// readEntries reads --entries: one JSON array of entries, or JSON lines of
// entries; a page of GET /audit ({"entries":[...]}) counts as its entries.
func readEntries(path string) ([]domain.AuditEntry, error) {
	f, err := os.Open(path) // #nosec G304 -- a file the operator names
	if err != nil {
		return nil, fmt.Errorf("--entries: %w", err)
	}
	defer func() { _ = f.Close() }()
	dec := json.NewDecoder(bufio.NewReader(f))
	var out []domain.AuditEntry
	for n := 1; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("--entries: value %d is not JSON: %v", n, err)
		}
		var wires []httpapi.AuditEntryView
		switch t := bytes.TrimSpace(raw); {
		case len(t) > 0 && t[0] == '[':
			err = json.Unmarshal(t, &wires)
		default:
			var page struct {
				Entries []httpapi.AuditEntryView `json:"entries"`
				Seq     *int64                   `json:"seq"`
			}
			if err = json.Unmarshal(t, &page); err == nil && page.Seq == nil {
				wires = page.Entries
				break
			}
			var w httpapi.AuditEntryView
			err = json.Unmarshal(t, &w)
			wires = []httpapi.AuditEntryView{w}
		}
		if err != nil {
			return nil, fmt.Errorf("--entries: value %d is not an audit entry: %v", n, err)
		}
		for _, w := range wires {
			e, err := w.Entry()
			if err != nil {
				return nil, fmt.Errorf("--entries: %v", plain(err))
			}
			out = append(out, e)
		}
	}
}

// cmdKeysRotate rewraps every data key that a key of ENCRYPTION_KEY_PREVIOUS
// wraps under ENCRYPTION_KEY, in batches, while servers keep running; it can
// be interrupted and run again. Exit 0 when no data key is left on a
// previous key, 1 when some are, 2 on an error.
func cmdKeysRotate(ctx context.Context, e env, args []string) error {
	var batch int
	fs := newFlags(e, "keys rotate", "keys rotate [--batch N]")
	fs.IntVar(&batch, "batch", keys.RotationBatch, "tenants listed per batch (each rewrapped in its own transaction)")
	if err := parseFlags(fs, args, nil); err != nil {
		return err
	}
	if batch < 1 {
		return &exitError{code: 2, err: errors.New("--batch must be 1 or more")}
	}
	err := withApp(ctx, e, func(a *app) error {
		fmt.Fprintf(e.stdout, "rewrapping data keys under key %s\n", a.core.Keys.CurrentKeyID())
		p, err := a.core.Keys.Rotate(ctx, a.store, batch, func(p keys.RotationProgress) {
			fmt.Fprintf(e.stdout, "rewrapped %d data keys, %d left on previous keys\n", p.Rewrapped, p.Left)
		})
		if err != nil {
			var unknown *keys.UnknownKEKError
			if errors.As(err, &unknown) {
				return fmt.Errorf("a data key is wrapped by key %s, which is neither ENCRYPTION_KEY nor in ENCRYPTION_KEY_PREVIOUS", unknown.KeyID)
			}
			return describe(err)
		}
		fmt.Fprintf(e.stdout, "done: %d data keys rewrapped, %d left on previous keys\n", p.Rewrapped, p.Left)
		if a.settings.AuditSigningKey == "" {
			fmt.Fprintf(e.stdout, "the audit verifier key derived from ENCRYPTION_KEY is now %s (checkpoints signed before keep verifying with the old one)\n",
				core.DerivedAuditSigner(a.kek).VerifierKey())
		}
		if p.Left > 0 {
			return &exitError{code: 1}
		}
		return nil
	})
	var ee *exitError
	if err != nil && !errors.As(err, &ee) {
		return &exitError{code: 2, err: err}
	}
	return err
}
