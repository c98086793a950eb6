package catalog

import (
	"encoding/json"
	"testing"

	"go.uber.org/mock/gomock"

	"github.com/configmat/configmat/core/domain"
	"github.com/configmat/configmat/core/schema"
	"github.com/configmat/configmat/ports"
)

// BenchmarkChangeSetWithSchema measures ApplyChangeSet of one key on an
// asset with a schema, over the mock stores (so the core's own cost): with
// the service's schema cache, and with an empty cache before every write,
// which compiles the stored schema each time as before the cache.
func BenchmarkChangeSetWithSchema(b *testing.B) {
	doc := json.RawMessage(`{"type":"object","properties":{"db":{"type":"object","required":["host","port"],` +
		`"properties":{"host":{"type":"string","pattern":"^[a-z0-9.-]+$","maxLength":253},"port":{"type":"integer","minimum":1,"maximum":65535},` +
		`"pool":{"type":"object","properties":{"min":{"type":"integer","minimum":0},"max":{"type":"integer","minimum":1}}}}},` +
		`"cache":{"type":"object","properties":{"ttl":{"type":"integer","maximum":3600}},"additionalProperties":false}}}`)
	snap := domain.Snapshot{
		"db":    {"host": plain(`"db.internal"`), "port": plain(`5432`), "pool": plain(`{"min":1,"max":10}`)},
		"cache": {"ttl": plain(`60`)},
	}
	for _, c := range []struct {
		name  string
		fresh bool
	}{
		{"cached", false},
		{"compiled-each-write", true},
	} {
		b.Run(c.name, func(b *testing.B) {
			w := newWorld(b)
			w.schema = doc
			target := ports.WriteTarget{Asset: testAsset, Current: version("prod", 3, snap), MayHaveSchema: true}
			w.versions.EXPECT().LockCurrent(gomock.Any(), assetSlug, "prod").Return(target, nil).AnyTimes()
			w.versions.EXPECT().Create(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
			w.changes.EXPECT().Publish(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
			w.audit.EXPECT().LockHead(gomock.Any()).Return(int64(41), "ab", nil).AnyTimes()
			w.audit.EXPECT().Append(gomock.Any(), gomock.Any()).Return(nil).AnyTimes()
			cs := domain.ChangeSet{Set: map[string]map[string]domain.Value{"cache": {"ttl": {Value: []byte(`120`)}}}}
			b.ReportAllocs()
			for b.Loop() {
				if c.fresh {
					w.svc.schemas = schema.NewCache(0)
				}
				if _, err := w.svc.ApplyChangeSet(w.ctx, editor, assetSlug, "prod", cs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
