package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// expectTarget expects the asset and environment lookups of one read.
func (w *world) expectTarget(env string) {
	w.assets.EXPECT().BySlug(gomock.Any(), assetSlug).Return(testAsset, nil)
	w.envs.EXPECT().Get(gomock.Any(), env).Return(domain.Environment{Name: env, Position: 3}, nil)
}

// expectWriteTarget expects the locking lookup that starts a change set:
// the asset, env's head and its current version cur.
func (w *world) expectWriteTarget(env string, cur domain.Version) {
	w.versions.EXPECT().LockCurrent(gomock.Any(), assetSlug, env).Return(writeTarget(cur), nil)
}

// expectNewVersion expects one version to be stored and returns where it
// will be captured.
func (w *world) expectNewVersion() *domain.Version {
	created := &domain.Version{}
	w.versions.EXPECT().Create(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, v domain.Version) error {
		*created = v
		return nil
	})
	return created
}

// expectPublish expects one change notification and returns where it will
// be captured.
func (w *world) expectPublish() *domain.Change {
	published := &domain.Change{}
	w.changes.EXPECT().Publish(gomock.Any(), gomock.Any()).DoAndReturn(func(_ context.Context, c domain.Change) error {
		*published = c
		return nil
	})
	return published
}

func TestApplyChangeSetWritesTheNextVersion(t *testing.T) {
	w := newWorld(t)
	w.expectWriteTarget("prod", version("prod", 3, domain.Snapshot{
		"database": {"host": plain(`"db"`), "password": w.sealed("prod", "database", "password", `"old"`)},
		"features": {"beta": plain(`true`)},
		"cache":    {"ttl": plain(`60`)},
	}))
	w.expectTenantKey()
	created := w.expectNewVersion()
	published := w.expectPublish()
	entry := w.expectAudit()

	cs := domain.ChangeSet{
		Message: "rotate the password",
		Set: map[string]map[string]domain.Value{
			"database": {"password": {Value: []byte(`"n3w-s3cret"`), Secret: true}, "port": {Value: []byte(" 5432 ")}},
			"newobj":   {"key": {Value: []byte("{ \"a\" : [1, 2] }")}},
		},
		Unset: map[string][]string{"features": {"beta"}, "cache": {"ttl", "ttl"}},
	}
	got, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", cs)
	if err != nil {
		t.Fatalf("ApplyChangeSet: %v", err)
	}
	w.assertCommitted(true)

	if created.Number != 4 || created.Source != domain.SourceEdit || created.CreatedBy != "user:u-editor" ||
		created.Message != cs.Message || !created.CreatedAt.Equal(fixedNow) ||
		created.TenantID != tenantID || created.AssetID != assetID || created.Environment != "prod" {
		t.Fatalf("created version = %+v", created)
	}
	wantPaths := []string{"database.host", "database.password", "database.port", "newobj.key"}
	if paths := created.Snapshot.Paths(); !slices.Equal(paths, wantPaths) {
		t.Fatalf("snapshot paths = %q, want %q", paths, wantPaths)
	}
	snap := created.Snapshot
	if string(snap["database"]["port"].Value) != "5432" || string(snap["newobj"]["key"].Value) != `{"a":[1,2]}` || string(snap["database"]["host"].Value) != `"db"` {
		t.Fatalf("plain values = %s %s %s", snap["database"]["port"].Value, snap["newobj"]["key"].Value, snap["database"]["host"].Value)
	}
	pw := snap["database"]["password"]
	if !pw.Secret || pw.Value != nil || strings.Contains(string(pw.Sealed), "n3w-s3cret") {
		t.Fatalf("secret stored as %+v", pw)
	}
	if plaintext, err := w.opened("prod", "database", "password", pw); err != nil || plaintext != `"n3w-s3cret"` {
		t.Fatalf("opened secret = %q, %v", plaintext, err)
	}
	if _, err := w.opened("prod", "database", "user", pw); err == nil {
		t.Fatal("a secret opened under another key's binding")
	}

	wantView := EnvironmentValues{Asset: assetSlug, Environment: "prod", Version: 4, Values: map[string]map[string]ValueView{
		"database": {"host": {Value: json.RawMessage(`"db"`)}, "password": {Secret: true}, "port": {Value: json.RawMessage(`5432`)}},
		"newobj":   {"key": {Value: json.RawMessage(`{"a":[1,2]}`)}},
	}}
	assertJSON(t, got, wantView)

	if entry.Action != domain.ActionValuesChanged || entry.Target != "asset:billing" || entry.Actor != "user:u-editor" {
		t.Fatalf("audit entry = %+v", entry)
	}
	assertJSON(t, json.RawMessage(entry.Details), map[string]any{
		"asset": "billing", "environment": "prod", "version": 4,
		"set":   []string{"database.password", "database.port", "newobj.key"},
		"unset": []string{"cache.ttl", "features.beta"},
	})
	if strings.Contains(string(entry.Details), "n3w") || strings.Contains(string(entry.Details), "5432") {
		t.Fatalf("audit details leak values: %s", entry.Details)
	}
	if *published != (domain.Change{Kind: domain.ChangeValues, TenantID: tenantID, AssetID: assetID, Environment: "prod"}) {
		t.Fatalf("published %+v", published)
	}
}

