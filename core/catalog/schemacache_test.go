package catalog

import (
	"encoding/json"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/ports"
)

// TestWritesCompileAStoredSchemaOnce checks that the change sets of one
// service compile an unchanged stored schema once, and a changed one again
// (which is then the one applied).
func TestWritesCompileAStoredSchemaOnce(t *testing.T) {
	loose := json.RawMessage(`{"properties":{"cache":{"properties":{"ttl":{"maximum":100}}}}}`)
	strict := json.RawMessage(`{"properties":{"cache":{"properties":{"ttl":{"maximum":10}}}}}`)
	w := newWorld(t)
	for i, step := range []struct {
		name         string
		schema       json.RawMessage
		wantCompiles int64
		wantKind     domain.Kind
	}{
		{"first write", loose, 1, ""},
		{"same schema", loose, 1, ""},
		{"changed schema", strict, 2, domain.KindSchemaViolation},
		{"first schema again", loose, 2, ""},
	} {
		w.schema = step.schema
		cur := version("prod", 3+i, domain.Snapshot{"cache": {"ttl": plain(`60`)}})
		target := ports.WriteTarget{Asset: testAsset, Current: cur, MayHaveSchema: true}
		w.versions.EXPECT().LockCurrent(gomock.Any(), assetSlug, "prod").Return(target, nil)
		if step.wantKind == "" {
			w.expectNewVersion()
			w.expectPublish()
			w.expectAudit()
		}
		cs := domain.ChangeSet{Set: map[string]map[string]domain.Value{"cache": {"ttl": {Value: []byte(`50`)}}}}
		_, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", cs)
		if step.wantKind == "" && err != nil {
			t.Fatalf("%s: ApplyChangeSet: %v", step.name, err)
		}
		if step.wantKind != "" && !domain.IsKind(err, step.wantKind) {
			t.Fatalf("%s: ApplyChangeSet = %v, want %s", step.name, err, step.wantKind)
		}
		if got := w.svc.schemas.Compiles(); got != step.wantCompiles {
			t.Errorf("%s: %d compilations, want %d", step.name, got, step.wantCompiles)
		}
	}
}
