package catalog

import (
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
)

// promotionFixture is a source (stage, version 5) and a target (prod,
// version 2) exercising every kind of difference.
func promotionFixture(w *world) (source, target domain.Version) {
	source = version("stage", 5, domain.Snapshot{
		"app": {"same": plain(`1`), "changed": plain(`"new"`), "added": plain(`true`), "flag": plain(`"x"`)},
		"db": {
			"pw_same": w.sealed("stage", "db", "pw_same", `"p"`),
			"pw_diff": w.sealed("stage", "db", "pw_diff", `"p1"`),
			"pw_new":  w.sealed("stage", "db", "pw_new", `"n"`),
		},
	})
	target = version("prod", 2, domain.Snapshot{
		"app": {"same": plain(`1`), "changed": plain(`"old"`), "flag": w.sealed("prod", "app", "flag", `"x"`), "removed": plain(`2`)},
		"db":  {"pw_same": w.sealed("prod", "db", "pw_same", `"p"`), "pw_diff": w.sealed("prod", "db", "pw_diff", `"p2"`)},
		"old": {"gone": plain(`0`)},
	})
	return source, target
}

var fixtureDiff = domain.Diff{
	Added:   []string{"app.added", "db.pw_new"},
	Changed: []string{"app.changed", "app.flag", "db.pw_diff"},
	Removed: []string{"app.removed", "old.gone"},
}

func TestPromoteDryRunOnlyDiffs(t *testing.T) {
	w := newWorld(t)
	source, target := promotionFixture(w)
	w.assets.EXPECT().LockBySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
	w.envs.EXPECT().Get(gomock.Any(), "stage").Return(domain.Environment{Name: "stage"}, nil)
	w.envs.EXPECT().Get(gomock.Any(), "prod").Return(domain.Environment{Name: "prod"}, nil)
	w.versions.EXPECT().Current(gomock.Any(), assetID, "stage").Return(source, nil)
	w.versions.EXPECT().Current(gomock.Any(), assetID, "prod").Return(target, nil)
	w.expectTenantKey()

	got, err := w.svc.Promote(w.ctx, editor, assetSlug, PromoteRequest{From: "stage", To: "prod", ExpectedVersion: intp(2), DryRun: true})
	if err != nil {
		t.Fatalf("Promote: %v", err)
	}
	assertJSON(t, got, PromoteResult{From: "stage", To: "prod", DryRun: true, Diff: fixtureDiff})
	if got.Version != nil {
		t.Fatalf("dry run answers version %d, want none", *got.Version)
	}
}

func TestPromoteCopiesTheSourceResealed(t *testing.T) {
	w := newWorld(t)
	source, target := promotionFixture(w)
	w.assets.EXPECT().LockBySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
	w.envs.EXPECT().Get(gomock.Any(), "stage").Return(domain.Environment{Name: "stage"}, nil)
	w.envs.EXPECT().Get(gomock.Any(), "prod").Return(domain.Environment{Name: "prod"}, nil)
	w.versions.EXPECT().LockHead(gomock.Any(), assetID, "prod").Return(2, nil)
	w.versions.EXPECT().Current(gomock.Any(), assetID, "prod").Return(target, nil)
	w.versions.EXPECT().Current(gomock.Any(), assetID, "stage").Return(source, nil)
	w.expectTenantKey()
	created := w.expectNewVersion()
	entry := w.expectAudit()
	published := w.expectPublish()

	got, err := w.svc.Promote(w.ctx, editor, assetSlug, PromoteRequest{From: "stage", To: "prod"})
	if err != nil {
		t.Fatalf("Promote: %v", err)
	}
	w.assertCommitted(true)
	assertJSON(t, got, PromoteResult{From: "stage", To: "prod", Version: intp(3), Diff: fixtureDiff})

	if created.Number != 3 || created.Environment != "prod" || created.Source != domain.SourcePromote ||
		created.Message != "promoted from stage" || created.CreatedBy != "user:u-editor" || !created.CreatedAt.Equal(fixedNow) {
		t.Fatalf("created version = %+v", created)
	}
	if got, want := created.Snapshot.Paths(), source.Snapshot.Paths(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("target paths = %q, want the source's %q", got, want)
	}
	for obj, keys := range source.Snapshot {
		for key, sv := range keys {
			tv := created.Snapshot[obj][key]
			if !sv.Secret {
				if tv.Secret || string(tv.Value) != string(sv.Value) {
					t.Fatalf("%s.%s = %+v, want %+v", obj, key, tv, sv)
				}
				continue
			}
			want, _ := w.opened("stage", obj, key, sv)
			if plaintext, err := w.opened("prod", obj, key, tv); err != nil || plaintext != want || tv.Value != nil {
				t.Fatalf("%s.%s opens in prod as %q, %v; want %q", obj, key, plaintext, err, want)
			}
			if _, err := w.opened("stage", obj, key, tv); err == nil {
				t.Fatalf("%s.%s still opens under the source's binding", obj, key)
			}
		}
	}
	// A secret equal in both keeps the target's ciphertext; a changed one
	// is sealed anew.
	if got, kept := created.Snapshot["db"]["pw_same"].Sealed, target.Snapshot["db"]["pw_same"].Sealed; string(got) != string(kept) {
		t.Fatal("db.pw_same was sealed again, want the target's ciphertext kept")
	}
	if got, old := created.Snapshot["db"]["pw_diff"].Sealed, target.Snapshot["db"]["pw_diff"].Sealed; string(got) == string(old) {
		t.Fatal("db.pw_diff kept the target's ciphertext of another value")
	}
	if entry.Action != domain.ActionPromoted || entry.Target != "asset:billing" {
		t.Fatalf("audit entry = %+v", entry)
	}
	assertJSON(t, json.RawMessage(entry.Details), map[string]any{"asset": "billing", "from": "stage", "to": "prod", "version": 3, "diff": map[string]any{
		"added": fixtureDiff.Added, "changed": fixtureDiff.Changed, "removed": fixtureDiff.Removed,
	}})
	if *published != (domain.Change{Kind: domain.ChangeValues, TenantID: tenantID, AssetID: assetID, Environment: "prod"}) {
		t.Fatalf("published %+v", published)
	}
}