func TestApplyChangeSetStartsAtVersionOne(t *testing.T) {
	w := newWorld(t)
	w.expectWriteTarget("local", version("local", 0, nil))
	created := w.expectNewVersion()
	w.expectPublish()
	w.expectAudit()
	cs := domain.ChangeSet{ExpectedVersion: intp(0), Set: values("app", "debug", `true`)}
	got, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "local", cs)
	if err != nil {
		t.Fatalf("ApplyChangeSet: %v", err)
	}
	if created.Number != 1 || got.Version != 1 || string(got.Values["app"]["debug"].Value) != "true" {
		t.Fatalf("created %+v, returned %+v", created, got)
	}
}

func TestApplyChangeSetRefusesWithoutWriting(t *testing.T) {
	current := version("prod", 3, domain.Snapshot{"app": {"debug": plain(`false`)}})
	full := domain.Snapshot{"app": {}}
	for i := range domain.MaxKeysPerEnvironment {
		full["app"]["k"+strconv.Itoa(i)] = plain(`1`)
	}
	tests := []struct {
		name    string
		current domain.Version
		cs      domain.ChangeSet
		kind    domain.Kind
		details map[string]any
	}{
		{"stale expected version", current,
			domain.ChangeSet{ExpectedVersion: intp(2), Set: values("app", "debug", `true`)},
			domain.KindVersionConflict, map[string]any{"expected_version": 2, "current_version": 3}},
		{"unset of a key that is not set", current,
			domain.ChangeSet{Unset: map[string][]string{"app": {"debgu"}, "nothing": {"here"}}},
			domain.KindInvalid, map[string]any{"fields": map[string]any{"unset.app.debgu": "is not set", "unset.nothing.here": "is not set"}}},
		{"more keys than allowed", domain.Version{Number: 3, Snapshot: full},
			domain.ChangeSet{Set: values("app", "one-more", `1`)},
			domain.KindInvalid, map[string]any{"fields": map[string]any{"set": "would leave 5001 keys in the environment; at most 5000 are allowed"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.expectWriteTarget("prod", tt.current)
			_, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", tt.cs)
			de := assertKind(t, err, tt.kind)
			if tt.details != nil {
				assertJSON(t, de.Details, tt.details)
			}
			w.assertCommitted(false)
		})
	}
}

func TestApplyChangeSetAtTheKeyLimitMayOverwrite(t *testing.T) {
	w := newWorld(t)
	full := domain.Snapshot{"app": {}}
	for i := range domain.MaxKeysPerEnvironment {
		full["app"]["k"+strconv.Itoa(i)] = plain(`1`)
	}
	w.expectWriteTarget("prod", version("prod", 7, full))
	created := w.expectNewVersion()
	w.expectPublish()
	w.expectAudit()
	if _, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", domain.ChangeSet{Set: values("app", "k1", `2`)}); err != nil {
		t.Fatalf("ApplyChangeSet: %v", err)
	}
	if created.Snapshot.Keys() != domain.MaxKeysPerEnvironment || string(created.Snapshot["app"]["k1"].Value) != "2" {
		t.Fatalf("created %d keys, k1 = %s", created.Snapshot.Keys(), created.Snapshot["app"]["k1"].Value)
	}
	if string(full["app"]["k1"].Value) != "1" {
		t.Fatal("the current snapshot was modified in place")
	}
}

