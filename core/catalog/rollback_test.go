package catalog

import (
	"encoding/json"
	"fmt"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

func TestRollbackRestoresAnOldVersion(t *testing.T) {
	tests := []struct {
		name     string
		head, to int
	}{
		{"an earlier version", 4, 2},
		{"the current version", 4, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			old := version("prod", tt.to, domain.Snapshot{
				"app": {"debug": plain(`false`), "token": w.sealed("prod", "app", "token", `"t0k3n"`)},
			})
			cur := version("prod", tt.head, domain.Snapshot{"app": {"debug": plain(`true`)}})
			if tt.to == tt.head {
				cur = old
			}
			w.expectWriteTarget("prod", cur)
			if tt.to != tt.head {
				w.versions.EXPECT().Get(gomock.Any(), assetID, "prod", tt.to).Return(old, nil)
			}
			created := w.expectNewVersion()
			published := w.expectPublish()
			entry := w.expectAudit()

			got, err := w.svc.Rollback(w.ctx, editor, assetSlug, "prod", tt.to)
			if err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			w.assertCommitted(true)
			if got != (RollbackResult{Environment: "prod", Version: tt.head + 1, RestoredFrom: tt.to}) {
				t.Fatalf("result = %+v", got)
			}
			if created.Number != tt.head+1 || created.Source != domain.SourceRollback || created.CreatedBy != "user:u-editor" ||
				created.Message != fmt.Sprintf("rolled back to version %d", tt.to) || !created.CreatedAt.Equal(fixedNow) {
				t.Fatalf("created version = %+v", created)
			}
			assertJSON(t, created.Snapshot, old.Snapshot)
			if plaintext, err := w.opened("prod", "app", "token", created.Snapshot["app"]["token"]); err != nil || plaintext != `"t0k3n"` {
				t.Fatalf("restored secret opens as %q, %v", plaintext, err)
			}
			if entry.Action != domain.ActionRolledBack || entry.Target != "asset:billing" {
				t.Fatalf("audit entry = %+v", entry)
			}
			assertJSON(t, json.RawMessage(entry.Details), map[string]any{"asset": "billing", "environment": "prod", "version": tt.head + 1, "restored_from": tt.to})
			if *published != (domain.Change{Kind: domain.ChangeValues, TenantID: tenantID, AssetID: assetID, Environment: "prod"}) {
				t.Fatalf("published %+v", published)
			}
		})
	}
}

func TestRollbackToAMissingVersion(t *testing.T) {
	w := newWorld(t)
	w.expectWriteTarget("prod", version("prod", 4, domain.Snapshot{}))
	w.versions.EXPECT().Get(gomock.Any(), assetID, "prod", 7).Return(domain.Version{}, domain.Errorf(domain.KindVersionNotFound, "no such version"))
	_, err := w.svc.Rollback(w.ctx, editor, assetSlug, "prod", 7)
	de := assertKind(t, err, domain.KindVersionNotFound)
	assertJSON(t, de.Details, map[string]any{"environment": "prod", "version": 7})
	w.assertCommitted(false)
}