func TestPromoteStaleExpectedVersion(t *testing.T) {
	for _, dryRun := range []bool{false, true} {
		t.Run(map[bool]string{false: "promotion", true: "dry run"}[dryRun], func(t *testing.T) {
			w := newWorld(t)
			w.assets.EXPECT().LockBySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
			w.envs.EXPECT().Get(gomock.Any(), "stage").Return(domain.Environment{Name: "stage"}, nil)
			w.envs.EXPECT().Get(gomock.Any(), "prod").Return(domain.Environment{Name: "prod"}, nil)
			if dryRun {
				w.versions.EXPECT().Current(gomock.Any(), assetID, "stage").Return(version("stage", 1, nil), nil)
				w.versions.EXPECT().Current(gomock.Any(), assetID, "prod").Return(version("prod", 2, nil), nil)
			} else {
				w.versions.EXPECT().LockHead(gomock.Any(), assetID, "prod").Return(2, nil)
			}
			_, err := w.svc.Promote(w.ctx, editor, assetSlug, PromoteRequest{From: "stage", To: "prod", ExpectedVersion: intp(1), DryRun: dryRun})
			de := assertKind(t, err, domain.KindVersionConflict)
			assertJSON(t, de.Details, map[string]any{"expected_version": 1, "current_version": 2})
			w.assertCommitted(false)
		})
	}
}

func TestPromoteRefusesUnreadableSecrets(t *testing.T) {
	tampered := func(v domain.StoredValue) domain.StoredValue {
		b := append([]byte(nil), v.Sealed...)
		b[len(b)-1] ^= 1
		return domain.StoredValue{Secret: true, Sealed: b}
	}
	tests := []struct {
		name  string
		build func(w *world) (source, target domain.Snapshot)
	}{
		{"in the diff, source side", func(w *world) (domain.Snapshot, domain.Snapshot) {
			return domain.Snapshot{"db": {"pw": tampered(w.sealed("stage", "db", "pw", `"a"`))}},
				domain.Snapshot{"db": {"pw": w.sealed("prod", "db", "pw", `"a"`)}}
		}},
		{"in the diff, target side", func(w *world) (domain.Snapshot, domain.Snapshot) {
			return domain.Snapshot{"db": {"pw": w.sealed("stage", "db", "pw", `"a"`)}},
				domain.Snapshot{"db": {"pw": tampered(w.sealed("prod", "db", "pw", `"a"`))}}
		}},
		{"when sealing again", func(w *world) (domain.Snapshot, domain.Snapshot) {
			return domain.Snapshot{"db": {"pw": w.sealed("prod", "db", "pw", `"moved from another place"`)}}, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			source, target := tt.build(w)
			w.assets.EXPECT().LockBySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
			w.envs.EXPECT().Get(gomock.Any(), gomock.Any()).Return(domain.Environment{}, nil).Times(2)
			w.versions.EXPECT().LockHead(gomock.Any(), assetID, "prod").Return(1, nil)
			w.versions.EXPECT().Current(gomock.Any(), assetID, "prod").Return(version("prod", 1, target), nil)
			w.versions.EXPECT().Current(gomock.Any(), assetID, "stage").Return(version("stage", 1, source), nil)
			w.expectTenantKey()
			_, err := w.svc.Promote(w.ctx, editor, assetSlug, PromoteRequest{From: "stage", To: "prod"})
			assertKind(t, err, domain.KindInternal)
			w.assertCommitted(false)
		})
	}
}