func TestGetValues(t *testing.T) {
	tests := []struct {
		name    string
		current func(w *world) domain.Version
		want    EnvironmentValues
	}{
		{"no version yet", func(*world) domain.Version { return version("prod", 0, nil) },
			EnvironmentValues{Asset: "billing", Environment: "prod", Values: map[string]map[string]ValueView{}}},
		{"secrets without value", func(w *world) domain.Version {
			return version("prod", 2, domain.Snapshot{"db": {"host": plain(`"h"`), "pw": w.sealed("prod", "db", "pw", `"hunter2"`)}})
		}, EnvironmentValues{Asset: "billing", Environment: "prod", Version: 2, Values: map[string]map[string]ValueView{
			"db": {"host": {Value: json.RawMessage(`"h"`)}, "pw": {Secret: true}},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.expectTarget("prod")
			w.versions.EXPECT().Current(gomock.Any(), assetID, "prod").Return(tt.current(w), nil)
			got, err := w.svc.GetValues(w.ctx, viewer, assetSlug, "prod")
			if err != nil {
				t.Fatalf("GetValues: %v", err)
			}
			assertJSON(t, got, tt.want)
		})
	}
}

func TestLookupsNameWhatIsMissing(t *testing.T) {
	storeErr := errors.New("not in the store")
	tests := []struct {
		name    string
		setup   func(w *world)
		call    func(w *world) error
		kind    domain.Kind
		details map[string]any
	}{
		{"asset", func(w *world) {
			w.assets.EXPECT().BySlug(gomock.Any(), "ghost").Return(domain.Asset{}, &domain.Error{Kind: domain.KindAssetNotFound, Cause: storeErr})
		}, func(w *world) error {
			_, err := w.svc.GetValues(w.ctx, viewer, "ghost", "prod")
			return err
		}, domain.KindAssetNotFound, map[string]any{"asset_slug": "ghost"}},
		{"environment", func(w *world) {
			w.versions.EXPECT().LockCurrent(gomock.Any(), assetSlug, "qa").Return(ports.WriteTarget{}, &domain.Error{Kind: domain.KindEnvironmentNotFound, Cause: storeErr})
		}, func(w *world) error {
			_, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "qa", domain.ChangeSet{Set: values("a", "b", `1`)})
			return err
		}, domain.KindEnvironmentNotFound, map[string]any{"environment": "qa"}},
		{"version", func(w *world) {
			w.expectTarget("prod")
			w.versions.EXPECT().Get(gomock.Any(), assetID, "prod", 9).Return(domain.Version{}, &domain.Error{Kind: domain.KindVersionNotFound, Cause: storeErr})
		}, func(w *world) error {
			_, err := w.svc.GetVersion(w.ctx, viewer, assetSlug, "prod", 9)
			return err
		}, domain.KindVersionNotFound, map[string]any{"environment": "prod", "version": 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			tt.setup(w)
			err := tt.call(w)
			de := assertKind(t, err, tt.kind)
			assertJSON(t, de.Details, tt.details)
			if !errors.Is(err, storeErr) {
				t.Fatalf("error %v lost its cause", err)
			}
			w.assertCommitted(false)
		})
	}
}

// assertJSON compares the JSON encodings of got and want, member order aside.
func assertJSON(t *testing.T, got, want any) {
	t.Helper()
	normalize := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %#v: %v", v, err)
		}
		var x any
		if err := json.Unmarshal(b, &x); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		out, _ := json.Marshal(x)
		return string(out)
	}
	if g, w := normalize(got), normalize(want); g != w {
		t.Fatalf("got  %s\nwant %s", g, w)
	}
}

// TestChangeSetLooksUpOnlyWhatTheHeadMarks checks that a change set reads
// the asset's schema only when its head may have one, and looks for the
// assets referencing it only when its head may be referenced: a mark that
// rules a lookup out is trusted (a schema the store still answers is not
// applied), and one that does not is followed (the schema refuses the
// value).
func TestChangeSetLooksUpOnlyWhatTheHeadMarks(t *testing.T) {
	for _, c := range []struct {
		name                                  string
		schema, referenced                    bool
		wantSchemaReads, wantReferencingReads int
		wantKind                              domain.Kind
	}{
		{"neither", false, false, 0, 0, ""},
		{"schema", true, false, 1, 0, domain.KindSchemaViolation},
		{"referenced", false, true, 0, 1, ""},
		{"both", true, true, 1, 1, domain.KindSchemaViolation},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.schema = json.RawMessage(`{"properties":{"cache":{"properties":{"ttl":{"maximum":100}}}}}`)
			cur := version("prod", 3, domain.Snapshot{"cache": {"ttl": plain(`60`)}})
			target := ports.WriteTarget{Asset: testAsset, Current: cur, MayHaveSchema: c.schema, MayBeReferenced: c.referenced}
			w.versions.EXPECT().LockCurrent(gomock.Any(), assetSlug, "prod").Return(target, nil)
			if c.wantKind == "" {
				w.expectNewVersion()
				w.expectPublish()
				w.expectAudit()
			}
			cs := domain.ChangeSet{Set: map[string]map[string]domain.Value{"cache": {"ttl": {Value: []byte(`600`)}}}}
			_, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", cs)
			if c.wantKind == "" && err != nil {
				t.Fatalf("ApplyChangeSet: %v", err)
			}
			if c.wantKind != "" && !domain.IsKind(err, c.wantKind) {
				t.Fatalf("ApplyChangeSet = %v, want %s", err, c.wantKind)
			}
			w.assertCommitted(c.wantKind == "")
			if got := w.reads["Schemas.GetMany"]; got != c.wantSchemaReads {
				t.Errorf("schema reads = %d, want %d", got, c.wantSchemaReads)
			}
			if got := w.reads["Versions.Referencing"]; got != c.wantReferencingReads {
				t.Errorf("referencing lookups = %d, want %d", got, c.wantReferencingReads)
			}
		})
	}
}
