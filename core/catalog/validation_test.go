package catalog

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/configmat/configmat/core/domain"
)

func values(obj, key, jsonText string) map[string]map[string]domain.Value {
	return map[string]map[string]domain.Value{obj: {key: {Value: []byte(jsonText)}}}
}

func manyKeys(n int) map[string]map[string]domain.Value {
	keys := make(map[string]domain.Value, n)
	for i := range n {
		keys["k"+strconv.Itoa(i)] = domain.Value{Value: []byte(`1`)}
	}
	return map[string]map[string]domain.Value{"app": keys}
}

func TestValidation(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	empty, longName, longDesc := "", long(domain.MaxNameLength+1), long(domain.MaxDescriptionLength+1)
	okName := "Fine"
	huge := `"` + strings.Repeat("a", domain.MaxValueBytes) + `"`
	tests := []struct {
		name   string
		call   func(w *world) error
		fields []string
	}{
		{"environment name empty", func(w *world) error { _, err := w.svc.CreateEnvironment(w.ctx, admin, ""); return err }, []string{"name"}},
		{"environment name upper case", func(w *world) error { _, err := w.svc.CreateEnvironment(w.ctx, admin, "Prod"); return err }, []string{"name"}},
		{"environment name underscore", func(w *world) error { _, err := w.svc.CreateEnvironment(w.ctx, admin, "q_a"); return err }, []string{"name"}},
		{"asset everything wrong", func(w *world) error {
			_, err := w.svc.CreateAsset(w.ctx, editor, AssetInput{Slug: "Bad Slug", Name: " ", Description: longDesc})
			return err
		}, []string{"slug", "name", "description"}},
		{"asset name too long", func(w *world) error {
			_, err := w.svc.CreateAsset(w.ctx, editor, AssetInput{Slug: "ok", Name: longName})
			return err
		}, []string{"name"}},
		{"asset name with control character", func(w *world) error {
			_, err := w.svc.CreateAsset(w.ctx, editor, AssetInput{Slug: "ok", Name: "a\x00b"})
			return err
		}, []string{"name"}},
		{"asset slug too long", func(w *world) error {
			_, err := w.svc.CreateAsset(w.ctx, editor, AssetInput{Slug: strings.Repeat("a", 64), Name: "x"})
			return err
		}, []string{"slug"}},
		{"list assets limit negative", func(w *world) error { _, _, err := w.svc.ListAssets(w.ctx, viewer, domain.Page{Limit: -1}); return err }, []string{"limit"}},
		{"list assets limit too big", func(w *world) error {
			_, _, err := w.svc.ListAssets(w.ctx, viewer, domain.Page{Limit: domain.MaxPageSize + 1, Cursor: strings.Repeat("c", maxCursorLength+1)})
			return err
		}, []string{"limit", "cursor"}},
		{"get asset bad slug", func(w *world) error { _, err := w.svc.GetAsset(w.ctx, viewer, "-x"); return err }, []string{"slug"}},
		{"delete asset bad slug", func(w *world) error { return w.svc.DeleteAsset(w.ctx, admin, "") }, []string{"slug"}},
		{"update asset empty patch", func(w *world) error { _, err := w.svc.UpdateAsset(w.ctx, editor, assetSlug, AssetPatch{}); return err }, []string{"name"}},
		{"update asset blank name", func(w *world) error {
			_, err := w.svc.UpdateAsset(w.ctx, editor, "Bad", AssetPatch{Name: &empty, Description: &longDesc})
			return err
		}, []string{"slug", "name", "description"}},
		{"update asset description only too long", func(w *world) error {
			_, err := w.svc.UpdateAsset(w.ctx, editor, assetSlug, AssetPatch{Name: &okName, Description: &longDesc})
			return err
		}, []string{"description"}},
		{"get values bad names", func(w *world) error { _, err := w.svc.GetValues(w.ctx, viewer, "A", "Prod"); return err }, []string{"slug", "environment"}},
		{"change set empty", func(w *world) error {
			_, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", domain.ChangeSet{})
			return err
		}, []string{"set"}},
		{"change set bad object, key and value", func(w *world) error {
			cs := domain.ChangeSet{Set: map[string]map[string]domain.Value{
				"Database": {"url": {Value: []byte(`"x"`)}},
				"database": {"bad key": {Value: []byte(`1`)}, "url": {Value: []byte(`{"a":`)}, "port": {}, "big": {Value: []byte(huge)}},
			}}
			_, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", cs)
			return err
		}, []string{"set.Database", "set.database.bad key", "set.database.url.value", "set.database.port.value", "set.database.big.value"}},
		{"change set empty object", func(w *world) error {
			cs := domain.ChangeSet{Set: map[string]map[string]domain.Value{"database": {}}}
			_, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", cs)
			return err
		}, []string{"set.database", "set"}},
		{"change set bad unset", func(w *world) error {
			cs := domain.ChangeSet{
				Set:   values("database", "url", `"x"`),
				Unset: map[string][]string{"Bad": {"k"}, "database": {"url", "-"}, "app": {}},
			}
			_, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", cs)
			return err
		}, []string{"unset.Bad", "unset.database.url", "unset.database.-", "unset.app"}},
		{"change set message, version and target", func(w *world) error {
			cs := domain.ChangeSet{Message: long(domain.MaxMessageLength + 1), ExpectedVersion: intp(-1), Set: values("a", "b", `1`)}
			_, err := w.svc.ApplyChangeSet(w.ctx, editor, "", "", cs)
			return err
		}, []string{"message", "expected_version", "slug", "environment"}},
		{"change set too many keys", func(w *world) error {
			cs := domain.ChangeSet{Set: manyKeys(domain.MaxKeysPerEnvironment + 1)}
			_, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", cs)
			return err
		}, []string{"set"}},
		{"list versions without environment", func(w *world) error {
			_, _, err := w.svc.ListVersions(w.ctx, viewer, assetSlug, "", domain.Page{Limit: 500})
			return err
		}, []string{"environment", "limit"}},
		{"get version zero", func(w *world) error { _, err := w.svc.GetVersion(w.ctx, viewer, assetSlug, "prod", 0); return err }, []string{"version"}},
		{"get version negative", func(w *world) error { _, err := w.svc.GetVersion(w.ctx, viewer, assetSlug, "x y", -3); return err }, []string{"version", "environment"}},
		{"promote missing environments", func(w *world) error {
			_, err := w.svc.Promote(w.ctx, editor, assetSlug, PromoteRequest{ExpectedVersion: intp(-2)})
			return err
		}, []string{"from", "to", "expected_version"}},
		{"promote to itself", func(w *world) error {
			_, err := w.svc.Promote(w.ctx, editor, assetSlug, PromoteRequest{From: "prod", To: "prod"})
			return err
		}, []string{"to"}},
		{"promote bad names", func(w *world) error {
			_, err := w.svc.Promote(w.ctx, editor, "B", PromoteRequest{From: "Stage", To: "pr od"})
			return err
		}, []string{"slug", "from", "to"}},
		{"get a version beyond any", func(w *world) error {
			_, err := w.svc.GetVersion(w.ctx, viewer, assetSlug, "prod", domain.MaxVersion+1)
			return err
		}, []string{"version"}},
		{"rollback to a version beyond any", func(w *world) error {
			_, err := w.svc.Rollback(w.ctx, editor, assetSlug, "prod", 1<<62)
			return err
		}, []string{"version"}},
		{"rollback to version zero", func(w *world) error { _, err := w.svc.Rollback(w.ctx, editor, assetSlug, "prod", 0); return err }, []string{"version"}},
		{"rollback without environment", func(w *world) error { _, err := w.svc.Rollback(w.ctx, editor, assetSlug, "", -1); return err }, []string{"environment", "version"}},
		{"resolve bad names", func(w *world) error { _, err := w.svc.Resolve(w.ctx, apiKey, "Bad", ""); return err }, []string{"slug", "environment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			fields := fieldsOf(t, tt.call(w))
			got := slices.Sorted(maps.Keys(fields))
			want := slices.Sorted(slices.Values(tt.fields))
			if !slices.Equal(got, want) {
				t.Fatalf("bad fields = %q, want %q", got, want)
			}
			if w.tx.calls != 0 {
				t.Fatalf("%d transactions opened for an invalid request", w.tx.calls)
			}
		})
	}
}
